# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.tcp_state_summary: a short human summary of tcp_state facts (docs: tcp_state_summary.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers

from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import filter_error, short_repr

STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _number(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return None
    return value


def _count(value):
    number = _number(value)
    return "-" if number is None else "%d" % number


def _percent(ratio):
    number = _number(ratio)
    return "n/a" if number is None else "%.2f%%" % (number * 100.0)


def _endpoint(address, port):
    text = "%s" % address
    return "[%s]:%s" % (text, port) if ":" in text else "%s:%s" % (text, port)


def _ratio_line(label, ratio, count, limit, limit_name):
    if _number(limit) is None:
        return "  %-24s n/a (%s is absent here)" % (label, limit_name)
    return "  %-24s %s (%s of %s %s)" % (label, _percent(ratio), _count(count), _count(limit), limit_name)


def summary_lines(facts, top=5):
    """The summary as a list of lines (see tcp_state_summary.yml)."""
    if not isinstance(facts, dict):
        raise ValueError("expected the tcp_state facts of one host (a mapping), got %s" % type(facts).__name__)
    if "states" not in facts and isinstance(facts.get("tcp_state"), dict):
        facts = facts["tcp_state"]
    if "states" not in facts:
        raise ValueError("expected ansible_facts.tcp_state from netfleet.tcp.tcp_state_facts; the mapping has no 'states'")
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise ValueError("top must be a non-negative integer, got %s" % short_repr(top))
    states = _mapping(facts.get("states"))
    families = _mapping(facts.get("families"))
    ipv4, ipv6 = _mapping(families.get("ipv4")), _mapping(families.get("ipv6"))
    host = _mapping(facts.get("host"))
    limits = _mapping(facts.get("limits"))
    pressure = _mapping(facts.get("pressure"))
    sockstat = _mapping(_mapping(facts.get("sockstat")).get("tcp"))

    lines = ["TCP sockets: %s (source: %s%s, kernel %s%s)" % (
        _count(facts.get("total")),
        facts.get("source") or "?",
        " %s" % facts["method"] if facts.get("method") and facts.get("method") != "proc_net_tcp" else "",
        host.get("kernel") or "?",
        "" if host.get("initial_netns", True) else ", child network namespace",
    )]
    lines.append("  %-12s %10s %10s %10s" % ("state", "total", "ipv4", "ipv6"))
    for name in STATES:
        lines.append("  %-12s %10s %10s %10s" % (name, _count(states.get(name)), _count(ipv4.get(name)), _count(ipv6.get(name))))
    lines.append("Kernel accounting: tw %s, orphan %s, inuse %s (ipv6 %s)" % (
        _count(sockstat.get("tw")), _count(sockstat.get("orphan")), _count(sockstat.get("inuse")),
        _count(_mapping(_mapping(facts.get("sockstat")).get("tcp6")).get("inuse"))))
    lines.append("Pressure:")
    lines.append(_ratio_line("TIME_WAIT", pressure.get("time_wait_ratio"), states.get("TIME_WAIT"),
                             limits.get("tcp_max_tw_buckets"), "tcp_max_tw_buckets"))
    lines.append(_ratio_line("timewait buckets", pressure.get("tw_bucket_ratio"), sockstat.get("tw"),
                             limits.get("tcp_max_tw_buckets"), "tcp_max_tw_buckets"))
    lines.append(_ratio_line("orphans", pressure.get("orphan_ratio"), sockstat.get("orphan"),
                             limits.get("tcp_max_orphans"), "tcp_max_orphans"))

    ports = facts.get("ports")
    if isinstance(ports, dict):
        destinations = [entry for entry in ports.get("destinations") or [] if isinstance(entry, dict)]
        usable = ports.get("usable_ports")
        if not destinations:
            lines.append("Busiest destinations: none (no socket uses an ephemeral port; %s usable)" % _count(usable))
        else:
            lines.append("Busiest destinations (ephemeral ports in use, of %s usable per destination):" % _count(usable))
            for entry in destinations[:top]:
                lines.append("  %-40s %10s %8s" % (_endpoint(entry.get("address"), entry.get("port")),
                                                   _count(entry.get("count")), _percent(entry.get("share"))))
            hidden = (_number(ports.get("destinations_total")) or len(destinations)) - min(top, len(destinations))
            if hidden > 0:
                lines.append("  ... and %d more destinations" % hidden)
        for key, label in (("top_time_wait_local_ports", "TIME_WAIT"), ("top_close_wait_local_ports", "CLOSE_WAIT")):
            entries = [entry for entry in ports.get(key) or [] if isinstance(entry, dict)][:top]
            if entries:
                lines.append("Local ports with most %s: %s" % (label, ", ".join(
                    "%s (%s)" % (entry.get("port"), _count(entry.get("count"))) for entry in entries)))

    listeners = facts.get("listeners")
    if isinstance(listeners, list):
        queued = []
        for entry in listeners:
            if not isinstance(entry, dict) or not _number(entry.get("queue")):
                continue
            backlog = _number(entry.get("backlog"))
            ratio = float(entry["queue"]) / backlog if backlog else None
            queued.append((ratio if ratio is not None else 0.0, entry))
        queued.sort(key=lambda item: -item[0])
        if not queued:
            lines.append("Accept queues: all %d listeners empty" % len(listeners))
        else:
            lines.append("Accept queues (connections waiting to be accepted / backlog):")
            for ratio, entry in queued[:top]:
                lines.append("  %-40s %10s / %-8s %s" % (_endpoint(entry.get("address"), entry.get("port")),
                                                         _count(entry.get("queue")), _count(entry.get("backlog")),
                                                         _percent(ratio) if entry.get("backlog") else ""))

    processes = facts.get("processes")
    if isinstance(processes, list) and processes:
        lines.append("CLOSE_WAIT held by: %s" % ", ".join(
            "%s[%s] (%s)" % (entry.get("name") or "?", entry.get("pid"), _count(entry.get("close_wait")))
            for entry in processes[:top] if isinstance(entry, dict)))
    lines.extend(_namespace_lines(facts, top))
    for note in facts.get("notes") or []:
        lines.append("Note: %s" % note)
    return [line.rstrip() for line in lines]


def _namespace_lines(facts, top):
    """With namespaces: all, a count by status and the busiest other namespaces by TIME_WAIT,
    by ephemeral-port share towards one destination and by CLOSE_WAIT."""
    entries = [entry for entry in facts.get("namespaces") or [] if isinstance(entry, dict)]
    if not isinstance(facts.get("namespaces"), list):
        return []
    scan = _mapping(facts.get("namespace_scan"))
    lines = ["Network namespaces: %d (%s)" % (len(entries), ", ".join(
        "%s %s" % (_count(scan.get(status)), status) for status in ("ok", "gone", "cannot_enter", "error")))]
    others = [entry for entry in entries if not entry.get("current") and entry.get("status") == "ok"]

    def label(entry):
        return entry.get("name") or "inode:%s" % entry.get("inode")

    def share(entry):
        return _number(_mapping(entry.get("pressure")).get("ephemeral_port_ratio")) or 0

    for title, value, text in (
            ("TIME_WAIT", lambda entry: _number(_mapping(entry.get("states")).get("TIME_WAIT")) or 0, _count),
            ("ephemeral-port share", share, _percent),
            ("CLOSE_WAIT", lambda entry: _number(_mapping(entry.get("states")).get("CLOSE_WAIT")) or 0, _count)):
        ranked = sorted((entry for entry in others if value(entry) > 0), key=lambda entry: (-value(entry), label(entry)))
        if ranked:
            lines.append("  most %s: %s" % (title, ", ".join(
                "%s (%s)" % (label(entry), text(value(entry))) for entry in ranked[:top])))
    for entry in entries:
        if entry.get("status") not in ("ok", None):
            lines.append("  %s: %s, %s" % (label(entry), entry.get("status"), entry.get("reason") or "no reason given"))
    return lines


def tcp_state_summary(facts, top=5):
    """A short human summary of one host's ansible_facts.tcp_state, as text."""
    try:
        return "\n".join(summary_lines(facts, top))
    except ValueError as error:
        raise filter_error("tcp_state_summary", error)


class FilterModule(object):

    def filters(self):
        return {"tcp_state_summary": tcp_state_summary}
