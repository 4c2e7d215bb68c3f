# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.audit_report and netfleet.tcp.audit_render: the fleet audit report.

Docs: audit_report.yml and audit_render.yml beside this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import (
    FORMATS as _REGISTRY,
    ReportInputError,
    build_report,
    plain,
    render_format,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import history_for_report
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import filter_error, short_repr, whole_number

FORMATS = tuple(sorted(_REGISTRY))


def _list(value, name):
    if value is None:
        return None
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise filter_error("audit_report", "%s must be a list of host names" % name)
    return [str(item) for item in value]


def audit_report(results, *, hosts=None, active=None, profile=None, fail_on="error", thresholds=None,
                 top=5, pressure_findings=True, generated_at=None, record_var="__audit_record",
                 facts_var="__audit_facts", check_vars=None, probe_vars=None, title="TCP fleet audit",
                 history_dir=None, history_keep=10):
    """Build the fleet report from per-host results (hostvars, or records with record_var='' and facts_var='')."""
    if check_vars is None:
        check_vars = ["__audit_profile_check", "__audit_check"]
    try:
        history, keep = history_for_report(history_dir, history_keep)
        return build_report(
            results,
            hosts=_list(hosts, "hosts"),
            active=_list(active, "active"),
            record_var=record_var or None,
            facts_var=facts_var or None,
            check_vars=_list(check_vars, "check_vars") or (),
            probe_vars=_list(probe_vars, "probe_vars") or (),
            profile=None if profile is None else str(profile),
            fail_on=str(fail_on),
            thresholds=thresholds,
            top=whole_number(top),
            pressure_findings=bool(pressure_findings),
            generated_at=generated_at,
            title=str(title),
            history=history,
            history_keep=keep,
        )
    except ReportInputError as error:
        raise filter_error("audit_report", error)


def audit_render(report, format="markdown", host=None):  # pylint: disable=redefined-builtin
    """Render a report built by audit_report as markdown, json, junit, table lines or prometheus."""
    if format not in FORMATS:
        raise filter_error("audit_render", "format must be one of %s, got %s" % (", ".join(FORMATS), short_repr(format)))
    report = plain(report)
    if not isinstance(report, dict) or "schema_version" not in report or "hosts" not in report:
        raise filter_error("audit_render", "expects a report built by netfleet.tcp.audit_report")
    try:
        if _REGISTRY[format]["scope"] == "host":
            if host is None:
                raise filter_error("audit_render", "format '%s' needs host=<inventory name>" % format)
            return render_format(report, format, str(host))
        return render_format(report, format)
    except (ReportInputError, KeyError, TypeError) as error:
        raise filter_error("audit_render", "cannot render %s: %s" % (format, error))


class FilterModule(object):

    def filters(self):
        return {"audit_report": audit_report, "audit_render": audit_render}
