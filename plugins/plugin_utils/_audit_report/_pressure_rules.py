# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pressure rules: a pressure verdict of tcp_pressure becomes a finding of one of these rules.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# Pressure verdicts become findings of these severities.
_PRESSURE_SEVERITY = {"warning": "warning", "critical": "error"}
_PRESSURE_RULES = {
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
        "to spare (each orphan may hold up to 64 KiB).",
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
