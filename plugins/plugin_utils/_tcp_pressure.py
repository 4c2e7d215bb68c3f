# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ratios and verdicts from a host's ``tcp_state`` facts.

PRIVATE: internal to the netfleet.tcp collection. Controller-side code shared by the
netfleet.tcp.tcp_pressure filter and the audit report; plain functions, no Ansible
imports, so unit tests call them directly.

A verdict judges what the host holds *now* against the limit the kernel enforces:

- time_wait: TIME_WAIT buckets in use (sockstat tw: TIME_WAIT plus orphaned FIN_WAIT2
  minisockets; the census TIME_WAIT count when sockstat is missing) / net.ipv4.tcp_max_tw_buckets
  (at 1.0 the kernel destroys TIME_WAIT sockets early and counts them in TcpExtTCPTimeWaitOverflow);
- orphans: orphaned sockets / net.ipv4.tcp_max_orphans (at 1.0 the kernel resets them);
- ephemeral_ports: the busiest destination's share of the usable ephemeral ports
  (exhaustion happens per destination: connect() fails with EADDRNOTAVAIL);
- accept_queue: the fullest listener's accept queue / its backlog (when full, new
  connections are dropped and ListenOverflows grows).

Counters since boot (ListenOverflows, ListenDrops) and CLOSE_WAIT counts are reported
but carry no verdict: a single sample cannot tell an old burst or a slow peer from a leak.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import numbers

from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr

VERDICTS = ("ok", "warning", "critical")
UNKNOWN = "unknown"
METRICS = ("time_wait", "orphans", "ephemeral_ports", "accept_queue")
DEFAULT_THRESHOLDS = {
    "time_wait": {"warning": 0.5, "critical": 0.8},
    "orphans": {"warning": 0.5, "critical": 0.8},
    "ephemeral_ports": {"warning": 0.5, "critical": 0.8},
    "accept_queue": {"warning": 0.8, "critical": 1.0},
}


class PressureInputError(ValueError):
    """The facts or thresholds handed to tcp_pressure cannot be used."""


