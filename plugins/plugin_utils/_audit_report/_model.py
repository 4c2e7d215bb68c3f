# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report model: build_report assembles the hosts' lines and the fleet parts.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr
from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import PressureInputError, merge_thresholds
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import (
    GATES,
    SCHEMA_ID,
    SCHEMA_VERSION,
    ReportInputError,
    parse_time,
    plain,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._fleet import evaluate_gate, findings_by_rule, fleet_totals, top_offenders
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import attach
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._host import empty_entry, host_entry
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._hostvars import get_var, missing_status, record_from_results


def build_report(results, *, hosts=None, active=None, record_var="__audit_record", facts_var=None,
                 check_vars=(), probe_vars=(), profile=None, fail_on="error", thresholds=None, top=5,
                 pressure_findings=True, generated_at=None, title="TCP fleet audit", history=(), history_keep=10):
    """The fleet report as a JSON-able dict (see audit_report.schema.json).

    ``results`` maps host name to that host's variables (hostvars). A host's record is
    the variable ``record_var`` when it is set (the audit role sets it only for a host
    whose audit failed), else it is assembled from the registered results named by
    ``facts_var`` and ``check_vars`` (see record_from_results). With ``record_var``
    and ``facts_var`` both empty, the values of ``results`` are the records themselves.
    ``hosts`` lists every host of the play in order (default: the keys of ``results``);
    ``active`` the hosts still in the play. A host of ``hosts`` without a record is
    reported as unreachable or failed, using the registered results named in
    ``facts_var``, ``check_vars`` and ``probe_vars`` to tell which. ``history`` holds the
    snapshots of earlier runs (_history.load_snapshots): the report's ``changes`` and
    ``trend`` come from them and the last ``history_keep`` runs.
    """
    if fail_on not in GATES:
        raise ReportInputError("fail_on must be one of %s, got %s" % (", ".join(GATES), short_repr(fail_on)))
    if isinstance(history_keep, bool) or not isinstance(history_keep, int) or history_keep < 0:
        raise ReportInputError("history_keep must be an integer of 0 or more, got %s" % short_repr(history_keep))
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ReportInputError("top must be a positive integer, got %s" % short_repr(top))
    if not hasattr(results, "keys"):
        raise ReportInputError("results must be a mapping of host name to host variables or records")
    try:
        thresholds = merge_thresholds(plain(thresholds))
    except PressureInputError as error:
        raise ReportInputError(str(error))
    profile = profile if profile not in ("", None, "none") else None
    moment = parse_time(generated_at)
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
            facts_result = get_var(variables, facts_var)
            if record is None and not (isinstance(facts_result, dict) and facts_result.get("unreachable")):
                record = get_var(variables, record_var)
        else:
            record = variables
        record = plain(record) if record is not None else None
        if not record:
            status, reason = missing_status(variables, probes) if variables else (
                "failed", "no result: the host left the play before it was audited")
            entries.append(empty_entry(host, status, reason))
            continue
        try:
            entry = host_entry(host, record, thresholds, pressure_findings, top)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
            # One host's unreadable data never stops the report for the others.
            entry = empty_entry(host, "failed", "its results could not be read: %s: %s" % (
                type(error).__name__, short_repr(str(error))))
        if active_names is not None and host not in active_names and entry["status"] == "ok":
            # Audited, then failed in a later task of the play: keep the data, say so.
            entry["error"] = "left the play after it was audited"
        entries.append(entry)
    report = {
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
    return attach(report, list(history or ()), history_keep)
