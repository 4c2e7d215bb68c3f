# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus text format for node_exporter's textfile collector, one file per host.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_namespaces
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr
from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import METRICS, _mapping
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import TCP_STATES, ReportInputError, parse_time

FORMAT = {"name": "prometheus", "file": "{host}.prom", "scope": "host",
          "description": "one host's numbers in the Prometheus text format (node_exporter textfile collector)"}

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


def snake_case(name):
    """A kernel counter name in snake_case: TCPReqQFullDoCookies -> tcp_req_q_full_do_cookies."""
    text = re.sub(r"[^a-zA-Z0-9]+", "_", str(name))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"_+", "_", text).strip("_").lower()


def counter_family(group, name):
    """The metric family of one kernel counter: netfleet_tcp_<group>_<name in snake_case>_total.

    The group is lower-cased as one word (Tcp -> tcp, TcpExt -> tcpext) so every counter
    of /proc/net/snmp and /proc/net/netstat keeps a name of its own.
    """
    group_name = re.sub(r"[^a-z0-9]+", "_", str(group).lower()).strip("_")
    base = re.sub(r"(_total)+$", "", snake_case(name))
    return "netfleet_tcp_%s_%s_total" % (group_name, base)


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
    stamp = parse_time(report["generated_at"])
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
            out.add(counter_family(group, name), "counter",
                    "%s %s since boot (/proc/net/snmp, /proc/net/netstat)." % (group, name), value)
    for metric_family, kind, help_text, value, labels in _audit_namespaces.prometheus_samples(entry):
        out.add(metric_family, kind, help_text, value, **labels)
    summary = entry["summary"]
    for severity, field in (("error", "errors"), ("warning", "warnings"), ("info", "infos")):
        out.add("netfleet_tcp_audit_findings", "gauge", "Audit findings per severity.", summary[field],
                severity=severity)
    out.add("netfleet_tcp_audit_drifted_keys", "gauge",
            "Sysctl keys whose live value differs from the persisted or desired value.", entry["drift"])
    _changes(out, report, entry["host"])
    return out.text()


_CHANGE_KINDS = ("findings_new", "findings_resolved", "keys_drifted", "keys_repaired", "pressure")


def _changes(out, report, host):
    """Per kind, how many changes since the previous audit concern this host (none without one)."""
    changes = report.get("changes") or {}
    previous = changes.get("previous")
    if not previous:
        return
    stamp = parse_time(previous["generated_at"])
    out.add("netfleet_tcp_audit_previous_timestamp_seconds", "gauge",
            "When the previous audit of these hosts, which the changes are counted against, was generated.",
            int((stamp - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()))
    out.add("netfleet_tcp_audit_changes", "gauge",
            "Changes since the previous audit: host added, findings new/resolved, keys drifted/repaired, "
            "pressure figures that moved.", 1 if host in changes.get("hosts_added", []) else 0, change="host_added")
    for kind in _CHANGE_KINDS:
        out.add("netfleet_tcp_audit_changes", "gauge",
                "Changes since the previous audit: host added, findings new/resolved, keys drifted/repaired, "
                "pressure figures that moved.", sum(1 for item in changes.get(kind, []) if item["host"] == host),
                change=kind)
