# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""More catalog entries: the knobs published tuning lists set next to the TCP teardown ones.

PRIVATE: internal to the netfleet.tcp collection.

Data only, in the format of _catalog_data.py (``_entry``), plus ``sources``: the
primary sources each entry's facts come from (kernel commits with the release that
first carried them, the kernel file that registers the sysctl, and
Documentation/networking/ip-sysctl.rst). _catalog.py adds these entries to the one
catalog; a key may be in only one of the two files.

Facts shared by several entries:

* The conntrack timeouts are ``proc_dointvec_jiffies`` in seconds, one copy per network
  namespace (net/netfilter/nf_conntrack_standalone.c, nf_ct_sysctl_table); their
  defaults are ``tcp_timeouts[]`` in net/netfilter/nf_conntrack_proto_tcp.c (TIME_WAIT
  2 minutes, CLOSE_WAIT 60 seconds, FIN_WAIT 2 minutes). nf_conntrack_max is one
  machine-wide value: nf_conntrack_standalone_init_sysctl makes it 0444 in every network
  namespace but the initial one. All of them exist only once nf_conntrack is loaded.
* The ``net.ipv4.netfilter.ip_conntrack_*`` names were the compatibility copies of the
  conntrack sysctls under CONFIG_NF_CONNTRACK_PROC_COMPAT; "netfilter: remove
  ip_conntrack* sysctl compat code" (adf0516845bc, Linux 4.9) removed them. Names under
  ``net.netfilter.ip_conntrack_*`` never existed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data import (
    INT_MAX,
    JIFFIES_SECONDS_MAX,
    _entry,
)

_BOOLEAN = {0: "disabled", 1: "enabled"}
IP_SYSCTL = "Documentation/networking/ip-sysctl.rst"
CONNTRACK_TABLE = "net/netfilter/nf_conntrack_standalone.c nf_ct_sysctl_table"
CONNTRACK_DEFAULTS = "net/netfilter/nf_conntrack_proto_tcp.c tcp_timeouts[]"
COMPAT_REMOVED = "adf0516845bc (\"netfilter: remove ip_conntrack* sysctl compat code\", v4.9)"

# TCP retransmission timing (include/net/tcp.h): the backoff starts at TCP_RTO_MIN and
# doubles up to TCP_RTO_MAX (net.ipv4.tcp_rto_max_ms since 6.15 makes the cap tunable).
RTO_MIN_SECONDS = 0.2
RTO_MAX_SECONDS = 120.0


def _with_sources(entry, sources):
    entry["sources"] = list(sources)
    return entry


def _conntrack_timeout(state, default, meaning):
    return _with_sources(_entry(
        "net.netfilter.nf_conntrack_tcp_timeout_%s" % state, "int", "seconds",
        summary="How long connection tracking keeps a TCP flow in %s." % state.upper(),
        description=(
            "Connection tracking (NAT, stateful firewalls, Kubernetes service routing) forgets a "
            "flow in its %s state after this long. %s It is the conntrack table's timer, not the "
            "socket's: the TCP state of the hosts at either end is unaffected. The key exists once "
            "nf_conntrack is loaded." % (state.upper(), meaning)
        ),
        tradeoff=(
            "Shorter timeouts free conntrack entries sooner on busy NAT gateways; shorter than the "
            "endpoints' own timers and late segments of a closing connection no longer match the "
            "flow (dropped as INVALID, or NATed afresh)."
        ),
        default=str(default), minimum=0, maximum=JIFFIES_SECONDS_MAX,
    ), [CONNTRACK_TABLE, CONNTRACK_DEFAULTS])


