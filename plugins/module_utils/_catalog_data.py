# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The knob catalog's data: every TCP-relevant sysctl this collection knows.

PRIVATE: internal to the netfleet.tcp collection.

Data only; the accessors are in _catalog.py and the value model reads the shapes.
To add a knob, add one ``_entry(...)`` below and run ``make docs``.

Each entry of ``CATALOG`` is a dict:

``key``
    the dotted sysctl name.
``shape``
    ``int`` (one integer in ``[minimum, maximum]``), ``enum`` (one of ``values``),
    ``bitmask`` (an integer whose set bits are all in ``flags``), ``triple``
    (three integers, e.g. tcp_rmem), ``pair`` (two integers, low then high), or
    ``port_list`` (comma separated ports and ``a-b`` ranges, may be empty).
``minimum`` / ``maximum``
    bounds of every integer in the value (None: no bound of our own). They are the
    kernel's own limits, narrowed in a few places to what is ever useful (for
    example tcp_fin_timeout >= 1, tcp_keepalive_probes <= 127, the setsockopt limit);
    a value outside them is refused before anything reaches the kernel.
``minimum_note``
    where the minimum is the kernel's own, what enforces it (said when a value is below).
``values`` / ``flags``
    ``{int: meaning}`` for ``enum`` and ``bitmask`` shapes.
``unit``
    seconds, milliseconds, pages, bytes, count, packets, boolean, mode, flags, port.
``default``
    the value a freshly booted kernel prints, whitespace normalised, or None
    when it is computed at boot (``default_note`` then says from what and
    ``default_example`` shows what one machine printed).
``added`` / ``removed``
    kernel version strings (``"4.12"``), None for "long before 4.0" / "still there".
``changes``
    ``[(version, what changed)]``: meanings and defaults that moved.
``namespace``
    ``netns`` (each network namespace has its own copy), ``init`` (exists only in
    the initial namespace; absent in children) or ``global`` (one machine-wide
    value: recent kernels show it read-only inside child namespaces).
``summary`` / ``description`` / ``tradeoff``
    one line, what it does, and what you win and lose by changing it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import (  # noqa: F401
    INT_MAX,
    LONG_MAX,
    UINT_MAX,
)

# proc_dointvec_jiffies refuses values above INT_MAX / HZ; HZ is at most 1000.
JIFFIES_SECONDS_MAX = INT_MAX // 1000
# A typical orphan's memory, as ip-sysctl.rst reckons it. Not the worst case: an orphan
# keeps its unsent data, so it may hold up to its send buffer, tcp_wmem[2] (4 MiB by
# default); what all orphans hold together is bounded by tcp_mem, past whose maximum
# the kernel kills orphans ("out of memory -- consider tuning tcp_mem").
ORPHAN_BYTES = 64 * 1024
# SOCK_MIN_RCVBUF and SOCK_MIN_SNDBUF (include/net/sock.h): 2048 + SKB_DATA_ALIGN(sizeof(struct
# sk_buff)) and twice that since eea86af6b1e1 (3.11). The sysctl handlers of rmem_max,
# wmem_max, rmem_default and wmem_default refuse smaller values (proc_dointvec_minmax with
# extra1 = &min_rcvbuf / &min_sndbuf, net/core/sysctl_net_core.c). The figures are those
# of 64-bit builds with 64-byte cache lines (a 6.18 kernel reports them for SO_SNDBUF=1 and
# SO_RCVBUF=1); 3.10 refused only below 2048 (send) and 2048 + sizeof(struct sk_buff).
MIN_RCVBUF = 2304
MIN_SNDBUF = 4608

SHAPES = ("int", "enum", "bitmask", "triple", "pair", "port_list")
NAMESPACE_SCOPES = ("netns", "init", "global")

_BOOLEAN_VALUES = {0: "disabled", 1: "enabled"}

