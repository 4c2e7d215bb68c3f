# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit report: per-host results in, one report out, rendered four ways.

PRIVATE: internal to the netfleet.tcp collection. Controller-side only (the audit role
calls it through the netfleet.tcp.audit_report and netfleet.tcp.audit_render filters);
plain functions, so unit tests feed recorded results.

Input, per host, is a *record* the audit role keeps on every host it audits::

    {"status": "ok", "tcp_state": <ansible_facts.tcp_state>,
     "check": <netfleet.tcp.sysctl_check result>, "profile": "web_frontend" | None}
    {"status": "failed", "error": "message", "task": "name of the task that failed"}

Hosts of the play without a record left it before they could be audited: unreachable
(when their registered result says so) or failed.

The report (``build_report``) is a plain JSON-able dict described by
roles/audit/files/audit_report.schema.json; ``render_markdown``, ``render_json``,
``render_junit``, ``render_prometheus`` and ``table_lines`` turn it into text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import numbers
import re
import xml.etree.ElementTree as ET

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._severity import (  # noqa: F401
    FAIL_ON,
    gate_reached,
    severity_rank,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.pressure import (
    PRESSURE_RULES as _PRESSURE_RULES,
    PRESSURE_SEVERITY as _PRESSURE_SEVERITY,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import desired_met, equivalent
from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_namespaces
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr
from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import (
    METRICS,
    PressureInputError,
    _mapping,
    _number,
    merge_thresholds,
    tcp_pressure,
)

SCHEMA_VERSION = 1
SCHEMA_ID = "https://github.com/netfleet/tcp/roles/audit/files/audit_report.schema.json"
SEVERITIES = ("info", "warning", "error")
GATES = FAIL_ON
STATUSES = ("ok", "failed", "unreachable")
TCP_STATES = (
    "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
    "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
)
OFFENDER_METRICS = (
    ("time_wait_pressure", "TIME_WAIT / tcp_max_tw_buckets"),
    ("ephemeral_ports", "busiest destination's share of the ephemeral ports"),
    ("orphan_pressure", "orphans / tcp_max_orphans"),
    ("accept_queue", "fullest accept queue / its backlog"),
    ("time_wait", "TIME_WAIT sockets"),
    ("close_wait", "CLOSE_WAIT sockets"),
    ("orphans", "orphaned sockets"),
    ("listen_overflows", "ListenOverflows since boot"),
    ("findings", "errors and warnings"),
    ("drift", "drifted keys"),
)


class ReportInputError(ValueError):
    """Arguments handed to the report builder cannot be used."""


# --------------------------------------------------------------------------- helpers

def plain(value):
    """A deep copy made only of dict, list, str, int, float, bool and None.

    Values coming out of Ansible templating may be str/dict/list subclasses (tagged or
    lazy containers); JSON, XML and JMESPath want the exact built-in types.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (str, bytes)):
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if hasattr(value, "items"):
        return dict((str(key), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return [plain(item) for item in value]
    return str(value)


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _parse_time(value):
    if value is None:
        return _utc_now()
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ReportInputError("generated_at %s is not an ISO 8601 date and time" % short_repr(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)


def _pct(ratio):
    if ratio is None:
        return "-"
    return "%.0f%%" % (ratio * 100) if ratio >= 0.1 or ratio == 0 else "%.1f%%" % (ratio * 100)


# --------------------------------------------------------------------------- per host

def _drifted_keys(check):
    """Keys whose live value differs from the boot-effective or the desired value."""
    drifted = []
    for key, info in sorted(_mapping(check.get("keys")).items()):
        if not isinstance(info, dict):
            continue
        live, persisted, desired = info.get("live"), info.get("persisted"), info.get("desired")
        reasons = []
        if persisted is not None and live is not None and not equivalent(key, str(persisted), str(live)):
            reasons.append("persisted")
        if desired is not None and live is not None and not desired_met(key, str(live), desired):
            reasons.append("desired")
        if reasons:
            drifted.append({
                "key": key,
                "live": None if live is None else str(live),
                "persisted": None if persisted is None else str(persisted),
                "persisted_file": info.get("persisted_file"),
                "desired": None if desired is None else str(desired),
                "against": reasons,
            })
    return drifted


def _finding(raw, source):
    raw = _mapping(raw)
    severity = raw.get("severity") if raw.get("severity") in SEVERITIES else "warning"
    value = raw.get("value")
    return {
        "id": str(raw.get("id") or "unknown"),
        "severity": severity,
        "key": None if raw.get("key") is None else str(raw.get("key")),
        "value": None if value is None else (value if isinstance(value, str) else json.dumps(value)),
        "message": str(raw.get("message") or ""),
        "remediation": str(raw.get("remediation") or ""),
        "source": source,
    }


def _pressure_findings(pressure):
    findings = []
    for metric in METRICS:
        part = pressure[metric]
        severity = _PRESSURE_SEVERITY.get(part["verdict"])
        if not severity:
            continue
        rule, key, message, remediation = _PRESSURE_RULES[metric]
        if metric == "time_wait" or metric == "orphans":
            fields = {"count": part["count"], "limit": part["limit"]}
            value = "%s/%s" % (part["count"], part["limit"])
        elif metric == "ephemeral_ports":
            worst = part["worst"] or {}
            destination = "%s:%s" % (worst.get("address"), worst.get("port"))
            fields = {"count": worst.get("count"), "limit": part["usable_ports"], "destination": destination}
            value = "%s %s/%s" % (destination, worst.get("count"), part["usable_ports"])
        else:
            worst = part["worst"] or {}
            destination = "%s:%s" % (worst.get("address"), worst.get("port"))
            fields = {"count": worst.get("queue"), "limit": worst.get("backlog"), "destination": destination}
            value = "%s %s/%s" % (destination, worst.get("queue"), worst.get("backlog"))
        fields["pct"] = _pct(part["ratio"])
        findings.append({
            "id": rule,
            "severity": severity,
            "key": key,
            "value": value,
            "message": message.format(**fields),
            "remediation": remediation,
            "source": "pressure",
        })
    return findings


def _empty_entry(host, status, error=None, task=None):
    return {
        "host": host,
        "status": status,
        "error": error,
        "task": task,
        "profile": None,
        "kernel": None,
        "kernel_version": None,
        "initial_netns": None,
        "nat_facing": None,
        "nat_mode": None,
        "nat_evidence": [],
        "source": None,
        "states": None,
        "families": None,
        "sockstat": None,
        "limits": None,
        "counters": None,
        "listen_ports": [],
        "orphans": None,
        "listen_overflows": None,
        "pressure": None,
        "worst_destination": None,
        "drift": None,
        "drifted_keys": [],
        "summary": None,
        "findings": [],
        "namespaces": None,
    }


def host_entry(host, record, thresholds=None, pressure_findings=True, top=5):
    """One host's line of the report from its record (see the module docstring)."""
    record = _mapping(record)
    status = record.get("status") or ("ok" if record.get("tcp_state") is not None else "failed")
    if status not in STATUSES:
        status = "failed"
    if status != "ok":
        return _empty_entry(host, status, record.get("error") or "the audit did not complete", record.get("task"))
    facts = _mapping(record.get("tcp_state"))
    check = _mapping(record.get("check"))
    if not facts or not facts.get("states"):
        return _empty_entry(host, "failed", "no tcp_state facts in the host's record", record.get("task"))
    entry = _empty_entry(host, "ok")
    context = _mapping(check.get("context"))
    host_facts = _mapping(facts.get("host"))
    states = _mapping(facts.get("states"))
    pressure = tcp_pressure(facts, thresholds)
    pressure.pop("thresholds", None)
    findings = [_finding(item, "sysctl_check") for item in check.get("findings") or []]
    namespaces = _audit_namespaces.namespace_summary(facts, thresholds, top)
    if pressure_findings:
        findings.extend(_pressure_findings(pressure))
        findings.extend(_audit_namespaces.namespace_findings(namespaces))
    findings.sort(key=lambda item: (-severity_rank(item["severity"]), item["id"], item["key"] or ""))
    drifted = _drifted_keys(check)
    summary = _mapping(check.get("summary"))
    counts = dict((name, sum(1 for item in findings if item["severity"] == name)) for name in SEVERITIES)
    drift = _number(summary.get("drift"))
    version = host_facts.get("kernel_version") or context.get("kernel_version")
    entry.update({
        "profile": record.get("profile"),
        "kernel": host_facts.get("kernel") or context.get("kernel"),
        "kernel_version": list(version) if version else None,
        "initial_netns": host_facts.get("initial_netns", context.get("initial_netns")),
        "nat_facing": context.get("nat_facing"),
        "nat_mode": context.get("nat_mode"),
        "nat_evidence": [str(item) for item in context.get("nat_evidence") or []],
        "source": facts.get("source"),
        "states": dict((name, _number(states.get(name)) or 0) for name in TCP_STATES),
        "families": dict(
            (family, dict((name, _number(_mapping(counts_).get(name)) or 0) for name in TCP_STATES))
            for family, counts_ in _mapping(facts.get("families")).items()
        ),
        "sockstat": facts.get("sockstat"),
        "limits": facts.get("limits"),
        "counters": facts.get("counters"),
        "listen_ports": list(facts.get("listen_ports") or context.get("listen_ports") or []),
        "orphans": pressure["orphans"]["count"],
        "listen_overflows": pressure["listen_overflows"]["overflows"],
        "pressure": pressure,
        "worst_destination": pressure["ephemeral_ports"]["worst"],
        "drift": drift if drift is not None else len(drifted),
        "drifted_keys": drifted,
        "summary": {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "infos": counts["info"],
            "drift": drift if drift is not None else len(drifted),
            "keys_checked": _number(summary.get("keys_checked")),
        },
        "findings": findings,
        "namespaces": namespaces,
    })
    return entry


# --------------------------------------------------------------------------- fleet

def _offender_value(entry, metric):
    pressure = entry["pressure"]
    if metric == "time_wait_pressure":
        return pressure["time_wait"]["ratio"], "%s of %s" % (pressure["time_wait"]["count"], pressure["time_wait"]["limit"])
    if metric == "orphan_pressure":
        return pressure["orphans"]["ratio"], "%s of %s" % (pressure["orphans"]["count"], pressure["orphans"]["limit"])
    if metric == "ephemeral_ports":
        worst = pressure["ephemeral_ports"]["worst"]
        if not worst:
            return None, None
        return worst["share"], "%s:%s (%s ports)" % (worst["address"], worst["port"], worst["count"])
    if metric == "accept_queue":
        worst = pressure["accept_queue"]["worst"]
        if not worst:
            return None, None
        return worst["ratio"], "%s:%s (%s of %s)" % (worst["address"], worst["port"], worst["queue"], worst["backlog"])
    if metric == "time_wait":
        return entry["states"]["TIME_WAIT"], None
    if metric == "close_wait":
        return entry["states"]["CLOSE_WAIT"], None
    if metric == "orphans":
        return entry["orphans"], None
    if metric == "listen_overflows":
        return entry["listen_overflows"], None
    if metric == "findings":
        summary = entry["summary"]
        total = summary["errors"] + summary["warnings"]
        return total, "%d errors, %d warnings" % (summary["errors"], summary["warnings"])
    if metric == "drift":
        return entry["drift"], ", ".join(item["key"] for item in entry["drifted_keys"]) or None
    raise ReportInputError("unknown offender metric %s" % short_repr(metric))


def top_offenders(entries, top):
    """Per metric, the ``top`` hosts with the highest non-zero value, highest first."""
    result = {}
    for metric, _label in OFFENDER_METRICS:
        ranked = []
        for entry in entries:
            if entry["status"] != "ok":
                continue
            value, detail = _offender_value(entry, metric)
            if value is None or value <= 0:
                continue
            ranked.append({"host": entry["host"], "value": value, "detail": detail})
        ranked.sort(key=lambda item: (-item["value"], item["host"]))
        result[metric] = ranked[:top]
    return result


def findings_by_rule(entries, fail_on):
    """Every finding grouped by rule id, most severe rules first, with the hosts it hits."""
    rules = {}
    for entry in entries:
        for finding in entry["findings"]:
            rule = rules.setdefault(finding["id"], {
                "id": finding["id"],
                "severity": finding["severity"],
                "source": finding["source"],
                "remediation": finding["remediation"],
                "hosts": [],
                "occurrences": [],
            })
            if severity_rank(finding["severity"]) > severity_rank(rule["severity"]):
                rule["severity"] = finding["severity"]
            if entry["host"] not in rule["hosts"]:
                rule["hosts"].append(entry["host"])
            rule["occurrences"].append({
                "host": entry["host"],
                "severity": finding["severity"],
                "key": finding["key"],
                "value": finding["value"],
                "message": finding["message"],
            })
    grouped = list(rules.values())
    for rule in grouped:
        rule["count"] = len(rule["occurrences"])
        rule["gate"] = gate_reached(rule["severity"], fail_on)
    grouped.sort(key=lambda rule: (-severity_rank(rule["severity"]), -len(rule["hosts"]), rule["id"]))
    return grouped


def fleet_totals(entries):
    ok = [entry for entry in entries if entry["status"] == "ok"]
    states = dict((name, sum(entry["states"][name] for entry in ok)) for name in TCP_STATES)

    def total(field):
        values = [entry[field] for entry in ok if entry[field] is not None]
        return sum(values) if values else 0

    return {
        "hosts": len(entries),
        "ok": len(ok),
        "failed": sum(1 for entry in entries if entry["status"] == "failed"),
        "unreachable": sum(1 for entry in entries if entry["status"] == "unreachable"),
        "states": states,
        "orphans": total("orphans"),
        "listen_overflows": total("listen_overflows"),
        "drift": total("drift"),
        "errors": sum(entry["summary"]["errors"] for entry in ok),
        "warnings": sum(entry["summary"]["warnings"] for entry in ok),
        "infos": sum(entry["summary"]["infos"] for entry in ok),
        "hosts_with_findings": sum(1 for entry in ok if entry["findings"]),
        "hosts_nat_facing": sum(1 for entry in ok if entry["nat_facing"]),
    }


def evaluate_gate(entries, fail_on):
    """Which hosts have findings at or above ``fail_on``, and the rule ids that put them there.

    ``unaudited`` maps every host that could not be audited to its status and reason: the
    audit role fails those hosts too, whatever ``fail_on`` says.
    """
    by_host = {}
    count = 0
    for entry in entries:
        hits = [item for item in entry["findings"] if gate_reached(item["severity"], fail_on)]
        if hits:
            rules = []
            for item in hits:
                if item["id"] not in rules:
                    rules.append(item["id"])
            by_host[entry["host"]] = rules
            count += len(hits)
    hosts = [entry["host"] for entry in entries if entry["host"] in by_host]
    if fail_on == "never":
        message = "gate off (audit_fail_on: never)"
    elif hosts:
        message = "%d finding%s at or above '%s' on %d host%s: %s" % (
            count, "" if count == 1 else "s", fail_on, len(hosts), "" if len(hosts) == 1 else "s", ", ".join(hosts))
    else:
        message = "no finding at or above '%s'" % fail_on
    unaudited = dict((entry["host"], "%s: %s" % (entry["status"], entry["error"]))
                     for entry in entries if entry["status"] != "ok")
    return {"fail_on": fail_on, "failed": bool(hosts), "hosts": hosts, "by_host": by_host, "findings": count,
            "message": message, "unaudited": unaudited}


def _get(variables, name):
    if not name or not hasattr(variables, "get"):
        return None
    return variables.get(name)


def _usable(result):
    return isinstance(result, dict) and not result.get("skipped") and not result.get("failed") \
        and not result.get("unreachable")


def record_from_results(variables, facts_var, check_vars, profile=None):
    """A host's record from its registered results, or None when the facts are missing.

    ``facts_var`` names the registered result of netfleet.tcp.tcp_state_facts (its
    ``ansible_facts.tcp_state``); ``check_vars`` the registered netfleet.tcp.sysctl_check
    results, the first one that ran being used (the profile's check before the plain one).
    """
    facts_result = _get(variables, facts_var)
    if not _usable(facts_result):
        return None
    facts = _mapping(facts_result.get("ansible_facts")).get("tcp_state")
    if not isinstance(facts, dict):
        return None
    check = {}
    for name in check_vars:
        result = _get(variables, name)
        if _usable(result):
            check = result
            break
    return {"status": "ok", "tcp_state": facts, "check": check, "profile": profile}


def _missing_status(variables, probe_vars):
    """Status and reason of a host of the play that has no record."""
    for name in probe_vars:
        result = _get(variables, name)
        if isinstance(result, dict) and (result.get("unreachable") or result.get("failed")):
            status = "unreachable" if result.get("unreachable") else "failed"
            return status, str(result.get("msg") or status)
    return "failed", "no result: the host left the play before it was audited (unreachable or failed earlier)"


def build_report(results, hosts=None, active=None, record_var="__audit_record", facts_var=None,
                 check_vars=(), probe_vars=(), profile=None, fail_on="error", thresholds=None, top=5,
                 pressure_findings=True, generated_at=None, title="TCP fleet audit"):
    """The fleet report as a JSON-able dict (see audit_report.schema.json).

    ``results`` maps host name to that host's variables (hostvars). A host's record is
    the variable ``record_var`` when it is set (the audit role sets it only for a host
    whose audit failed), else it is assembled from the registered results named by
    ``facts_var`` and ``check_vars`` (see record_from_results). With ``record_var``
    and ``facts_var`` both empty, the values of ``results`` are the records themselves.
    ``hosts`` lists every host of the play in order (default: the keys of ``results``);
    ``active`` the hosts still in the play. A host of ``hosts`` without a record is
    reported as unreachable or failed, using the registered results named in
    ``facts_var``, ``check_vars`` and ``probe_vars`` to tell which.
    """
    if fail_on not in GATES:
        raise ReportInputError("fail_on must be one of %s, got %s" % (", ".join(GATES), short_repr(fail_on)))
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ReportInputError("top must be a positive integer, got %s" % short_repr(top))
    if not hasattr(results, "keys"):
        raise ReportInputError("results must be a mapping of host name to host variables or records")
    try:
        thresholds = merge_thresholds(plain(thresholds))
    except PressureInputError as error:
        raise ReportInputError(str(error))
    profile = profile if profile not in ("", None, "none") else None
    moment = _parse_time(generated_at)
    host_names = [str(name) for name in (hosts if hosts is not None else list(results.keys()))]
    active_names = None if active is None else set(str(name) for name in active)
    probes = [name for name in [facts_var] + list(check_vars) + list(probe_vars) if name]
    entries = []
    for host in host_names:
        variables = results[host] if host in results else {}
        if record_var or facts_var:
            # Fresh registered results first: a record kept by an earlier run of the role in
            # the same playbook must not hide this run's result.
            record = record_from_results(variables, facts_var, check_vars, profile)
            facts_result = _get(variables, facts_var)
            if record is None and not (isinstance(facts_result, dict) and facts_result.get("unreachable")):
                record = _get(variables, record_var)
        else:
            record = variables
        record = plain(record) if record is not None else None
        if not record:
            status, reason = _missing_status(variables, probes) if variables else (
                "failed", "no result: the host left the play before it was audited")
            entries.append(_empty_entry(host, status, reason))
            continue
        entry = host_entry(host, record, thresholds, pressure_findings, top)
        if active_names is not None and host not in active_names and entry["status"] == "ok":
            # Audited, then failed in a later task of the play: keep the data, say so.
            entry["error"] = "left the play after it was audited"
        entries.append(entry)
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "title": title,
        "generated_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": moment.strftime("%Y%m%dT%H%M%SZ"),
        "generator": "netfleet.tcp.audit",
        "profile": profile,
        "thresholds": thresholds,
        "gate": evaluate_gate(entries, fail_on),
        "totals": fleet_totals(entries),
        "hosts": entries,
        "top_offenders": top_offenders(entries, top),
        "findings_by_rule": findings_by_rule(entries, fail_on),
    }


# --------------------------------------------------------------------------- renderers

def render_json(report):
    """The report as indented JSON text with a trailing newline."""
    return json.dumps(plain(report), indent=2, sort_keys=False) + "\n"


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split()) or "-"