def _removed_conntrack(name, replacement, unit="seconds"):
    return _with_sources(_entry(
        "net.ipv4.netfilter.ip_conntrack_%s" % name, "int", unit,
        summary="Removed compatibility name of %s." % replacement,
        description=(
            "The old ip_conntrack name, kept as a copy of %s while CONFIG_NF_CONNTRACK_PROC_COMPAT "
            "was set; removed in Linux 4.9. Writing it on a newer kernel fails, and a sysctl.d "
            "line with it is an error at every boot." % replacement
        ),
        tradeoff="Use %s instead; it exists on every kernel since 2.6.20." % replacement,
        default_note="removed in 4.9; the value was the one of %s" % replacement,
        default_example="120" if unit == "seconds" else "65536",
        minimum=0, maximum=INT_MAX, removed="4.9",
    ), [COMPAT_REMOVED])


ENTRIES = [
    # --- connection tracking ------------------------------------------------------------
    _with_sources(_entry(
        "net.netfilter.nf_conntrack_max", "int", "count",
        summary="Most flows connection tracking holds at once; above it new flows are dropped.",
        description=(
            "When the conntrack table is full, packets of new flows are dropped and the kernel "
            "logs 'nf_conntrack: table full, dropping packet'. One value for the whole machine: "
            "child network namespaces see it read-only. The key exists once nf_conntrack is "
            "loaded (NAT, stateful firewall rules, Kubernetes kube-proxy)."
        ),
        tradeoff=(
            "Each entry costs about 300 bytes of unswappable memory; a NAT gateway or Kubernetes "
            "node with many short connections needs more than the default. A value far above "
            "nf_conntrack_buckets makes lookups walk long hash chains."
        ),
        minimum=0, maximum=INT_MAX, namespace="global",
        default_note="computed when nf_conntrack loads, from memory (nf_conntrack_htable_size times a factor)",
        default_example="262144",
    ), [CONNTRACK_TABLE + " (NF_SYSCTL_CT_MAX; 0444 outside init_net)",
        "net/netfilter/nf_conntrack_core.c nf_conntrack_init_start"]),
    _conntrack_timeout("time_wait", 120, "It matches the endpoints' TIME_WAIT (60 s) with room to spare."),
    _conntrack_timeout("close_wait", 60, "CLOSE_WAIT here means one side sent its FIN and the other has not."),
    _conntrack_timeout("fin_wait", 120, "FIN_WAIT here means a FIN was seen and the answer is awaited."),
    _removed_conntrack("max", "net.netfilter.nf_conntrack_max", unit="count"),
    _removed_conntrack("tcp_timeout_time_wait", "net.netfilter.nf_conntrack_tcp_timeout_time_wait"),
    _removed_conntrack("tcp_timeout_close_wait", "net.netfilter.nf_conntrack_tcp_timeout_close_wait"),
    _removed_conntrack("tcp_timeout_fin_wait", "net.netfilter.nf_conntrack_tcp_timeout_fin_wait"),
    _removed_conntrack("tcp_timeout_established", "net.netfilter.nf_conntrack_tcp_timeout_established"),
    # --- retransmission and queues ------------------------------------------------------
    _with_sources(_entry(
        "net.ipv4.tcp_retries2", "int", "count",
        summary="Retransmissions of unacknowledged data before an established connection is killed.",
        description=(
            "The kernel gives up on a connection when the time a retransmission backoff of this "
            "many steps would take has passed: the backoff starts at the 200 ms minimum RTO and "
            "doubles up to 120 s. The default 15 is about 924.6 seconds; 8 is about 102 seconds, "
            "the 100 seconds RFC 1122 asks for at least."
        ),
        tradeoff=(
            "Lower values notice dead peers sooner, but a network outage or failover longer than "
            "the computed time kills every connection that had data in flight; keepalives or "
            "TCP_USER_TIMEOUT do that per application instead."
        ),
        default="15", minimum=0, maximum=INT_MAX,
    ), [IP_SYSCTL + " tcp_retries2", "net/ipv4/tcp_timer.c retransmits_timed_out, tcp_model_timeout",
        "include/net/tcp.h TCP_RTO_MIN, TCP_RTO_MAX"]),
    _with_sources(_entry(
        "net.ipv4.tcp_abort_on_overflow", "enum", "boolean",
        summary="Reset connections the accept queue has no room for instead of letting clients retry.",
        description=(
            "With 0 (the default) a full accept queue makes the kernel ignore the client's final "
            "ACK, so the client retransmits and usually gets in a moment later. With 1 the kernel "
            "answers with a reset, and the client sees 'connection reset' for a burst the "
            "application would have absorbed."
        ),
        tradeoff=(
            "1 only helps when the application is known to be unable to catch up and clients "
            "should fail fast; raise somaxconn and the listen() backlog first."
        ),
        values=_BOOLEAN, default="0",
    ), [IP_SYSCTL + " tcp_abort_on_overflow", "net/ipv4/tcp_minisocks.c tcp_check_req (listen_overflow)"]),
    _with_sources(_entry(
        "net.ipv4.ip_unprivileged_port_start", "int", "port",
        summary="First port an unprivileged process may bind; ports below it need CAP_NET_BIND_SERVICE.",
        description=(
            "Per network namespace. The kernel refuses an ip_local_port_range whose low end is "
            "below it, and refuses to raise it above that low end: the two must not overlap. 0 "
            "makes every port unprivileged."
        ),
        tradeoff=(
            "Lowering it lets containers bind ports such as 80 without privileges; it also lets "
            "ip_local_port_range reach into those ports."
        ),
        default="1024", minimum=0, maximum=65535, added="4.11",
    ), ["4548b683b781 (\"Introduce a sysctl that modifies the value of PROT_SOCK.\", v4.11)",
        "net/ipv4/sysctl_net_ipv4.c ipv4_local_port_range, ipv4_privileged_ports",
        IP_SYSCTL + " ip_unprivileged_port_start"]),
    _with_sources(_entry(
        "net.ipv4.ip_autobind_reuse", "enum", "boolean",
        summary="Let bind() to port 0 pick a port other SO_REUSEADDR sockets already hold.",
        description=(
            "By default bind() with port 0 never picks a port that is in use, even when every "
            "socket on it has SO_REUSEADDR. With 1 it may, which helps bind()+connect() clients "
            "that run out of ports. The kernel documentation reserves it for experts: "
            "IP_BIND_ADDRESS_NO_PORT is the supported way."
        ),
        tradeoff="May break applications that assume an automatically chosen port is theirs alone.",
        values=_BOOLEAN, default="0", added="5.7",
    ), ["4b01a9674231 (\"tcp: bind(0) remove the SO_REUSEADDR restriction when ephemeral ports are "
        "exhausted.\", v5.7)", IP_SYSCTL + " ip_autobind_reuse"]),
    # --- buffers and path ---------------------------------------------------------------
    _with_sources(_entry(
        "net.ipv4.tcp_mtu_probing", "enum", "mode",
        summary="Packetization-layer path MTU discovery (RFC 4821) for paths that drop ICMP.",
        description=(
            "0 never probes, 1 probes once a black hole (lost full-size segments, no ICMP "
            "'fragmentation needed') is detected, 2 always probes starting from tcp_base_mss."
        ),
        tradeoff=(
            "1 repairs connections through firewalls that drop ICMP at almost no cost; 2 starts "
            "every connection with small segments."
        ),
        values={0: "disabled", 1: "probe after a black hole is detected", 2: "always probe"},
        default="0",
    ), [IP_SYSCTL + " tcp_mtu_probing", "net/ipv4/tcp_timer.c tcp_mtu_probing"]),
    _with_sources(_entry(
        "net.core.optmem_max", "int", "bytes",
        summary="Most ancillary buffer memory (socket options, filters, zerocopy notes) per socket.",
        description=(
            "Caps option memory a socket may allocate: socket filters, multicast lists, "
            "MSG_ZEROCOPY and io_uring notifications. It does not size data buffers."
        ),
        tradeoff=(
            "Raise it only for applications that report ENOBUFS on setsockopt or zerocopy sends; "
            "lowering it below the boot value breaks them."
        ),
        default="131072", minimum=0, maximum=INT_MAX,
        changes=[("6.8", "default raised from 20480 to 131072 (4944566706b2, \"net: increase "
                         "optmem_max default value\")"),
                 ("6.8", "became per network namespace (f5769faeec36, \"net: Namespace-ify "
                         "sysctl_optmem_max\")")],
    ), ["Documentation/admin-guide/sysctl/net.rst optmem_max", "4944566706b2 (v6.8)", "f5769faeec36 (v6.8)"]),
    _with_sources(_entry(
        "net.ipv4.tcp_moderate_rcvbuf", "enum", "boolean",
        summary="Receive buffer autotuning up to tcp_rmem's maximum.",
        description=(
            "With 1 (the default) the kernel grows each connection's receive buffer with its "
            "bandwidth-delay product, up to tcp_rmem[2]. Sockets that set SO_RCVBUF opt out."
        ),
        tradeoff="0 freezes every connection at tcp_rmem[1], which caps throughput on long paths.",
        values=_BOOLEAN, default="1",
    ), [IP_SYSCTL + " tcp_moderate_rcvbuf", "net/ipv4/tcp_input.c tcp_rcv_space_adjust"]),
    _with_sources(_entry(
        "net.ipv4.tcp_no_metrics_save", "enum", "boolean",
        summary="Do not cache a closed connection's RTT and window for the next one to that host.",
        description=(
            "By default the kernel remembers per destination the RTT, ssthresh and cwnd of closed "
            "connections and starts the next connection there from them. 1 turns that off."
        ),
        tradeoff=(
            "Remembered metrics help repeat connections over stable paths; one bad period "
            "(a congested moment) can also be remembered, which is why bulk-transfer hosts "
            "sometimes turn it off."
        ),
        values=_BOOLEAN, default="0",
    ), [IP_SYSCTL + " tcp_no_metrics_save", "net/ipv4/tcp_metrics.c"]),
    _with_sources(_entry(
        "net.ipv4.tcp_syn_linear_timeouts", "int", "count",
        summary="SYN retransmissions sent one second apart before the backoff starts doubling.",
        description=(
            "The first this many SYN retransmissions of a connect() use a fixed 1 second timeout; "
            "they come on top of tcp_syn_retries, which then back off exponentially. With the "
            "defaults (4 and 6) a connect() to an unreachable host gives up after about 131 s."
        ),
        tradeoff="More linear retries connect sooner after a short loss and cost a few more SYNs.",
        default="4", minimum=0, maximum=127, added="6.5",
    ), ["ccce324dabfe (\"tcp: make the first N SYN RTO backoffs linear\", v6.5)",
        IP_SYSCTL + " tcp_syn_linear_timeouts"]),
    _with_sources(_entry(
        "net.ipv4.tcp_child_ehash_entries", "int", "count",
        summary="Size of a private TCP established hash for network namespaces created from this one.",
        description=(
            "0 (the default) makes new child namespaces share the machine's global hash. A "
            "non-zero value, rounded up to a power of two, gives each network namespace created "
            "afterwards its own hash of that many buckets; namespaces that exist are unchanged. "
            "tcp_ehash_entries shows which hash a namespace uses (negative: the shared one)."
        ),
        tradeoff=(
            "A private hash isolates busy containers from each other's lookups and sizes their "
            "tcp_max_tw_buckets and orphans limits from it; it costs memory per namespace."
        ),
        default="0", minimum=0, maximum=16 * 1024 * 1024, added="6.1",
    ), ["d1e5e6408b30 (\"tcp: Introduce optional per-netns ehash.\", v6.1)",
        "net/ipv4/sysctl_net_ipv4.c tcp_child_ehash_entries_max", IP_SYSCTL + " tcp_child_ehash_entries"]),
]