_REFUSED_BELOW = ("the kernel refuses smaller values: its sysctl handler's minimum is %s, since 3.11; "
                  "the write fails and at boot the line is reported as an error")

_CORE_BUFFER_CHANGES = [
    ("3.11", "the kernel refuses values below SOCK_MIN_RCVBUF (receive side, 2304 on 64-bit builds) "
             "or SOCK_MIN_SNDBUF (send side, 4608), both derived from the smallest TCP skb "
             "(eea86af6b1e1); 3.10 refused below 2048 (send) and 2048 plus the size of struct sk_buff"),
    ("6.11", "visible read-only inside child network namespaces, absent there before: the 6.11 tree "
             "registers them in netns_core_table and clears their write bits for child namespaces "
             "('net: make net.core.{r,w}mem_{default,max} namespaced'); 4.15 and older trees keep them "
             "in net_core_table, for the initial namespace only"),
]


def _entry(key, shape, unit, *, summary, description, tradeoff, default=None, minimum=None,
           maximum=None, values=None, flags=None, default_note=None, default_example=None,
           added=None, removed=None, changes=(), namespace="netns", minimum_note=None):
    return {
        "key": key,
        "shape": shape,
        "unit": unit,
        "minimum": minimum,
        "minimum_note": minimum_note,
        "maximum": maximum,
        "values": dict(values) if values else None,
        "flags": dict(flags) if flags else None,
        "default": default,
        "default_note": default_note,
        "default_example": default_example,
        "added": added,
        "removed": removed,
        "changes": [list(change) for change in changes],
        "namespace": namespace,
        "summary": summary,
        "description": description,
        "tradeoff": tradeoff,
    }


