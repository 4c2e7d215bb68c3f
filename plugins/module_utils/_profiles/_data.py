# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuning profiles as data: which keys each profile sets, to what (a value or a formula), and why.

To add a profile, add an entry to PROFILES and run ``make docs``: the roles' choices, the
profile reference and the kernel_defaults profile follow.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

NO_PROFILE = "none"

# ---------------------------------------------------------------------------
# The profiles
# ---------------------------------------------------------------------------

_TW_BUCKETS_REASON = (
    "Every connection this host closes first spends 60 s in TIME_WAIT. When the table is full "
    "the kernel destroys new TIME_WAIT sockets at once (counted in TcpExtTCPTimeWaitOverflow), "
    "which exposes new connections to stray segments of old ones. Sized to memory "
    "(a TIME_WAIT socket costs about 256 bytes), never below the kernel's own default and "
    "never above the established hash the sockets live in (at most 512 Ki buckets), where "
    "more would only lengthen every lookup; the blogs' 5000 is far too small for a busy host."
)

_FIN_TIMEOUT_REASON = (
    "After this host closes a connection, the socket waits in FIN_WAIT2 for the peer's FIN; "
    "a client that vanished keeps it for 60 s by default. 20 s frees those orphans sooner "
    "while leaving slow but live clients time to finish. TIME_WAIT itself stays 60 s: it is "
    "fixed in the kernel and this key does not change it."
)

PROFILES = {
    "web_frontend": {
        "summary": (
            "Servers that accept many short inbound connections: web frontends, load balancers, "
            "API gateways."
        ),
        "settings": (
            {
                "key": "net.ipv4.tcp_syncookies",
                "value": 1,
                "reason": (
                    "When a SYN flood or a burst fills the SYN queue, answer with cookies instead "
                    "of dropping new clients. 1 uses cookies only on overflow (the kernel "
                    "default); pinned because pasted lists sometimes switch it off."
                ),
            },
            {
                "key": "net.ipv4.tcp_max_syn_backlog",
                "value": ">=8192",
                "reason": (
                    "Only read while tcp_syncookies is 0, and each listener's SYN queue is capped "
                    "by its own listen() backlog since 4.4 (ef547f2ac16b); pinned at 8192 or more "
                    "so that a host that switches syncookies off keeps room for handshake bursts. "
                    "With syncookies on, as this profile sets, it does nothing. A larger live "
                    "value is kept."
                ),
            },
            {
                "key": "net.core.somaxconn",
                "value": ">=8192",
                "reason": (
                    "Upper limit of every listener's accept queue (the backlog given to "
                    "listen()). 8192 lets a busy server absorb bursts between two accept() "
                    "calls; the application must ask for a backlog this large too. A larger "
                    "live value is kept."
                ),
            },
            {"key": "net.ipv4.tcp_fin_timeout", "value": 20, "reason": _FIN_TIMEOUT_REASON},
            {
                "key": "net.ipv4.tcp_keepalive_time",
                "value": 600,
                "reason": (
                    "Start probing an idle keep-alive connection after 10 minutes instead of 2 "
                    "hours, so clients that disappeared without a FIN stop holding sockets and "
                    "memory. Only affects sockets that enable SO_KEEPALIVE."
                ),
            },
            {
                "key": "net.ipv4.tcp_keepalive_intvl",
                "value": 30,
                "reason": (
                    "Probe a silent peer every 30 s instead of every 75 s; with 5 probes a dead "
                    "client is found 12.5 minutes after it went quiet."
                ),
            },
            {
                "key": "net.ipv4.tcp_keepalive_probes",
                "value": 5,
                "reason": (
                    "Give up after 5 unanswered probes instead of 9: enough to ride out packet "
                    "loss, short enough to free the socket within minutes."
                ),
            },
            {
                "key": "net.ipv4.tcp_max_tw_buckets",
                "formula": "tw_buckets_by_memory",
                "reason": _TW_BUCKETS_REASON,
            },
            {
                "key": "net.ipv4.tcp_max_orphans",
                "formula": "orphans_by_memory",
                "reason": (
                    "Sockets the application closed but TCP still finishes (FIN_WAIT1, "
                    "LAST_ACK, CLOSING) belong to nobody; a typical one holds about 64 KiB, one "
                    "with unsent data up to its send buffer (tcp_wmem[2]). Sized so that "
                    "typical orphans fill at most a quarter of memory, instead of pasted "
                    "values in the millions; tcp_mem bounds what they hold together. Exists "
                    "only in the initial network namespace."
                ),
            },
        ),
    },
    "outbound_heavy": {
        "summary": (
            "Proxies, crawlers and services that open many outbound connections, often to few "
            "destinations."
        ),
        "settings": (
            {
                "key": "net.ipv4.ip_local_port_range",
                "value": "10000 65535",
                "reason": (
                    "Each connection to the same destination address and port needs its own "
                    "local port, including those in TIME_WAIT. 10000-65535 gives 55536 ports "
                    "instead of the default 28232. It starts at 10000 to stay clear of services "
                    "that start later on lower ports, and its ends have different parity, as "
                    "the kernel's port selection prefers."
                ),
            },
            {
                "key": "net.ipv4.ip_local_reserved_ports",
                "formula": "reserved_listen_ports",
                "reason": (
                    "A local service listening inside the ephemeral range can find its port "
                    "taken by an outbound connection when it restarts. The ports this host "
                    "listens on inside the range are reserved, computed per host and added to "
                    "what is already reserved."
                ),
            },
            {
                "key": "net.ipv4.tcp_tw_reuse",
                "value": 1,
                "reason": (
                    "Lets connect() take a local port whose previous connection is still in "
                    "TIME_WAIT when timestamps prove the new one is newer. Only the side that "
                    "opens connections benefits, which is this host. Unlike tcp_tw_recycle it "
                    "is safe with clients behind NAT."
                ),
            },
            {
                "key": "net.ipv4.tcp_timestamps",
                "value": 1,
                "reason": (
                    "tcp_tw_reuse relies on TCP timestamps to tell old segments from new ones; "
                    "with timestamps off it silently does nothing."
                ),
            },
            {"key": "net.ipv4.tcp_fin_timeout", "value": 20, "reason": _FIN_TIMEOUT_REASON},
            {
                "key": "net.ipv4.tcp_max_tw_buckets",
                "formula": "tw_buckets_by_memory",
                "reason": _TW_BUCKETS_REASON,
            },
        ),
    },
    "high_throughput": {
        "summary": (
            "Hosts that move bulk data over long or fast paths: replication, backups, object "
            "storage, media."
        ),
        "settings": (
            {
                "key": "net.core.rmem_max",
                "value": ">=33554432",
                "reason": (
                    "Largest receive buffer an application may ask for with SO_RCVBUF. 32 MiB "
                    "covers a 10 Gbit/s flow at about 25 ms round-trip time. A larger live value "
                    "is kept."
                ),
            },
            {
                "key": "net.core.wmem_max",
                "value": ">=33554432",
                "reason": (
                    "Largest send buffer an application may ask for with SO_SNDBUF; same "
                    "sizing as rmem_max. A larger live value is kept."
                ),
            },
            {
                "key": "net.ipv4.tcp_rmem",
                "value": "4096 131072 33554432",
                "reason": (
                    "Receive buffer auto-tuning may grow one connection's buffer up to 32 MiB "
                    "(the kernel's own cap since 6.16; 6 MiB before). The advertised window is a "
                    "fraction of the buffer (the measured payload share, scaling_ratio, since "
                    "6.6; tcp_adv_win_scale before), so the window stays below "
                    "32 MiB. It still starts at "
                    "128 KiB as the kernel does, so idle connections stay cheap."
                ),
            },
            {
                "key": "net.ipv4.tcp_wmem",
                "value": "4096 16384 33554432",
                "reason": (
                    "Send buffer auto-tuning may grow up to 32 MiB so a fast sender is not "
                    "limited by its own buffer; it still starts at 16 KiB."
                ),
            },
            {
                "key": "net.ipv4.tcp_mem",
                "formula": "tcp_mem_throughput",
                "reason": (
                    "With larger per-connection buffers, total TCP memory must grow too, or the "
                    "stack enters memory pressure and shrinks every window. Counted in pages, "
                    "not bytes: pressure at an eighth and the hard limit at a quarter of "
                    "MemTotal. Exists only in the initial network namespace."
                ),
            },
            {
                "key": "net.ipv4.tcp_notsent_lowat",
                "value": 131072,
                "reason": (
                    "Keep at most 128 KiB of not-yet-sent data queued per socket beyond what is "
                    "in flight (default: unlimited). Large send buffers then add no latency and "
                    "waste no memory, and event loops are woken only when there is room."
                ),
            },
            {
                "key": "net.ipv4.tcp_slow_start_after_idle",
                "value": 0,
                "reason": (
                    "Keep the congestion window after a pause instead of restarting from slow "
                    "start, so long-lived connections that send in bursts resume at full speed."
                ),
            },
            {
                "key": "net.ipv4.tcp_window_scaling",
                "value": 1,
                "reason": (
                    "Windows larger than 64 KiB need window scaling. On by default; pinned "
                    "because every buffer above is useless without it."
                ),
            },
            {
                "key": "net.core.netdev_max_backlog",
                "value": ">=16384",
                "reason": (
                    "Packets one CPU may queue between the network card and the stack; the "
                    "default 1000 drops packets in bursts at multi-gigabit rates. A larger live "
                    "value is kept. Exists only in the initial network namespace."
                ),
            },
        ),
    },
}