def _number(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return None
    return value


def _mapping(value):
    return value if isinstance(value, dict) else {}


def merge_thresholds(overrides=None):
    """Default thresholds with ``overrides`` ({metric: {warning, critical}}) on top.

    Raises PressureInputError naming every problem: unknown metric, unknown level,
    a value that is not a number between 0 and 1000, warning above critical.
    """
    merged = copy.deepcopy(DEFAULT_THRESHOLDS)
    problems = []
    if overrides is None:
        return merged
    if not isinstance(overrides, dict):
        raise PressureInputError("thresholds must be a mapping of metric to {warning, critical}")
    for metric, levels in overrides.items():
        if metric not in merged:
            problems.append("unknown metric %s (expected one of %s)" % (short_repr(metric), ", ".join(METRICS)))
            continue
        if not isinstance(levels, dict):
            problems.append("%s: expected a mapping with warning and/or critical" % metric)
            continue
        for level, value in levels.items():
            if level not in ("warning", "critical"):
                problems.append("%s: unknown level %s (expected warning or critical)" % (metric, short_repr(level)))
            elif _number(value) is None or not 0 <= value <= 1000:
                problems.append("%s.%s: %s is not a ratio (a number such as 0.8)" % (metric, level, short_repr(value)))
            else:
                merged[metric][level] = float(value)
    for metric, levels in merged.items():
        if levels["warning"] > levels["critical"]:
            problems.append("%s: warning %s is above critical %s" % (metric, levels["warning"], levels["critical"]))
    if problems:
        raise PressureInputError("invalid thresholds: " + "; ".join(problems))
    return merged


def verdict(ratio, levels):
    """``ok``, ``warning`` or ``critical`` for a ratio; ``unknown`` when there is none."""
    if ratio is None:
        return UNKNOWN
    if ratio >= levels["critical"]:
        return "critical"
    if ratio >= levels["warning"]:
        return "warning"
    return "ok"


def worst_verdict(verdicts):
    """The most severe of several verdicts; ``unknown`` only when all are unknown."""
    known = [item for item in verdicts if item in VERDICTS]
    if not known:
        return UNKNOWN
    return max(known, key=VERDICTS.index)


def _ratio(count, limit):
    count, limit = _number(count), _number(limit)
    if count is None or limit is None or limit <= 0:
        return None
    return round(float(count) / float(limit), 6)


def _time_wait(facts, levels):
    # The kernel compares its TIME_WAIT bucket count (sockstat tw, which also holds orphaned
    # FIN_WAIT2 minisockets) with tcp_max_tw_buckets; the census count is the fallback.
    states = _mapping(facts.get("states"))
    limits = _mapping(facts.get("limits"))
    buckets = _number(_mapping(_mapping(facts.get("sockstat")).get("tcp")).get("tw"))
    count = buckets if buckets is not None else _number(states.get("TIME_WAIT"))
    limit = _number(limits.get("tcp_max_tw_buckets"))
    ratio = _ratio(count, limit)
    pressure = _mapping(facts.get("pressure"))
    given = _number(pressure.get("tw_bucket_ratio"))
    if given is None:
        given = _number(pressure.get("time_wait_ratio"))
    if ratio is None and given is not None:
        ratio = round(float(given), 6)
    return {"count": count, "limit": limit, "ratio": ratio, "verdict": verdict(ratio, levels)}


def _orphans(facts, levels):
    tcp = _mapping(_mapping(facts.get("sockstat")).get("tcp"))
    limits = _mapping(facts.get("limits"))
    count = _number(tcp.get("orphan"))
    limit = _number(limits.get("tcp_max_orphans"))
    ratio = _ratio(count, limit)
    given = _number(_mapping(facts.get("pressure")).get("orphan_ratio"))
    if ratio is None and given is not None:
        ratio = round(float(given), 6)
    return {"count": count, "limit": limit, "ratio": ratio, "verdict": verdict(ratio, levels)}


def _ephemeral_ports(facts, levels):
    ports = facts.get("ports")
    if not isinstance(ports, dict):
        return {"usable_ports": None, "worst": None, "ratio": None, "verdict": UNKNOWN}
    usable = _number(ports.get("usable_ports"))
    worst = None
    destinations = ports.get("destinations")
    for entry in destinations if isinstance(destinations, list) else []:
        if not isinstance(entry, dict):
            continue
        count = _number(entry.get("count"))
        if count is None:
            continue
        share = _number(entry.get("share"))
        if share is None:
            share = _ratio(count, usable)
        if worst is None or (share or 0) > (worst["share"] or 0):
            worst = {
                "address": entry.get("address"),
                "port": entry.get("port"),
                "count": count,
                "share": None if share is None else round(float(share), 6),
            }
    if worst is None:
        # Detail collected and no outbound socket in the ephemeral range: nothing used.
        ratio = 0.0 if usable else None
    else:
        ratio = worst["share"]
    return {"usable_ports": usable, "worst": worst, "ratio": ratio, "verdict": verdict(ratio, levels)}


def _accept_queue(facts, levels):
    listeners = facts.get("listeners")
    if not isinstance(listeners, list):
        return {"listeners": None, "worst": None, "ratio": None, "verdict": UNKNOWN}
    worst = None
    for entry in listeners:
        if not isinstance(entry, dict):
            continue
        queue, backlog = _number(entry.get("queue")), _number(entry.get("backlog"))
        if queue is None:
            continue
        if backlog is not None and backlog > 0:
            ratio = _ratio(queue, backlog)
        else:
            # A zero backlog still admits one connection; any queued one fills it.
            ratio = 1.0 if queue > 0 else 0.0
        if worst is None or ratio > worst["ratio"]:
            worst = {
                "family": entry.get("family"),
                "address": entry.get("address"),
                "port": entry.get("port"),
                "queue": queue,
                "backlog": backlog,
                "ratio": ratio,
            }
    ratio = worst["ratio"] if worst else 0.0
    return {"listeners": len(listeners), "worst": worst, "ratio": ratio, "verdict": verdict(ratio, levels)}


def tcp_pressure(facts, thresholds=None):
    """Judge one host's ``tcp_state`` facts; see the module docstring for the metrics.

    Returns ``{time_wait, orphans, ephemeral_ports, accept_queue, close_wait,
    listen_overflows, verdict, thresholds}``. Metrics whose inputs are absent (a limit
    missing in a container, a detail not collected) are ``unknown`` and do not count
    towards the overall verdict.
    """
    if not isinstance(facts, dict):
        raise PressureInputError(
            "tcp_pressure expects the tcp_state facts of one host (a mapping), got %s"
            % type(facts).__name__
        )
    if "tcp_state" in facts and isinstance(facts["tcp_state"], dict) and "states" not in facts:
        facts = facts["tcp_state"]
    if "states" not in facts:
        raise PressureInputError(
            "tcp_pressure expects ansible_facts.tcp_state from netfleet.tcp.tcp_state_facts; "
            "the mapping given has no 'states'"
        )
    levels = merge_thresholds(thresholds)
    states = _mapping(facts.get("states"))
    ext = _mapping(_mapping(facts.get("counters")).get("TcpExt"))
    result = {
        "time_wait": _time_wait(facts, levels["time_wait"]),
        "orphans": _orphans(facts, levels["orphans"]),
        "ephemeral_ports": _ephemeral_ports(facts, levels["ephemeral_ports"]),
        "accept_queue": _accept_queue(facts, levels["accept_queue"]),
        "close_wait": {"count": _number(states.get("CLOSE_WAIT"))},
        "listen_overflows": {
            "overflows": _number(ext.get("ListenOverflows")),
            "drops": _number(ext.get("ListenDrops")),
        },
        "thresholds": levels,
    }
    result["verdict"] = worst_verdict(result[name]["verdict"] for name in METRICS)
    return result
