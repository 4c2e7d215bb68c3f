# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Markdown: the report as a document for people reading it in a browser, an editor or a merge request.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_namespaces
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import OFFENDER_METRICS, TCP_STATES, pct as _pct
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._escape import md_text
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import change_lines, change_summary

FORMAT = {"name": "markdown", "file": "audit.md", "scope": "fleet",
          "description": "a Markdown document: hosts, fleet totals, top offenders, findings by rule, drift"}


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return md_text(value) or "-"


_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")


def _rule_id(rule_id):
    # A rule id in a code span when it is a plain name; any other text escaped.
    return "`%s`" % rule_id if _PLAIN_ID.match(rule_id) else md_text(rule_id)


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


def _head(report):
    gate = report["gate"]
    totals = report["totals"]
    return [
        "# %s" % md_text(report["title"]),
        "",
        "- Generated: %s by %s" % (report["generated_at"], report["generator"]),
        "- Profile: %s" % (md_text(report["profile"]) if report["profile"] else "none (live values judged alone)"),
        "- Gate: `tcp_audit_fail_on: %s`: %s%s" % (
            md_text(gate["fail_on"]), "**FAILED**, " if gate["failed"] else "", md_text(gate["message"])),
        "- Hosts: %d in the play, %d audited, %d failed, %d unreachable" % (
            totals["hosts"], totals["ok"], totals["failed"], totals["unreachable"]),
    ]


def _changes_section(report):
    changes = report.get("changes")
    if not changes:
        return []
    lines = ["## Changes since the previous audit", ""]
    if not changes.get("previous"):
        return lines + ["No earlier audit of these hosts in the history: nothing to compare."]
    lines.append("Compared with the audit of %s (%s)." % (
        md_text(changes["previous"]["generated_at"]), md_text(change_summary(changes))))
    lines.append("")
    lines.extend("- %s" % md_text(line) for line in change_lines(changes))
    return lines


def _hosts_section(report):
    lines = ["## Hosts", ""]
    lines.extend(_table(HOST_HEADER, [host_columns(entry) for entry in report["hosts"]]))
    lines.extend([
        "",
        "TIME_WAIT pressure is the TIME_WAIT buckets in use (sockstat tw, orphaned FIN_WAIT2 included) / "
        "net.ipv4.tcp_max_tw_buckets; the worst ephemeral-port use is the destination holding most local ports "
        "of net.ipv4.ip_local_port_range (reserved ports excluded), as a share of them; listen overflows count "
        "since boot.",
    ])
    return lines


def _totals_section(report):
    totals = report["totals"]
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
    return ["## Fleet totals", ""] + _table(["Metric", "Fleet"], total_rows)


def _offenders_section(report):
    lines = ["## Top offenders", ""]
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
    return lines


def _namespaces_section(report):
    """The busiest network namespaces per host (tcp_state_facts with namespaces: all), if any."""
    busiest, missing = _audit_namespaces.markdown_rows(report)
    if not busiest and not missing:
        return []
    lines = ["## Busiest network namespaces", ""]
    if busiest:
        lines.extend(_table(["Host", "Ranked by", "#", "Namespace", "Holders", "TIME_WAIT", "CLOSE_WAIT",
                             "Worst ephemeral-port use", "Verdict"], busiest))
    else:
        lines.append("No namespace other than the audited one holds TIME_WAIT, CLOSE_WAIT or ephemeral ports.")
    if missing:
        lines.extend(["", "Namespaces not counted:", ""])
        lines.extend(_table(["Host", "Namespace", "Status", "Reason"], missing))
    return lines


def _rules_section(report):
    lines = ["## Findings by rule", ""]
    if not report["findings_by_rule"]:
        lines.append("No findings.")
    for rule in report["findings_by_rule"]:
        lines.extend([
            "### %s (%s%s): %d host%s" % (
                _rule_id(rule["id"]), md_text(rule["severity"]), ", fails the gate" if rule["gate"] else "",
                len(rule["hosts"]), "" if len(rule["hosts"]) == 1 else "s"),
            "",
            "Hosts: %s" % ", ".join(md_text(host) for host in rule["hosts"]),
            "",
        ])
        lines.extend(_table(
            ["Host", "Severity", "Key", "Value", "Message"],
            [[item["host"], item["severity"], item["key"], item["value"], item["message"]]
             for item in rule["occurrences"]],
        ))
        if rule["remediation"]:
            lines.extend(["", "Remediation: %s" % md_text(rule["remediation"])])
        lines.append("")
    if report["findings_by_rule"]:
        lines.pop()
    return lines


def _drift_section(report):
    drift_rows = []
    for entry in report["hosts"]:
        for item in entry["drifted_keys"]:
            drift_rows.append([entry["host"], item["key"], item["live"], item["persisted"],
                               item["persisted_file"], item["desired"]])
    lines = ["## Drift", ""]
    if drift_rows:
        lines.extend(_table(["Host", "Key", "Live", "Persisted (boot)", "File", "Desired"], drift_rows))
    else:
        lines.append("No drift: live values match the persisted configuration%s." % (
            " and the profile" if report["profile"] else ""))
    return lines


def _missing_section(report):
    missing = [entry for entry in report["hosts"] if entry["status"] != "ok"]
    lines = ["## Unreachable and failed hosts", ""]
    if missing:
        lines.extend(_table(["Host", "Status", "Reason"],
                            [[entry["host"], entry["status"], entry["error"]] for entry in missing]))
    else:
        lines.append("None: every host of the play was audited.")
    return lines


SECTIONS = (_head, _changes_section, _hosts_section, _totals_section, _offenders_section, _namespaces_section, _rules_section, _drift_section,
            _missing_section)


def render_markdown(report):
    """The report as a Markdown document."""
    lines = []
    for section in SECTIONS:
        part = section(report)
        if part:
            lines.extend(part + [""])
    return "\n".join(lines)
