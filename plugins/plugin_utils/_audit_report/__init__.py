# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit report: per-host results in, one report out, rendered in every registered format.

PRIVATE: internal to the netfleet.tcp collection. Controller-side only (the audit role
calls it through the netfleet.tcp.audit_report and netfleet.tcp.audit_render filters and
the netfleet.tcp.audit_files action); plain functions, so unit tests feed recorded results.

Input, per host, is a *record* the audit role keeps on every host it audits::

    {"status": "ok", "tcp_state": <ansible_facts.tcp_state>,
     "check": <netfleet.tcp.sysctl_check result>, "profile": "web_frontend" | None}
    {"status": "failed", "error": "message", "task": "name of the task that failed"}

Hosts of the play without a record left it before they could be audited: unreachable
(when their registered result says so) or failed.

Where things are:

- ``_hostvars``: the adapter from Ansible's hostvars (registered results) to records;
- ``_host`` (one host's line), ``_fleet`` (totals, offenders, rules, gate) and ``_model``
  (``build_report``): the report, a plain JSON-able dict described by
  roles/tcp_audit/files/audit_report.schema.json;
- the pressure findings come from the rule registry (``module_utils._rules.pressure``);
- ``renderers``: the formats registry, one ``fmt_<name>.py`` file per format.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import (  # noqa: F401
    GATES,
    SEVERITIES,
    STATUSES,
    TCP_STATES,
    ReportInputError,
    gate_reached,
    plain,
    severity_rank,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._host import host_entry  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._model import build_report  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers import (  # noqa: F401
    FORMATS,
    file_formats,
)


def render_format(report, name, host=None):
    """The report rendered in format ``name`` (``host`` for a per-host format such as prometheus)."""
    spec = FORMATS.get(name)
    if spec is None:
        raise ReportInputError("unknown report format %r; known: %s" % (name, ", ".join(sorted(FORMATS))))
    if spec["scope"] == "host":
        if host is None:
            raise ReportInputError("format %r needs host=<inventory name>" % name)
        return spec["render"](report, host)
    return spec["render"](report)