_ENTRIES = [
    # --- TIME_WAIT -----------------------------------------------------------------
    _entry(
        "net.ipv4.tcp_tw_reuse", "enum", "mode",
        summary="Let new outgoing connections take over ports still held by TIME_WAIT sockets.",
        description=(
            "When connect() needs a local port whose previous connection to the same peer is "
            "still in TIME_WAIT, the kernel may reuse it if TCP timestamps prove that late "
            "segments of the old connection can be told apart from the new one. Only the side "
            "that opens connections benefits; a server that only accepts gains nothing. It needs "
            "tcp_timestamps on both ends and does nothing with tcp_timestamps=0."
        ),
        tradeoff=(
            "Saves ephemeral ports on hosts that open many short connections (proxies, API "
            "clients, database clients). Safe as far as the protocol goes, but it leans on "
            "timestamps; the loopback-only default (2) is the conservative choice."
        ),
        values={
            0: "never reuse TIME_WAIT ports",
            1: "reuse for any outgoing connection once timestamps make it safe",
            2: "reuse only for loopback connections",
        },
        default="2",
        changes=[
            ("4.18", "value 2 (loopback only) added and made the default (79e9fed46038); before, "
                     "any non-zero value, 2 included, reuses for every outgoing connection and the "
                     "default was 0"),
        ],
    ),
    _entry(
        "net.ipv4.tcp_tw_reuse_delay", "int", "milliseconds",
        summary="How old a TIME_WAIT socket must be before tcp_tw_reuse may hand its port on.",
        description=(
            "The minimum age, in milliseconds, of a TIME_WAIT socket before tcp_tw_reuse lets a "
            "new connection take its 4-tuple. Before this knob existed the delay was a fixed one "
            "second."
        ),
        tradeoff=(
            "Shorter delays free ports sooner for short-lived, low-latency traffic, but assume "
            "the peer's timestamp clock ticks at least that often; below the peer's tick PAWS "
            "can no longer reject old duplicate segments on the reused connection."
        ),
        default="1000", minimum=1, maximum=60000, added="6.14",
        changes=[("6.14", "added, per network namespace (ca6a6f93867a); the delay was a fixed second "
                          "before, counted from the last timestamp seen (19ce8cd30465 counts it from entry "
                          "into TIME_WAIT)")],
    ),
    _entry(
        "net.ipv4.tcp_tw_recycle", "enum", "boolean",
        summary="Removed in 4.12: fast TIME_WAIT recycling that broke clients behind NAT.",
        description=(
            "Expired TIME_WAIT sockets after a time derived from the RTT and dropped SYNs from a "
            "peer address whose TCP timestamp went backwards. Clients behind one NAT address "
            "have unrelated timestamp clocks (and since 4.10 every source/destination address "
            "pair has its own random offset, 28ee1b746f49), so their connections were silently "
            "dropped. Upstream removed the knob as broken in 4.12 (4396e46187ca)."
        ),
        tradeoff=(
            "No upside worth having: never set it to 1. On 4.12 and later delete it from "
            "configuration files, where it only causes boot-time errors."
        ),
        values={0: "disabled", 1: "recycle TIME_WAIT sockets quickly (breaks clients behind NAT)"},
        default="0", removed="4.12",
        changes=[("4.10", "a peer's timestamps may go backwards by design: random offsets per connection "
                          "(95a22caee396), per address pair since 28ee1b746f49, so the check drops SYNs "
                          "from any peer behind a NAT and from restarted ones"),
                 ("4.12", "removed as broken ('tcp: remove tcp_tw_recycle', 4396e46187ca)")],
    ),
    _entry(
        "net.ipv4.tcp_timestamps", "enum", "mode",
        summary="TCP timestamps (RFC 7323): RTT measurement, PAWS, and what tcp_tw_reuse relies on.",
        description=(
            "Adds a timestamp option to every segment. It gives precise round-trip times, PAWS "
            "protection against wrapped sequence numbers on fast links, and the proof that "
            "tcp_tw_reuse needs to reuse TIME_WAIT ports safely."
        ),
        tradeoff=(
            "Costs 12 bytes per segment. Turning it off disables tcp_tw_reuse and PAWS; guides "
            "that turn it off to hide uptime are out of date, since random offsets per "
            "source/destination address pair (value 1, since 4.10) already hide it."
        ),
        values={
            0: "disabled",
            1: "enabled, with a random offset per source/destination address pair",
            2: "enabled, without random offsets",
        },
        default="1",
        changes=[("4.10", "value 2 added; value 1 uses random offsets (95a22caee396), one per "
                          "address pair since 28ee1b746f49 (4.11, also in 4.10 stable releases)")],
    ),
    _entry(
        "net.ipv4.tcp_fin_timeout", "int", "seconds",
        summary="How long an orphaned connection may wait in FIN_WAIT2 for the peer's FIN.",
        description=(
            "Once the application has closed a socket and the peer acknowledged our FIN, the "
            "connection waits in FIN_WAIT2 for the peer to close its side. For orphaned "
            "connections (no process holds them any more) this is how long the kernel waits "
            "before dropping them. It does not shorten TIME_WAIT, which stays 60 seconds, "
            "despite what many tuning guides say."
        ),
        tradeoff=(
            "Shorter values release orphans sooner under close-heavy load; too short and peers "
            "that take a while to finish their half of the close (slow mobile clients, long "
            "uploads after a half-close) get reset."
        ),
        default="60", minimum=1, maximum=JIFFIES_SECONDS_MAX,
    ),
    _entry(
        "net.ipv4.tcp_max_tw_buckets", "int", "count",
        summary="Upper limit of TIME_WAIT sockets; beyond it new ones are destroyed at once.",
        description=(
            "When this many sockets are in TIME_WAIT, the kernel destroys each new TIME_WAIT "
            "socket immediately and counts it in TcpExtTCPTimeWaitOverflow (2.6 and early "
            "3.x kernels logged 'TCP: time wait bucket table overflow'; the 3.10 tree and every "
            "later one only count). The "
            "connection then loses the TIME_WAIT protection against late segments. The boot "
            "value is half the TCP established hash, which scales with memory and is capped at "
            "512 Ki buckets (alloc_large_system_hash in tcp_init); TIME_WAIT sockets live in "
            "that hash, so millions of them make its chains long."
        ),
        tradeoff=(
            "A low cap hides a TIME_WAIT build-up instead of fixing it and gives up the "
            "protection TIME_WAIT exists for; TIME_WAIT sockets are small, so raising the cap is "
            "usually the safer direction, up to about the size of the established hash."
        ),
        minimum=0, maximum=INT_MAX,
        default_note="computed at boot: half the size of the TCP established hash, which scales with memory",
        default_example="131072",
    ),
    # --- orphans and retries ---------------------------------------------------------
    _entry(
        "net.ipv4.tcp_max_orphans", "int", "count",
        summary="Limit on sockets closed by their application but still finishing in the kernel.",
        description=(
            "Orphans are connections no process holds any more (FIN_WAIT1, FIN_WAIT2, CLOSING, "
            "LAST_ACK with unsent data). Above this limit new orphans are reset at once and the "
            "kernel logs 'too many orphaned sockets'."
        ),
        tradeoff=(
            "A typical orphan holds about 64 KiB, but one with unsent data keeps up to its send "
            "buffer (tcp_wmem[2], 4 MiB by default); what all orphans hold together is bounded "
            "by tcp_mem, past whose maximum the kernel kills orphans. A higher limit lets "
            "graceful closes finish under load; a limit far beyond what memory can hold at a "
            "typical size protects nothing."
        ),
        minimum=0, maximum=INT_MAX, namespace="init",
        default_note="computed at boot from the size of the TCP established hash, which scales with memory",
        default_example="131072",
    ),
    _entry(
        "net.ipv4.tcp_orphan_retries", "int", "count",
        summary="Retransmissions to an unresponsive peer before an orphaned connection is killed.",
        description=(
            "How many times the kernel retransmits to a peer that does not answer before it "
            "gives up on an orphaned connection. 0 means the built-in value of 8."
        ),
        tradeoff=(
            "Lower values free orphans sooner on busy web servers; too low and slow or lossy "
            "clients lose the end of the response."
        ),
        default="0", minimum=0, maximum=255,
    ),
    # --- handshake and queues --------------------------------------------------------
    _entry(
        "net.ipv4.tcp_max_syn_backlog", "int", "count",
        summary="How many half-open connections (SYN received) a listener may queue.",
        description=(
            "Connection requests whose handshake is not finished wait in the listener's SYN "
            "queue. The kernel reads this limit only while tcp_syncookies is 0 "
            "(tcp_conn_request); since ef547f2ac16b (4.4) every listener's SYN queue is also "
            "capped by its own listen() backlog, so with syncookies on (the default) raising it "
            "does nothing."
        ),
        tradeoff=(
            "A larger queue rides out bursts; it only helps if the accept queue (somaxconn and "
            "the application's listen() backlog) can take the completed connections too."
        ),
        minimum=1, maximum=INT_MAX,
        default_note="computed at boot: max(128, established hash size / 128) since 5.4, / 256 before",
        default_example="2048",
    ),
    _entry(
        "net.ipv4.tcp_syncookies", "enum", "mode",
        summary="Answer SYNs with cookies instead of queue entries when the SYN queue overflows.",
        description=(
            "SYN cookies encode the connection request in the SYN-ACK's sequence number, so a "
            "full SYN queue no longer drops legitimate clients during a SYN flood."
        ),
        tradeoff=(
            "Keeps a host reachable under SYN floods; connections accepted through a cookie may "
            "lose some TCP options. 2 (always) is meant for testing."
        ),
        values={
            0: "never send cookies",
            1: "send cookies when the SYN queue overflows",
            2: "always send cookies",
        },
        default="1",
    ),
    _entry(
        "net.ipv4.tcp_syn_retries", "int", "count",
        summary="SYN retransmissions before connect() gives up (6 is about 127 s; 131 s since 6.5).",
        description=(
            "How many times an outgoing connection attempt retransmits its SYN. With the "
            "exponential backoff, 6 retries take about 127 seconds, 3 about 15. Since 6.5 "
            "(ccce324dabfe) the first tcp_syn_linear_timeouts (default 4) retransmissions come "
            "after a fixed one second each and are added to these retries: 6 then take about "
            "131 seconds, 3 about 19, 2 about 11."
        ),
        tradeoff=(
            "Lower values make connects to dead peers fail fast; too low and connections over "
            "lossy or congested paths fail although they would have succeeded."
        ),
        default="6", minimum=1, maximum=127,
        changes=[("3.7", "default raised from 5 to 6 ('tcp: Increase timeout for SYN segments', "
                         "RFC 6298's one-second initial timeout; 3.10 defines TCP_SYN_RETRIES 6)"),
                 ("6.5", "the first tcp_syn_linear_timeouts retransmissions (4) come one second apart "
                         "before the exponential backoff (ccce324dabfe)")],
    ),
    _entry(
        "net.ipv4.tcp_synack_retries", "int", "count",
        summary="SYN-ACK retransmissions for a half-open connection (5 is about a minute).",
        description=(
            "How many times a listener retransmits the SYN-ACK of a connection whose client has "
            "not completed the handshake. 5 retries take about 63 seconds."
        ),
        tradeoff=(
            "Lower values drop half-open entries sooner during SYN floods; too low and clients "
            "on slow or lossy networks cannot finish the handshake."
        ),
        default="5", minimum=0, maximum=255,
    ),
    # --- keepalive -----------------------------------------------------------------------
    _entry(
        "net.ipv4.tcp_keepalive_time", "int", "seconds",
        summary="Idle time before the first keepalive probe (only on sockets that enable SO_KEEPALIVE).",
        description=(
            "After this long without traffic, a socket with SO_KEEPALIVE starts sending probes. "
            "Sockets that do not ask for keepalive are not affected."
        ),
        tradeoff=(
            "Shorter values find dead peers sooner and keep NAT and firewall mappings alive; "
            "each idle connection then costs a few packets per interval."
        ),
        default="7200", minimum=1, maximum=JIFFIES_SECONDS_MAX,
    ),
    _entry(
        "net.ipv4.tcp_keepalive_intvl", "int", "seconds",
        summary="Interval between keepalive probes.",
        description="Seconds between two keepalive probes once probing has started.",
        tradeoff=(
            "Together with tcp_keepalive_probes it sets how long a dead peer goes unnoticed "
            "(intvl x probes after the idle time)."
        ),
        default="75", minimum=1, maximum=JIFFIES_SECONDS_MAX,
    ),
    _entry(
        "net.ipv4.tcp_keepalive_probes", "int", "count",
        summary="Unanswered keepalive probes before the connection is declared dead.",
        description="How many probes may go unanswered before the kernel resets the connection.",
        tradeoff="Fewer probes detect dead peers sooner but give up on peers behind a briefly lossy path.",
        default="9", minimum=1, maximum=127,
    ),
    # --- memory --------------------------------------------------------------------------
    _entry(
        "net.ipv4.tcp_rmem", "triple", "bytes",
        summary="Per-socket receive buffer: minimum, initial and autotuning maximum, in bytes.",
        description=(
            "The first value is what every socket is guaranteed even under memory pressure, the "
            "second the initial receive buffer, the third the most receive autotuning may grow "
            "a socket to. An application that sets SO_RCVBUF opts out of autotuning and is "
            "bounded by net.core.rmem_max instead."
        ),
        tradeoff=(
            "A larger maximum lets single connections fill long fat pipes; every connection may "
            "grow that large, so the total is bounded by tcp_mem, not by this triple."
        ),
        minimum=1, maximum=INT_MAX,
        default_note=("one page (4096; 65536 on 64K-page kernels), 131072, and a maximum computed at "
                      "boot from memory: at most 6291456 from 3.4, 33554432 since 6.16"),
        default_example="4096 131072 6291456",
        changes=[("4.20", "initial value raised from 87380 to 131072 (a337531b942b)"),
                 ("6.16", "boot maximum capped at 32 MiB instead of 6 MiB (572be9bf9d0d)")],
    ),
    _entry(
        "net.ipv4.tcp_wmem", "triple", "bytes",
        summary="Per-socket send buffer: minimum, initial and autotuning maximum, in bytes.",
        description=(
            "Like tcp_rmem for the send side: guaranteed minimum, initial size, and the most send "
            "autotuning may grow a socket to. SO_SNDBUF opts out and is bounded by "
            "net.core.wmem_max."
        ),
        tradeoff=(
            "A larger maximum helps bulk senders on high bandwidth-delay paths; buffered unsent "
            "data also adds latency, which tcp_notsent_lowat can cap."
        ),
        minimum=1, maximum=INT_MAX,
        default_note="4096 16384 and a maximum computed at boot from memory (at most 4194304)",
        default_example="4096 16384 4194304",
    ),
    _entry(
        "net.ipv4.tcp_mem", "triple", "pages",
        summary="Machine-wide TCP memory thresholds in PAGES (not bytes): low, pressure, high.",
        description=(
            "Below the first value TCP does not limit its memory; above the second it enters "
            "memory pressure and shrinks buffers; at the third new allocations fail. The unit is "
            "memory pages (4096 bytes on most machines), a frequent mistake in copied tuning "
            "lists that give it in bytes."
        ),
        tradeoff=(
            "Raising it lets many connections keep large buffers; a maximum above physical "
            "memory means TCP can push the machine into swapping or the OOM killer before it "
            "ever pushes back."
        ),
        minimum=1, maximum=LONG_MAX, namespace="init",
        default_note="computed at boot from free memory: about 4.7%, 6.25% and 9.4% of it, in pages",
        default_example="287898 383867 575796",
    ),
    _entry(
        "net.core.rmem_default", "int", "bytes",
        summary="Default receive buffer of every socket type that does not autotune (UDP, raw, ...).",
        description=(
            "The receive buffer a new non-TCP socket starts with. TCP uses tcp_rmem instead."
        ),
        tradeoff="Larger defaults help UDP bursts and cost memory on every such socket.",
        default="212992", minimum=MIN_RCVBUF, maximum=INT_MAX, namespace="global",
        minimum_note=_REFUSED_BELOW % "SOCK_MIN_RCVBUF (2048 bytes plus struct sk_buff)",
        default_note="212992 on common 64-bit builds (derived from the size of kernel structures)",
        changes=_CORE_BUFFER_CHANGES,
    ),
    _entry(
        "net.core.rmem_max", "int", "bytes",
        summary="Largest receive buffer an application may request with SO_RCVBUF.",
        description=(
            "Caps setsockopt(SO_RCVBUF). It does not limit TCP autotuning, which tcp_rmem's "
            "third value governs."
        ),
        tradeoff="Raise it for applications that size their own buffers (UDP servers, some proxies).",
        default="212992", minimum=MIN_RCVBUF, maximum=INT_MAX, namespace="global",
        minimum_note=_REFUSED_BELOW % "SOCK_MIN_RCVBUF (2048 bytes plus struct sk_buff)",
        default_note="212992 on common 64-bit builds before 6.18; 4194304 since (a6d4f25888b8)",
        changes=_CORE_BUFFER_CHANGES + [("6.18", "boot value 4 MiB instead of 212992 (a6d4f25888b8)")],
    ),
    _entry(
        "net.core.wmem_default", "int", "bytes",
        summary="Default send buffer of every socket type that does not autotune.",
        description="The send buffer a new non-TCP socket starts with. TCP uses tcp_wmem instead.",
        tradeoff="Larger defaults cost memory on every such socket.",
        default="212992", minimum=MIN_SNDBUF, maximum=INT_MAX, namespace="global",
        minimum_note=_REFUSED_BELOW % "SOCK_MIN_SNDBUF (twice 2048 bytes plus struct sk_buff)",
        default_note="212992 on common 64-bit builds",
        changes=_CORE_BUFFER_CHANGES,
    ),
    _entry(
        "net.core.wmem_max", "int", "bytes",
        summary="Largest send buffer an application may request with SO_SNDBUF.",
        description="Caps setsockopt(SO_SNDBUF); TCP autotuning is governed by tcp_wmem instead.",
        tradeoff="Raise it for applications that size their own send buffers.",
        default="212992", minimum=MIN_SNDBUF, maximum=INT_MAX, namespace="global",
        minimum_note=_REFUSED_BELOW % "SOCK_MIN_SNDBUF (twice 2048 bytes plus struct sk_buff)",
        default_note="212992 on common 64-bit builds before 6.18; 4194304 since (a6d4f25888b8)",
        changes=_CORE_BUFFER_CHANGES + [("6.18", "boot value 4 MiB instead of 212992 (a6d4f25888b8)")],
    ),
    # --- behaviour ----------------------------------------------------------------------
    _entry(
        "net.ipv4.tcp_sack", "enum", "boolean",
        summary="Selective acknowledgments: recover several lost segments in one round trip.",
        description="Lets the receiver tell the sender exactly which segments arrived.",
        tradeoff="Almost always a win; turning it off makes loss recovery much slower.",
        values=_BOOLEAN_VALUES, default="1",
    ),
    _entry(
        "net.ipv4.tcp_window_scaling", "enum", "boolean",
        summary="Window scaling (RFC 7323): receive windows above 64 KiB.",
        description="Without it no connection can have more than 64 KiB in flight.",
        tradeoff="Turning it off caps throughput on any path with a real round-trip time.",
        values=_BOOLEAN_VALUES, default="1",
    ),
    _entry(
        "net.ipv4.tcp_slow_start_after_idle", "enum", "boolean",
        summary="Shrink the congestion window of a connection that was idle for an RTO.",
        description=(
            "After an idle period the connection restarts from a small congestion window, as "
            "RFC 2861 suggests."
        ),
        tradeoff=(
            "0 lets long-lived connections (HTTP/2, RPC) send a burst at full speed after idle; "
            "1 is gentler on a path whose capacity may have changed meanwhile."
        ),
        values=_BOOLEAN_VALUES, default="1",
    ),
    _entry(
        "net.ipv4.tcp_notsent_lowat", "int", "bytes",
        summary="Limit of unsent data queued in a socket before it stops being writable.",
        description=(
            "A socket reports itself writable only while it holds less unsent data than this. "
            "The default (4294967295) means no limit."
        ),
        tradeoff=(
            "A low value (e.g. 16384) cuts latency and memory for HTTP/2 and similar "
            "multiplexed senders; too low and bulk senders wake up more often."
        ),
        default="4294967295", minimum=0, maximum=UINT_MAX, added="3.12",
        changes=[("3.12", "added with the TCP_NOTSENT_LOWAT socket option (c9bee3b7fdec)")],
    ),
    _entry(
        "net.ipv4.tcp_fastopen", "bitmask", "flags",
        summary="TCP Fast Open (RFC 7413): data in the SYN, for clients and servers (bit flags).",
        description=(
            "Bit flags: 1 enables the client side, 2 the server side for listeners that ask for "
            "it with TCP_FASTOPEN; further bits relax the cookie requirement."
        ),
        tradeoff=(
            "Saves one round trip on repeat connections; data in a SYN can be replayed, so only "
            "idempotent requests should use it, and some middleboxes drop such SYNs."
        ),
        flags={
            0x1: "client: send data in the SYN when the application asks",
            0x2: "server: accept data in the SYN from clients with a valid cookie",
            0x4: "client: send data in the SYN without a cookie",
            0x200: "server: accept data in the SYN without a cookie",
            0x400: "server: enable Fast Open on every listener",
        },
        default="1",
    ),
    _entry(
        "net.ipv4.tcp_rfc1337", "enum", "boolean",
        summary="Drop RSTs aimed at TIME_WAIT sockets (RFC 1337 'TIME_WAIT assassination').",
        description=(
            "With 1, a TIME_WAIT socket ignores RST segments instead of closing early, so a "
            "stray RST cannot cut TIME_WAIT short."
        ),
        tradeoff="Keeps TIME_WAIT's full protection; 0 (the default) follows RFC 793 instead.",
        values=_BOOLEAN_VALUES, default="0",
    ),
    # --- ports and forwarding -----------------------------------------------------------
    _entry(
        "net.ipv4.ip_local_port_range", "pair", "port",
        summary="Ephemeral port range for outgoing connections: low and high end.",
        description=(
            "The ports connect() and bind(0) choose from. Since 4.2 connect() prefers ports of "
            "the low end's parity and leaves the other half for bind(), so the ends should "
            "differ in parity. The low end must not be below ip_unprivileged_port_start "
            "(1024 by default) or the kernel refuses the range."
        ),
        tradeoff=(
            "A wider range allows more concurrent connections to one destination; ports inside "
            "it that local services listen on must be listed in ip_local_reserved_ports or an "
            "outgoing connection may take them first."
        ),
        default="32768 60999", minimum=1, maximum=65535,
        changes=[("4.2", "connect() prefers ports of the low end's parity (07f4c90062f8); bind() "
                         "takes the other half since 4.6 (1580ab63fc9a)")],
    ),
    _entry(
        "net.ipv4.ip_local_reserved_ports", "port_list", "port",
        summary="Ports inside the ephemeral range that automatic port selection must skip.",
        description=(
            "A comma separated list of ports and ranges (8080,9000-9010). Outgoing connections "
            "never get these as their local port; services can still bind them explicitly."
        ),
        tradeoff="Protects listeners inside the ephemeral range at the price of fewer ephemeral ports.",
        default="", minimum=0, maximum=65535,
    ),
    _entry(
        "net.ipv4.ip_forward", "enum", "boolean",
        summary="Route IPv4 packets between interfaces (routers, NAT gateways, container hosts).",
        description="With 1 the host forwards packets not addressed to itself.",
        tradeoff=(
            "Needed for routers, NAT gateways and most container hosts; on other hosts it "
            "only widens the attack surface. Writing it also resets several per-interface "
            "settings."
        ),
        values=_BOOLEAN_VALUES, default="0",
    ),
    _entry(
        "net.core.somaxconn", "int", "count",
        summary="Upper limit of the accept queue a listen() call may ask for.",
        description=(
            "listen(fd, backlog) is silently capped at this value. Completed connections wait "
            "in the accept queue until the application accepts them; when it is full the kernel "
            "drops or ignores the final ACK (ListenOverflows)."
        ),
        tradeoff=(
            "Raising it only helps applications that pass a large backlog to listen(); a long "
            "queue also hides an application that accepts too slowly."
        ),
        default="4096", minimum=0, maximum=INT_MAX,
        changes=[("5.4", "default raised from 128 to 4096 (19f92a030ca6)")],
    ),
    _entry(
        "net.core.netdev_max_backlog", "int", "packets",
        summary="Packets queued per CPU when interfaces receive faster than the kernel processes.",
        description=(
            "The per-CPU input queue between the network driver and the protocol stack. "
            "Overflows show up in the second column of /proc/net/softnet_stat."
        ),
        tradeoff="Larger values absorb bursts on fast NICs at the cost of memory and queueing latency.",
        default="1000", minimum=1, maximum=INT_MAX, namespace="init",
    ),
]

CATALOG = dict((entry["key"], entry) for entry in _ENTRIES)