def _row(cells):
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _table(header, rows):
    lines = [_row(header), "|" + "|".join(" --- " for _column in header) + "|"]
    lines.extend(_row(row) for row in rows)
    return lines


def _worst_dest_text(entry):
    worst = entry["worst_destination"]
    if not worst:
        # "none" when the ports detail was read and no destination holds an ephemeral port.
        return "none" if entry["pressure"]["ephemeral_ports"]["ratio"] == 0.0 else None
    return "%s:%s %s (%s)" % (worst["address"], worst["port"], worst["count"], _pct(worst["share"]))


def host_columns(entry):
    """The per-host values of the report's host table, in HOST_HEADER order."""
    if entry["status"] != "ok":
        return [entry["host"], entry["status"]] + [None] * (len(HOST_HEADER) - 2)
    states = entry["states"]
    summary = entry["summary"]
    return [
        entry["host"],
        entry["status"],
        entry["kernel"],
        entry["nat_facing"],
        states["ESTABLISHED"],
        states["TIME_WAIT"],
        states["CLOSE_WAIT"],
        states["FIN_WAIT2"],
        entry["orphans"],
        _pct(entry["pressure"]["time_wait"]["ratio"]),
        _worst_dest_text(entry),
        entry["listen_overflows"],
        entry["drift"],
        summary["errors"],
        summary["warnings"],
    ]


