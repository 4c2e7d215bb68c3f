# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet-wide parts of the report: totals, top offenders, findings by rule, the gate.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import (
    OFFENDER_METRICS,
    TCP_STATES,
    ReportInputError,
    gate_reached,
    severity_rank,
)


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
        message = "gate off (tcp_audit_fail_on: never)"
    elif hosts:
        message = "%d finding%s at or above '%s' on %d host%s: %s" % (
            count, "" if count == 1 else "s", fail_on, len(hosts), "" if len(hosts) == 1 else "s", ", ".join(hosts))
    else:
        message = "no finding at or above '%s'" % fail_on
    unaudited = dict((entry["host"], "%s: %s" % (entry["status"], entry["error"]))
                     for entry in entries if entry["status"] != "ok")
    return {"fail_on": fail_on, "failed": bool(hosts), "hosts": hosts, "by_host": by_host, "findings": count,
            "message": message, "unaudited": unaudited}
