# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's view of a host's network namespaces (tcp_state_facts with ``namespaces: all``).

PRIVATE: internal to the netfleet.tcp collection. Controller-side only; plain functions
from the facts to rows, verdicts, findings and rendered lines, which the audit report
calls at a few points (its host entry, its Markdown and its Prometheus export).

Each namespace other than the one the module ran in (the host's own row of the report)
is judged with tcp_pressure against its own limits, so a pod that runs out of ephemeral
ports towards one upstream is seen on a host whose own namespace is quiet.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import (
    PressureInputError,
    _mapping,
    _number,
    tcp_pressure,
)

RANKINGS = (
    ("time_wait", "TIME_WAIT sockets"),
    ("ephemeral_ports", "ephemeral ports towards one destination"),
    ("close_wait", "CLOSE_WAIT sockets"),
)
JUDGED = ("time_wait", "ephemeral_ports")
TCP_STATES = (
    "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
    "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
)
_SEVERITY = {"warning": "warning", "critical": "error"}
_RULES = {
    "time_wait": (
        "pressure-namespace-time-wait",
        "net.ipv4.tcp_max_tw_buckets",
        "Network namespace {namespace} ({holders}): TIME_WAIT buckets fill {pct} of its own "
        "tcp_max_tw_buckets ({count} of {limit}); at 100% its kernel destroys TIME_WAIT sockets early.",
        "Find who opens and closes connections at this rate inside that namespace (its busiest "
        "destinations); prefer connection reuse. tcp_max_tw_buckets is per namespace: raise it there "
        "(the container's or pod's sysctls), not on the host.",
    ),
    "ephemeral_ports": (
        "pressure-namespace-ephemeral-ports",
        "net.ipv4.ip_local_port_range",
        "Network namespace {namespace} ({holders}): connections to {destination} use {pct} of its "
        "usable ephemeral ports ({count} of {limit}); when they run out, connect() fails there with "
        "EADDRNOTAVAIL while the host's own namespace may look quiet.",
        "Reuse connections to that destination inside the container or pod (keep-alive, pooling), widen "
        "its own net.ipv4.ip_local_port_range (a namespaced sysctl: set it in the pod's securityContext "
        "sysctls or the container's --sysctl), or spread the load over more destinations.",
    ),
}


def label(entry):
    """How a namespace is named in the report: its /run/netns name, else ``initial:N`` for the
    machine's initial namespace and ``inode:N`` for the others."""
    return entry.get("name") or "%s:%s" % ("initial" if entry.get("initial") else "inode", entry.get("inode"))


def holders_text(entry):
    """``comm (runtime id12)`` of the first holder, ``+N more``; ``no process`` when none."""
    holders = [item for item in entry.get("holders") or [] if isinstance(item, dict)]
    if not holders:
        return "no process"
    first = holders[0]
    text = "%s[%s]" % (first.get("comm") or "?", first.get("pid"))
    container = _mapping(first.get("container"))
    if container:
        ident = container.get("name") or (container.get("id") or "")[:12] or container.get("pod_uid")
        text += " %s %s" % (container.get("runtime"), ident) if ident else " %s" % container.get("runtime")
        if container.get("pod_uid") and ident != container.get("pod_uid"):
            text += " pod %s" % container["pod_uid"]
    more = (_number(entry.get("holder_count")) or len(holders)) - 1
    return text + (" +%d more" % more if more > 0 else "")


def _row(entry, thresholds):
    pressure = tcp_pressure(entry, thresholds)
    states = _mapping(entry.get("states"))
    worst = pressure["ephemeral_ports"]["worst"]
    verdicts = dict((metric, pressure[metric]["verdict"]) for metric in JUDGED)
    return {
        "namespace": label(entry),
        "name": entry.get("name"),
        "inode": entry.get("inode"),
        "holders": holders_text(entry),
        "states": dict((name, _number(states.get(name)) or 0) for name in TCP_STATES),
        "time_wait": _number(states.get("TIME_WAIT")) or 0,
        "close_wait": _number(states.get("CLOSE_WAIT")) or 0,
        "time_wait_pressure": pressure["time_wait"],
        "ephemeral_ports": pressure["ephemeral_ports"],
        "worst_destination": worst,
        "port_share": worst["share"] if worst else None,
        "verdicts": verdicts,
    }


def _rank_value(row, metric):
    if metric == "ephemeral_ports":
        return row["port_share"]
    return row[metric]


def namespace_summary(facts, thresholds=None, top=5):
    """The ``namespaces`` part of a host's report entry, or None without ``namespaces: all`` facts.

    ``rows`` holds every namespace counted except the module's own (the host's row);
    ``busiest`` the ``top`` of them per ranking (non-zero only); ``not_counted`` those
    gone, not entered or failed, with the reason.
    """
    entries = _mapping(facts).get("namespaces")
    if not isinstance(entries, list):
        return None
    rows, not_counted = [], []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("current"):
            continue
        if entry.get("status") != "ok" or not isinstance(entry.get("states"), dict):
            not_counted.append({"namespace": label(entry), "inode": entry.get("inode"),
                                "status": str(entry.get("status") or "error"), "reason": entry.get("reason")})
            continue
        try:
            rows.append(_row(entry, thresholds))
        except PressureInputError as error:
            not_counted.append({"namespace": label(entry), "inode": entry.get("inode"), "status": "error",
                                "reason": str(error)})
    busiest = {}
    for metric, _title in RANKINGS:
        ranked = [row for row in rows if (_rank_value(row, metric) or 0) > 0]
        ranked.sort(key=lambda row: (-_rank_value(row, metric), row["namespace"]))
        busiest[metric] = [row["namespace"] for row in ranked[:top]]
    scan = _mapping(_mapping(facts).get("namespace_scan"))
    return {"count": len(entries), "scan": dict(scan), "rows": rows, "busiest": busiest, "not_counted": not_counted}


def _pct(ratio):
    return "-" if ratio is None else ("%.0f%%" % (ratio * 100) if ratio >= 0.1 or ratio == 0 else "%.1f%%" % (ratio * 100))


def namespace_findings(summary):
    """Pressure findings (warning -> warning, critical -> error) for each namespace's own limits."""
    findings = []
    for row in (summary or {}).get("rows", []):
        for metric in JUDGED:
            severity = _SEVERITY.get(row["verdicts"][metric])
            if not severity:
                continue
            rule, key, message, remediation = _RULES[metric]
            fields = {"namespace": row["namespace"], "holders": row["holders"]}
            if metric == "time_wait":
                part = row["time_wait_pressure"]
                fields.update(count=part["count"], limit=part["limit"], pct=_pct(part["ratio"]))
                value = "%s %s/%s" % (row["namespace"], part["count"], part["limit"])
            else:
                worst = row["worst_destination"] or {}
                destination = "%s:%s" % (worst.get("address"), worst.get("port"))
                limit = row["ephemeral_ports"]["usable_ports"]
                fields.update(count=worst.get("count"), limit=limit, destination=destination,
                              pct=_pct(row["port_share"]))
                value = "%s %s %s/%s" % (row["namespace"], destination, worst.get("count"), limit)
            findings.append({"id": rule, "severity": severity, "key": key, "value": value,
                             "message": message.format(**fields), "remediation": remediation,
                             "source": "pressure"})
    return findings


def _destination_text(row):
    worst = row["worst_destination"]
    if not worst:
        return "none"
    return "%s:%s %s (%s)" % (worst["address"], worst["port"], worst["count"], _pct(worst["share"]))


def _worst_verdict(row):
    order = ("ok", "warning", "critical")
    known = [verdict for verdict in row["verdicts"].values() if verdict in order]
    return max(known, key=order.index) if known else "unknown"


def markdown_rows(report):
    """``(busiest rows, not counted rows)`` for the report's namespace tables, host by host."""
    busiest, missing = [], []
    for entry in report.get("hosts", []):
        summary = entry.get("namespaces")
        if entry.get("status") != "ok" or not summary:
            continue
        by_name = dict((row["namespace"], row) for row in summary["rows"])
        for metric, title in RANKINGS:
            for rank, name in enumerate(summary["busiest"].get(metric, []), 1):
                row = by_name[name]
                busiest.append([entry["host"], title, rank, name, row["holders"], row["time_wait"],
                                row["close_wait"], _destination_text(row), _worst_verdict(row)])
        for item in summary["not_counted"]:
            missing.append([entry["host"], item["namespace"], item["status"], item["reason"]])
    return busiest, missing


def prometheus_samples(entry):
    """``(metric, kind, help, value, labels)`` for each counted namespace of a host entry."""
    summary = entry.get("namespaces") or {}
    for row in summary.get("rows", []):
        labels = {"namespace": row["namespace"]}
        for state in TCP_STATES:
            yield ("netfleet_tcp_namespace_sockets", "gauge",
                   "TCP sockets per state in each network namespace other than the audited one (socket census).",
                   row["states"][state], dict(labels, state=state.lower()))
        for metric, part in (("time_wait", row["time_wait_pressure"]), ("ephemeral_ports", row["ephemeral_ports"])):
            yield ("netfleet_tcp_namespace_pressure_ratio", "gauge",
                   "Usage of a TCP limit in a network namespace, against its own limits: time_wait, ephemeral_ports "
                   "(busiest destination).", part["ratio"], dict(labels, metric=metric))
    if summary:
        for status in ("ok", "gone", "cannot_enter", "error"):
            yield ("netfleet_tcp_namespaces", "gauge", "Network namespaces found on the host, by status of their census.",
                   _number(summary["scan"].get(status)), {"status": status})
