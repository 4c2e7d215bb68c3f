# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge fleet audit reports written by several runs (AWX job slices, serial batches,
--limit runs) into one fleet report.

PRIVATE: internal to the netfleet.tcp collection. Controller-side only (the
netfleet.tcp.audit_merge filter and playbooks/audit_merge.yml call it); plain functions.

Each report's host entries are already judged, so the merge picks one entry per host and
recomputes what spans hosts (gate, totals, top offenders, findings by rule) with the
report module's own functions. Per host, an audited entry (status ok) wins over one that
says the host was not audited (a batch that had not reached it yet, a slice it was not
in); among entries of the same kind the newest report wins.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import (
    GATES,
    ReportInputError,
    plain,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._fleet import (
    evaluate_gate,
    findings_by_rule,
    fleet_totals,
    top_offenders,
)

_REQUIRED = ("schema_version", "generated_at", "run_id", "hosts", "gate")


def _check_report(report, index):
    if not isinstance(report, dict) or any(key not in report for key in _REQUIRED):
        raise ReportInputError(
            "report %d is not a fleet audit report (audit.json or the audit_report fact): it lacks %s"
            % (index, ", ".join(key for key in _REQUIRED if not isinstance(report, dict) or key not in report)))
    if not isinstance(report["hosts"], list):
        raise ReportInputError("report %d: hosts must be a list of host entries" % index)


def _same(reports, key, what):
    values = []
    for report in reports:
        value = report.get(key)
        if value not in values:
            values.append(value)
    if len(values) > 1:
        raise ReportInputError("the reports were made with different %s (%s); merge only reports of the same "
                               "audit settings" % (what, ", ".join(repr(value) for value in values)))
    return values[0] if values else None


def _better(new, old):
    """Whether host entry ``new`` (from a newer or equally new report) replaces ``old``."""
    return (new["status"] == "ok") >= (old["status"] == "ok")


def merge_reports(reports, fail_on=None, top=5, title=None, generated_at=None):
    """One fleet report from several (see the module docstring); a JSON-able dict like build_report's.

    The merged report is dated ``generated_at`` (a datetime, default now, UTC), so its run id
    and default folder differ from those of the reports it merges; its title names them.
    """
    reports = plain(reports)
    if isinstance(reports, dict):
        reports = [reports]
    if not isinstance(reports, list) or not reports:
        raise ReportInputError("expects a non-empty list of fleet audit reports")
    for index, report in enumerate(reports):
        _check_report(report, index)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ReportInputError("top must be a positive integer, got %r" % (top,))
    schema = _same(reports, "schema_version", "schema versions")
    profile = _same(reports, "profile", "profiles (tcp_audit_profile)")
    thresholds = _same(reports, "thresholds", "pressure thresholds (tcp_audit_thresholds)")
    if fail_on is None:
        fail_on = _same([report["gate"] for report in reports], "fail_on", "gates (tcp_audit_fail_on)")
    if fail_on not in GATES:
        raise ReportInputError("fail_on must be one of %s, got %r" % (", ".join(GATES), fail_on))
    ordered = sorted(reports, key=lambda report: str(report["generated_at"]))
    chosen = {}
    order = []
    for report in ordered:
        for entry in report["hosts"]:
            host = entry["host"]
            if host not in chosen:
                order.append(host)
                chosen[host] = entry
            elif _better(entry, chosen[host]):
                chosen[host] = entry
    entries = [chosen[host] for host in order]
    newest = ordered[-1]
    moment = (generated_at or datetime.datetime.now(datetime.timezone.utc)).replace(microsecond=0)
    runs = [str(report["run_id"]) for report in ordered]
    merged = dict((key, value) for key, value in newest.items() if key not in ("hosts",))
    merged.update({
        "schema_version": schema,
        "title": title or "%s, merged from %d report%s (%s)" % (
            newest.get("title") or "TCP fleet audit", len(runs), "" if len(runs) == 1 else "s", ", ".join(runs)),
        "generated_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": moment.strftime("%Y%m%dT%H%M%SZ"),
        "profile": profile,
        "thresholds": thresholds,
        "gate": evaluate_gate(entries, fail_on),
        "totals": fleet_totals(entries),
        "hosts": entries,
        "top_offenders": top_offenders(entries, top),
        "findings_by_rule": findings_by_rule(entries, fail_on),
    })
    return merged
