# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names, types and small helpers every part of the audit report shares.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import numbers

# gate_reached and severity_rank are re-exported for the renderers and the model.
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._severity import (  # noqa: F401 pylint: disable=unused-import
    FAIL_ON,
    gate_reached,
    severity_rank,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr

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
        # str.__str__, not str(): ansible-core 2.17/2.18's AnsibleUnsafeText returns itself from
        # __str__, and JMESPath calls a str subclass "unknown".
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str.__str__(value)
    if hasattr(value, "items"):
        return dict((str(key), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return [plain(item) for item in value]
    return str(value)


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def parse_time(value):
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


def pct(ratio):
    if ratio is None:
        return "-"
    return "%.0f%%" % (ratio * 100) if ratio >= 0.1 or ratio == 0 else "%.1f%%" % (ratio * 100)