HOST_HEADER = [
    "Host", "Status", "Kernel", "NAT-facing", "ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT2",
    "Orphans", "TIME_WAIT pressure", "Worst ephemeral-port use", "Listen overflows", "Drift",
    "Errors", "Warnings",
]


def render_markdown(report):
    """The report as a Markdown document."""
    gate = report["gate"]
    totals = report["totals"]
    lines = [
        "# %s" % report["title"],
        "",
        "- Generated: %s by %s" % (report["generated_at"], report["generator"]),
        "- Profile: %s" % (report["profile"] or "none (live values judged alone)"),
        "- Gate: `audit_fail_on: %s`: %s%s" % (
            gate["fail_on"], "**FAILED**, " if gate["failed"] else "", gate["message"]),
        "- Hosts: %d in the play, %d audited, %d failed, %d unreachable" % (
            totals["hosts"], totals["ok"], totals["failed"], totals["unreachable"]),
        "",
        "## Hosts",
        "",
    ]
    lines.extend(_table(HOST_HEADER, [host_columns(entry) for entry in report["hosts"]]))
    lines.extend([
        "",
        "TIME_WAIT pressure is the TIME_WAIT buckets in use (sockstat tw, orphaned FIN_WAIT2 included) / "
        "net.ipv4.tcp_max_tw_buckets; the worst ephemeral-port use is the destination holding most local ports "
        "of net.ipv4.ip_local_port_range (reserved ports excluded), as a share of them; listen overflows count "
        "since boot.",
        "",
        "## Fleet totals",
        "",
    ])
    states = totals["states"]
    total_rows = [
        ["Hosts audited", "%d of %d" % (totals["ok"], totals["hosts"])],
        ["NAT-facing hosts", totals["hosts_nat_facing"]],
    ]
    total_rows.extend([[name, states[name]] for name in TCP_STATES])
    total_rows.extend([
        ["Orphans", totals["orphans"]],
        ["Listen overflows (since boot)", totals["listen_overflows"]],
        ["Drifted keys", totals["drift"]],
        ["Errors", totals["errors"]],
        ["Warnings", totals["warnings"]],
        ["Infos", totals["infos"]],
        ["Hosts with findings", totals["hosts_with_findings"]],
    ])
    lines.extend(_table(["Metric", "Fleet"], total_rows))
    lines.extend(["", "## Top offenders", ""])
    offender_rows = []
    for metric, label in OFFENDER_METRICS:
        for rank, item in enumerate(report["top_offenders"].get(metric, []), 1):
            value = item["value"]
            if metric in ("time_wait_pressure", "ephemeral_ports", "orphan_pressure", "accept_queue"):
                value = _pct(value)
            offender_rows.append([label, rank, item["host"], value, item["detail"]])
    if offender_rows:
        lines.extend(_table(["Metric", "#", "Host", "Value", "Detail"], offender_rows))
    else:
        lines.append("No host stands out: every ranked metric is zero.")
    lines.extend(_namespace_lines(report))
    lines.extend(["", "## Findings by rule", ""])
    if not report["findings_by_rule"]:
        lines.append("No findings.")
    for rule in report["findings_by_rule"]:
        lines.extend([
            "### `%s` (%s%s): %d host%s" % (
                rule["id"], rule["severity"], ", fails the gate" if rule["gate"] else "",
                len(rule["hosts"]), "" if len(rule["hosts"]) == 1 else "s"),
            "",
            "Hosts: %s" % ", ".join(rule["hosts"]),
            "",
        ])
        lines.extend(_table(
            ["Host", "Severity", "Key", "Value", "Message"],
            [[item["host"], item["severity"], item["key"], item["value"], item["message"]]
             for item in rule["occurrences"]],
        ))
        if rule["remediation"]:
            lines.extend(["", "Remediation: %s" % " ".join(rule["remediation"].split())])
        lines.append("")
    drift_rows = []
    for entry in report["hosts"]:
        for item in entry["drifted_keys"]:
            drift_rows.append([entry["host"], item["key"], item["live"], item["persisted"],
                               item["persisted_file"], item["desired"]])
    lines.extend(["## Drift", ""])
    if drift_rows:
        lines.extend(_table(["Host", "Key", "Live", "Persisted (boot)", "File", "Desired"], drift_rows))
    else:
        lines.append("No drift: live values match the persisted configuration%s." % (
            " and the profile" if report["profile"] else ""))
    missing = [entry for entry in report["hosts"] if entry["status"] != "ok"]
    lines.extend(["", "## Unreachable and failed hosts", ""])
    if missing:
        lines.extend(_table(["Host", "Status", "Reason"],
                            [[entry["host"], entry["status"], entry["error"]] for entry in missing]))
    else:
        lines.append("None: every host of the play was audited.")
    lines.append("")
    return "\n".join(lines)