# kernel_defaults undoes every key the other profiles set, plus tcp_tw_recycle which
# pasted lists enable. Values whose default the kernel computes from memory or that
# changed between kernel versions come from formulas; the rest from the catalog.
KERNEL_DEFAULT_FORMULAS = {
    "net.ipv4.tcp_mem": "kernel_tcp_mem",
    "net.ipv4.tcp_max_tw_buckets": "kernel_half_ehash",
    "net.ipv4.tcp_max_orphans": "kernel_half_ehash",
    "net.ipv4.tcp_max_syn_backlog": "kernel_syn_backlog",
    "net.ipv4.tcp_rmem": "kernel_tcp_rmem",
    "net.ipv4.tcp_wmem": "kernel_tcp_wmem",
    "net.core.somaxconn": "kernel_somaxconn",
    "net.ipv4.tcp_tw_reuse": "kernel_tw_reuse",
    "net.core.rmem_max": "kernel_core_mem_max",
    "net.core.wmem_max": "kernel_core_mem_max",
}
# Not restored by kernel_defaults: the kernel's default is an empty list, which cannot be
# written as a value, and reservations may belong to other tools.
KERNEL_DEFAULTS_EXCLUDED = ("net.ipv4.ip_local_reserved_ports",)
KERNEL_DEFAULTS_EXTRA = ("net.ipv4.tcp_tw_recycle",)
KERNEL_DEFAULTS_SUMMARY = (
    "Back to the kernel's own defaults for every key the other profiles set (and "
    "tcp_tw_recycle off): values from the knob catalog, memory-derived ones computed per host "
    "the way the kernel sizes them at boot. ip_local_reserved_ports is left alone."
)
