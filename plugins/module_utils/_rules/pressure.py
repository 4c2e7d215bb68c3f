# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pressure rules: a TCP limit filling up right now (TIME_WAIT, orphans, ports, accept queues).

PRIVATE: internal to the netfleet.tcp collection.

The audit report raises them from tcp_state_facts' census and the tcp_pressure
thresholds: a ``warning`` verdict gives a warning, a ``critical`` one an error.
``PRESSURE_RULES`` maps each tcp_pressure metric to ``(rule id, key, message
template, remediation)``; the templates take ``pct``, ``count``, ``limit`` and
``destination``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import Rule, register

# A tcp_pressure verdict -> the severity of its finding.
PRESSURE_SEVERITY = {"warning": "warning", "critical": "error"}

PRESSURE_RULES = {
    "time_wait": (
        "pressure-time-wait",
        "net.ipv4.tcp_max_tw_buckets",
        "TIME_WAIT buckets fill {pct} of tcp_max_tw_buckets ({count} of {limit}, orphaned FIN_WAIT2 "
        "included); at 100% the kernel destroys TIME_WAIT sockets early and counts them in "
        "TcpExtTCPTimeWaitOverflow.",
        "Find who opens and closes connections at this rate (top_time_wait_local_ports, the busiest "
        "destinations); prefer connection reuse (keep-alive, pooling). Raise tcp_max_tw_buckets only "
        "with memory to spare, and enable tcp_tw_reuse (with tcp_timestamps=1) on the connecting side.",
    ),
    "orphans": (
        "pressure-orphans",
        "net.ipv4.tcp_max_orphans",
        "Orphaned sockets fill {pct} of tcp_max_orphans ({count} of {limit}); past the limit the "
        "kernel resets them and logs 'too many orphaned sockets'.",
        "Orphans are sockets closed by the application but not yet by the peer: check FIN_WAIT1/"
        "FIN_WAIT2/LAST_ACK counts and tcp_orphan_retries; raise tcp_max_orphans only with memory "
        "to spare (a typical orphan holds about 64 KiB, one with unsent data up to tcp_wmem[2]).",
    ),
    "ephemeral_ports": (
        "pressure-ephemeral-ports",
        "net.ipv4.ip_local_port_range",
        "Connections to {destination} use {pct} of the usable ephemeral ports ({count} of {limit}); "
        "when they run out, connect() fails with EADDRNOTAVAIL for that destination.",
        "Reuse connections to this destination (keep-alive, pooling), widen ip_local_port_range "
        "(keeping listeners' ports in ip_local_reserved_ports), enable tcp_tw_reuse with "
        "tcp_timestamps=1, or spread the load over more destination addresses or ports.",
    ),
    "accept_queue": (
        "pressure-accept-queue",
        "net.core.somaxconn",
        "The accept queue of {destination} holds {count} connections for a backlog of {limit} "
        "({pct}); when full, new connections are dropped and ListenOverflows grows.",
        "The application accepts too slowly: add workers or raise its listen() backlog together "
        "with net.core.somaxconn and net.ipv4.tcp_max_syn_backlog.",
    ),
}

_TITLES = {
    "time_wait": "TIME_WAIT sockets near tcp_max_tw_buckets",
    "orphans": "Orphaned sockets near tcp_max_orphans",
    "ephemeral_ports": "Ephemeral ports to one destination running out",
    "accept_queue": "A listener's accept queue near its backlog",
}

for _metric, (_rule_id, _key, _message, _remediation) in PRESSURE_RULES.items():
    register(Rule(
        _rule_id, "warning", _TITLES[_metric],
        "%s A warning at the warning threshold of tcp_pressure, an error at the critical one."
        % _message.format(pct="N%", count="the count", limit="the limit", destination="a destination"),
        keys=(_key,), family="pressure", remediation=_remediation))