def _namespace_lines(report):
    """The busiest network namespaces per host (tcp_state_facts with namespaces: all), if any."""
    busiest, missing = _audit_namespaces.markdown_rows(report)
    if not busiest and not missing:
        return []
    lines = ["", "## Busiest network namespaces", ""]
    if busiest:
        lines.extend(_table(["Host", "Ranked by", "#", "Namespace", "Holders", "TIME_WAIT", "CLOSE_WAIT",
                             "Worst ephemeral-port use", "Verdict"], busiest))
    else:
        lines.append("No namespace other than the audited one holds TIME_WAIT, CLOSE_WAIT or ephemeral ports.")
    if missing:
        lines.extend(["", "Namespaces not counted:", ""])
        lines.extend(_table(["Host", "Namespace", "Status", "Reason"], missing))
    return lines


_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value):
    """Text XML 1.0 can carry: other control characters are written as \\xNN."""
    return _XML_INVALID.sub(lambda match: "\\x%02x" % ord(match.group(0)), str(value))


def render_junit(report):
    """JUnit XML: one testsuite per host; findings at or above the gate are failures.

    Each host has a ``reachable`` testcase (an error when the host could not be
    audited) and one testcase per finding, named ``<rule id> <key>``; a host without
    findings has a passing ``no findings`` testcase.
    """
    fail_on = report["gate"]["fail_on"]
    root = ET.Element("testsuites", {"name": report["title"], "timestamp": report["generated_at"]})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for entry in report["hosts"]:
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(entry["host"]), "timestamp": report["generated_at"]})
        classname = _xml_text("netfleet.tcp.audit.%s" % entry["host"])
        counts = {"tests": 0, "failures": 0, "errors": 0}
        case = ET.SubElement(suite, "testcase", {"name": "reachable", "classname": classname})
        counts["tests"] += 1
        if entry["status"] != "ok":
            counts["errors"] += 1
            reason = _xml_text(entry["error"] or entry["status"])
            error = ET.SubElement(case, "error", {"type": entry["status"], "message": reason})
            error.text = reason
        for finding in entry["findings"]:
            name = finding["id"] if not finding["key"] else "%s %s" % (finding["id"], finding["key"])
            case = ET.SubElement(suite, "testcase", {"name": _xml_text(name), "classname": classname})
            counts["tests"] += 1
            text = _xml_text("%s\nvalue: %s\nremediation: %s" % (
                finding["message"], finding["value"], finding["remediation"]))
            if gate_reached(finding["severity"], fail_on):
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", {"type": finding["severity"],
                                                          "message": _xml_text(finding["message"])})
                failure.text = text
            else:
                out = ET.SubElement(case, "system-out")
                out.text = "[%s] %s" % (finding["severity"], text)
        if entry["status"] == "ok" and not entry["findings"]:
            ET.SubElement(suite, "testcase", {"name": "no findings", "classname": classname})
            counts["tests"] += 1
        for field, value in counts.items():
            suite.set(field, str(value))
            totals[field] += value
        suite.set("skipped", "0")
    for field, value in totals.items():
        root.set(field, str(value))
    _indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _indent(element, level=0):
    pad = "\n" + "  " * level
    if len(element):
        if not element.text or not element.text.strip():
            element.text = pad + "  "
        for child in element:
            _indent(child, level + 1)
        if not child.tail or not child.tail.strip():
            child.tail = pad
    if level and (not element.tail or not element.tail.strip()):
        element.tail = pad


