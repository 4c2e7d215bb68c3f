# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's line of the report, from its record.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.netfleet.tcp.plugins.module_utils._rules.pressure import (
    PRESSURE_RULES as _PRESSURE_RULES,
    PRESSURE_SEVERITY as _PRESSURE_SEVERITY,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import desired_met, equivalent
from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_namespaces
from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import METRICS, _mapping, _number, tcp_pressure
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import (
    SEVERITIES,
    STATUSES,
    TCP_STATES,
    pct as _pct,
    severity_rank,
)


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


def _text(value):
    return None if value is None else str(value)


def _keys(check):
    """Per key judged by sysctl_check: live, boot value and its file, wanted value (text or None)."""
    keys = {}
    for key, info in sorted(_mapping(check.get("keys")).items()):
        if isinstance(info, dict):
            desired = info.get("desired")
            if isinstance(desired, dict):
                bound = desired.get("bound")
                desired = "%s%s" % (bound[0], bound[1]) if bound and len(bound) == 2 else desired.get("value")
            keys[str(key)] = {"live": _text(info.get("live")), "persisted": _text(info.get("persisted")),
                              "persisted_file": _text(info.get("persisted_file")), "desired": _text(desired)}
    return keys


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


def empty_entry(host, status, error=None, task=None):
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
        "keys": {},
        "boot_files": [],
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
        return empty_entry(host, status, record.get("error") or "the audit did not complete", record.get("task"))
    facts = _mapping(record.get("tcp_state"))
    check = _mapping(record.get("check"))
    if not facts or not facts.get("states"):
        return empty_entry(host, "failed", "no tcp_state facts in the host's record", record.get("task"))
    entry = empty_entry(host, "ok")
    context = _mapping(check.get("context"))
    host_facts = _mapping(facts.get("host"))
    states = _mapping(facts.get("states"))
    pressure = tcp_pressure(facts, thresholds)
    pressure.pop("thresholds", None)
    # sysctl_check returns drift apart from its findings; the report lists both, and counts drift
    # in its own column (drifted_keys) as before.
    findings = [_finding(item, "sysctl_check") for item in (check.get("findings") or []) + (check.get("drift") or [])]
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
        "keys": _keys(check),
        "boot_files": [str(item) for item in _mapping(check.get("persisted")).get("sources") or []],
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