def table_lines(report):
    """A compact fixed-width table for the end of the play, one string per line."""
    header = ["HOST", "STATUS", "KERNEL", "NAT", "ESTAB", "TW", "CW", "FW2", "ORPH", "TW%", "PORT%",
              "OVFL", "DRIFT", "ERR", "WARN"]
    rows = []
    for entry in report["hosts"]:
        if entry["status"] != "ok":
            rows.append([entry["host"], entry["status"].upper()] + ["-"] * (len(header) - 2))
            continue
        states = entry["states"]
        rows.append([
            entry["host"], "ok", entry["kernel"] or "-",
            "-" if entry["nat_facing"] is None else ("yes" if entry["nat_facing"] else "no"),
            states["ESTABLISHED"], states["TIME_WAIT"], states["CLOSE_WAIT"], states["FIN_WAIT2"],
            "-" if entry["orphans"] is None else entry["orphans"],
            _pct(entry["pressure"]["time_wait"]["ratio"]),
            _pct(entry["pressure"]["ephemeral_ports"]["ratio"]),
            "-" if entry["listen_overflows"] is None else entry["listen_overflows"],
            entry["drift"], entry["summary"]["errors"], entry["summary"]["warnings"],
        ])
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(header[index])] + [len(row[index]) for row in rows]) for index in range(len(header))]

    def fmt(row):
        return "  ".join(cell.ljust(widths[index]) if index < 3 else cell.rjust(widths[index])
                         for index, cell in enumerate(row)).rstrip()

    totals = report["totals"]
    lines = [fmt(header)] + [fmt(row) for row in rows]
    lines.append("%d hosts: %d audited, %d failed, %d unreachable; %d errors, %d warnings, %d drifted keys" % (
        totals["hosts"], totals["ok"], totals["failed"], totals["unreachable"],
        totals["errors"], totals["warnings"], totals["drift"]))
    lines.append("gate (%s): %s" % (report["gate"]["fail_on"], report["gate"]["message"]))
    return lines


# --------------------------------------------------------------------------- Prometheus

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _label_value(value):
    # The format escapes only backslash, quote and newline; other control characters
    # (which no host name or address holds) become U+FFFD so every sample stays one line.
    text = _CONTROL.sub("\ufffd", str(value))
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels):
    return "{" + ",".join('%s="%s"' % (name, _label_value(value)) for name, value in labels) + "}"


def _number_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


class _Exposition(object):
    """Collects samples per metric family and prints them in text exposition format."""

    def __init__(self, host):
        self.host = host
        self.families = []
        self.index = {}

    def add(self, metric_family, kind, help_text, sample, **labels):
        if sample is None or not isinstance(sample, (int, float, bool)):
            return
        if not _METRIC_NAME.match(metric_family):
            raise ReportInputError("invalid metric name %s" % short_repr(metric_family))
        if metric_family not in self.index:
            self.index[metric_family] = (kind, help_text, [])
            self.families.append(metric_family)
        pairs = [("host", self.host)] + sorted(labels.items())
        self.index[metric_family][2].append((pairs, sample))

    def text(self):
        lines = []
        for name in self.families:
            kind, help_text, samples = self.index[name]
            lines.append("# HELP %s %s" % (name, help_text.replace("\\", "\\\\").replace("\n", "\\n")))
            lines.append("# TYPE %s %s" % (name, kind))
            for pairs, value in samples:
                lines.append("%s%s %s" % (name, _labels(pairs), _number_text(value)))
        return "\n".join(lines) + "\n"


def _counter_metric(name):
    # Kernel counter names as they are (TcpExt, ListenOverflows), like node_exporter's netstat collector.
    return re.sub(r"[^a-zA-Z0-9_]", "_", str(name))


def render_prometheus(report, host):
    """One host's numbers in the node_exporter textfile-collector format.

    Every sample carries a ``host`` label (the inventory name) so that files of several
    hosts can sit in one collector directory. A host that could not be audited exports
    ``netfleet_tcp_audit_up 0`` only.
    """
    entry = None
    for item in report["hosts"]:
        if item["host"] == host:
            entry = item
            break
    if entry is None:
        raise ReportInputError("host %s is not in the report" % short_repr(host))
    out = _Exposition(entry["host"])
    out.add("netfleet_tcp_audit_up", "gauge", "1 when the audit could read the host, 0 otherwise.",
            1 if entry["status"] == "ok" else 0)
    stamp = _parse_time(report["generated_at"])
    out.add("netfleet_tcp_audit_timestamp_seconds", "gauge", "When the audit report was generated (Unix time).",
            int((stamp - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()))
    if entry["status"] != "ok":
        return out.text()
    for family, states in sorted((entry["families"] or {}).items()):
        for state in TCP_STATES:
            out.add("netfleet_tcp_sockets", "gauge", "TCP sockets per state and family (socket census).",
                    states.get(state), family=family, state=state.lower())
    sockstat = _mapping(entry["sockstat"])
    for field, value in sorted(_mapping(sockstat.get("tcp")).items()):
        out.add("netfleet_tcp_sockstat_tcp", "gauge", "Kernel TCP accounting from /proc/net/sockstat.",
                value, field=field)
    for field, value in sorted(_mapping(sockstat.get("tcp6")).items()):
        out.add("netfleet_tcp_sockstat_tcp6", "gauge", "Kernel TCP accounting from /proc/net/sockstat6.",
                value, field=field)
    for key, value in sorted(_mapping(entry["limits"]).items()):
        if isinstance(value, list):
            if key == "ip_local_port_range" and len(value) == 2:
                out.add("netfleet_tcp_limit", "gauge", "TCP limits read from /proc/sys.", value[0], name=key + "_low")
                out.add("netfleet_tcp_limit", "gauge", "TCP limits read from /proc/sys.", value[1], name=key + "_high")
            continue
        out.add("netfleet_tcp_limit", "gauge", "TCP limits read from /proc/sys.", value, name=key)
    pressure = entry["pressure"]
    for metric in METRICS:
        out.add("netfleet_tcp_pressure_ratio", "gauge",
                "Usage of a TCP limit: time_wait, orphans, ephemeral_ports (busiest destination), accept_queue.",
                pressure[metric]["ratio"], metric=metric)
    worst = entry["worst_destination"]
    if worst:
        out.add("netfleet_tcp_ephemeral_ports_used", "gauge",
                "Local ephemeral ports held towards the busiest destination.",
                worst["count"], destination="%s:%s" % (worst["address"], worst["port"]))
    for group, counters in sorted(_mapping(entry["counters"]).items()):
        for name, value in sorted(_mapping(counters).items()):
            if name in ("RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", "CurrEstab"):
                # Constants and gauges in /proc/net/snmp, not counters.
                if name == "CurrEstab":
                    out.add("netfleet_tcp_curr_estab", "gauge", "Tcp CurrEstab from /proc/net/snmp.", value)
                continue
            out.add("netfleet_tcp_counter_%s_%s_total" % (_counter_metric(group), _counter_metric(name)), "counter",
                    "%s %s since boot (/proc/net/snmp, /proc/net/netstat)." % (group, name), value)
    for metric_family, kind, help_text, value, labels in _audit_namespaces.prometheus_samples(entry):
        out.add(metric_family, kind, help_text, value, **labels)
    summary = entry["summary"]
    for severity, field in (("error", "errors"), ("warning", "warnings"), ("info", "infos")):
        out.add("netfleet_tcp_audit_findings", "gauge", "Audit findings per severity.", summary[field],
                severity=severity)
    out.add("netfleet_tcp_audit_drifted_keys", "gauge",
            "Sysctl keys whose live value differs from the persisted or desired value.", entry["drift"])
    return out.text()


RENDERERS = {
    "markdown": render_markdown,
    "json": render_json,
    "junit": render_junit,
    "table": table_lines,
}
