# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value rules: one coherent view of the values (live, with the desired laid over) against the host.

PRIVATE: internal to the netfleet.tcp collection.

Each rule is registered by the decorator on its check; a check takes
``(values, context)``, where ``values`` maps keys to text (None or missing when
unknown), and returns a list of findings. ``evaluate()`` runs every registered check
in registration order, skipping rules whose kernels exclude this host's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog
from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data import ORPHAN_BYTES
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import _boot, timers
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import (
    count,
    human_bytes,
    integer,
    ints,
    parsed,
    positive_int,
    short,
    unprivileged_start,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import (
    ACCEPTING_MIN_OPENS,
    ACCEPTING_SHARE,
    BYTES_MISTAKE_FACTOR,
    FIN_TIMEOUT_MIN,
    K_FIN_TIMEOUT,
    K_ORPHAN_RETRIES,
    K_ORPHANS,
    K_PORT_RANGE,
    K_RESERVED,
    K_RMEM,
    K_SOMAXCONN,
    K_SYN_BACKLOG,
    K_SYN_LINEAR,
    K_SYN_RETRIES,
    K_SYNACK_RETRIES,
    K_TCP_MEM,
    K_TIMESTAMPS,
    K_TW_BUCKETS,
    K_TW_REUSE,
    K_UNPRIVILEGED_PORT,
    K_WMEM,
    PRIVILEGED_PORTS,
    RETRIES_MIN,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import (
    RULES,
    Rule,
    checked,
    finding,
    involved_keys,
    register,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import PORTS


@checked("tw-reuse-no-timestamps", "warning", "tcp_tw_reuse with tcp_timestamps=0 does nothing",
         "TIME_WAIT reuse relies on TCP timestamps to tell late segments of the old connection "
         "from the new one; with timestamps off the kernel never reuses.",
         keys=(K_TW_REUSE, K_TIMESTAMPS), cross_key=True)
def _rule_tw_reuse_no_timestamps(values, context):
    reuse = integer(values, K_TW_REUSE)
    timestamps = integer(values, K_TIMESTAMPS)
    if reuse is None or reuse < 1 or timestamps != 0:
        return []
    scope = "any outgoing connection" if reuse == 1 else "loopback connections"
    return [finding(
        "tw-reuse-no-timestamps", K_TW_REUSE, values.get(K_TW_REUSE),
        "tcp_tw_reuse=%s (reuse TIME_WAIT ports for %s) does nothing while tcp_timestamps=0: "
        "reuse needs timestamps to tell old segments from new ones." % (reuse, scope),
        "Set net.ipv4.tcp_timestamps=1 (the kernel default) so tcp_tw_reuse can work, or drop "
        "tcp_tw_reuse from the list if you do not need it. Timestamps no longer reveal uptime "
        "(random offsets per address pair since 4.10).")]


@checked("tw-reuse-accepting-host", "info", "tcp_tw_reuse=1 on a host that mostly accepts connections",
         "Only the side that opens a connection (connect()) can reuse TIME_WAIT ports. On a host "
         "where at least %d%% of the connections since boot were accepted (and at least %d were "
         "made), tcp_tw_reuse=1 changes nothing that matters." % (ACCEPTING_SHARE * 100, ACCEPTING_MIN_OPENS),
         keys=(K_TW_REUSE,))
def _rule_tw_reuse_accepting(values, context):
    if integer(values, K_TW_REUSE) != 1:
        return []
    active = count(context, "active_opens")
    passive = count(context, "passive_opens")
    if active is None or passive is None:
        return []
    total = active + passive
    if total < ACCEPTING_MIN_OPENS or passive < ACCEPTING_SHARE * total:
        return []
    return [finding(
        "tw-reuse-accepting-host", K_TW_REUSE, values.get(K_TW_REUSE),
        "This host mostly accepts connections (PassiveOpens %d, ActiveOpens %d since boot, %.0f%% "
        "accepted); tcp_tw_reuse=1 only helps the side that opens connections."
        % (passive, active, 100.0 * passive / total),
        "Leave net.ipv4.tcp_tw_reuse at 2 (the default: loopback only) on servers. Set 1 on hosts "
        "that open many outgoing connections, such as proxies and API or database clients.")]


@checked("tcp-mem-above-ram", "error", "tcp_mem maximum above physical memory",
         "tcp_mem is counted in pages. Its third value times the page size is more than the "
         "host's memory, usually because a tuning list gave it in bytes.",
         keys=(K_TCP_MEM,), list_value=True)
def _rule_tcp_mem(values, context):
    numbers = ints(values, K_TCP_MEM, 3)
    mem_total = positive_int(context, "mem_total_bytes")
    page = positive_int(context, "page_size")
    if numbers is None or mem_total is None or page is None:
        return []
    high_bytes = numbers[2] * page
    if high_bytes <= mem_total:
        return []
    message = ("tcp_mem's maximum is %d pages x %d bytes = %s, more than this host's %s of memory."
               % (numbers[2], page, human_bytes(high_bytes), human_bytes(mem_total)))
    as_pages = " ".join(str(max(1, number // page)) for number in numbers)
    if high_bytes >= BYTES_MISTAKE_FACTOR * mem_total:
        message += " The numbers look like bytes; tcp_mem is counted in pages."
        remediation = ("tcp_mem is in pages of %d bytes, not bytes. If you meant bytes, write "
                       "'%s'; usually it is best to remove tcp_mem from the list and keep the "
                       "kernel's boot-time value, which scales with memory." % (page, as_pages))
    else:
        remediation = ("Lower net.ipv4.tcp_mem so its third value times %d bytes stays well below "
                       "memory (the kernel's own choice is about 9%% of it), or remove it from the "
                       "list and keep the boot-time value." % page)
    return [finding("tcp-mem-above-ram", K_TCP_MEM, values.get(K_TCP_MEM), message, remediation)]


@checked("orphans-above-ram", "warning", "tcp_max_orphans x 64 KiB above physical memory",
         "A typical orphaned socket holds about 64 KiB (one with unsent data up to tcp_wmem[2], "
         "all of them together bounded by tcp_mem); a limit whose total at the typical size "
         "exceeds memory does not protect the host.",
         keys=(K_ORPHANS,), list_value=True)
def _rule_orphans(values, context):
    orphans = integer(values, K_ORPHANS)
    mem_total = positive_int(context, "mem_total_bytes")
    if orphans is None or mem_total is None:
        return []
    worst = orphans * ORPHAN_BYTES
    if worst <= mem_total:
        return []
    fitting = mem_total // ORPHAN_BYTES
    return [finding(
        "orphans-above-ram", K_ORPHANS, values.get(K_ORPHANS),
        "tcp_max_orphans=%s allows %s of orphaned sockets at a typical 64 KiB each (more with "
        "unsent data), more than this host's %s of memory." % (orphans, human_bytes(worst), human_bytes(mem_total)),
        "Lower net.ipv4.tcp_max_orphans to at most %d (what fits in memory), better a fraction of "
        "it, or remove it from the list and keep the kernel's boot-time value." % fitting)]


@checked("triple-order", "error", "tcp_rmem, tcp_wmem or tcp_mem not in ascending order",
         "The three values are minimum, default (or pressure) and maximum and must not decrease.",
         keys=(K_RMEM, K_WMEM, K_TCP_MEM))
def _rule_triple_order(values, context):
    found = []
    names = {K_TCP_MEM: ("low", "pressure", "high"), K_RMEM: ("min", "default", "max"),
             K_WMEM: ("min", "default", "max")}
    for key in (K_RMEM, K_WMEM, K_TCP_MEM):
        numbers = ints(values, key, 3)
        if numbers is None or numbers[0] <= numbers[1] <= numbers[2]:
            continue
        labels = names[key]
        if numbers[0] > numbers[1]:
            what = "%s %d > %s %d" % (labels[0], numbers[0], labels[1], numbers[1])
        else:
            what = "%s %d > %s %d" % (labels[1], numbers[1], labels[2], numbers[2])
        found.append(finding(
            "triple-order", key, values.get(key),
            "%s is not in ascending order (%s)." % (short(key), what),
            "Write the three values of %s smallest first (%s), for example '%s'."
            % (key, ", ".join(labels), " ".join(str(n) for n in sorted(numbers)))))
    return found


PortRange = collections.namedtuple("PortRange", "low high text")


def _port_range(values):
    """ip_local_port_range as a PortRange, or None when it is not two integers."""
    numbers = ints(values, K_PORT_RANGE, 2)
    if not numbers:
        return None
    return PortRange(numbers[0], numbers[1], values.get(K_PORT_RANGE))


@checked("port-range-order", "error", "ip_local_port_range low end not below high end",
         "A range whose low end is above the high end is refused by the kernel; equal ends "
         "leave one ephemeral port.",
         keys=(K_PORT_RANGE,))
def _rule_port_range_order(values, context):
    span = _port_range(values)
    if span is None or span.low < span.high:
        return []
    low, high, text = span.low, span.high, span.text
    return [finding(
        "port-range-order", K_PORT_RANGE, text,
        "ip_local_port_range low end %d is not below its high end %d%s." % (
            low, high, " (the kernel refuses it)" if low > high else ", leaving one ephemeral port"),
        "Write the low end first and keep a wide range, for example '32768 60999' (the "
        "default) or '10000 65535'.")]


@checked("port-range-privileged", "error", "ip_local_port_range starts below the first unprivileged port",
         "Since 4548b683b781 (4.11) the kernel refuses a low end below ip_unprivileged_port_start "
         "(the live value here, 1024 by default). Where that was lowered, or on older kernels, a "
         "range below 1024 is accepted and outgoing connections take ports privileged services "
         "need: a warning then.",
         keys=(K_PORT_RANGE, K_UNPRIVILEGED_PORT))
def _rule_port_range_privileged(values, context):
    span = _port_range(values)
    start, where = unprivileged_start(values, context)
    if span is None or span.low >= max(PRIVILEGED_PORTS, start or 0):
        return []
    low, high, text = span.low, span.high, span.text
    fixed = max(low, start or 0, PRIVILEGED_PORTS)
    remediation = "Start the range at %d or above, for example '%d %d'." % (fixed, fixed, max(high, fixed + 1))
    if start is not None and low < start:
        return [finding(
            "port-range-privileged", K_PORT_RANGE, text,
            "ip_local_port_range starts at %d, below the first unprivileged port: the kernel refuses "
            "it, as %s." % (low, where), remediation)]
    return [finding(
        "port-range-privileged", K_PORT_RANGE, text,
        "ip_local_port_range starts at %d, below %d: accepted because %s, but outgoing connections "
        "then take ports that privileged services bind." % (low, PRIVILEGED_PORTS, where),
        remediation, severity="warning")]


@checked("port-range-parity", "info", "ip_local_port_range ends have the same parity",
         "Since 4.2 (07f4c90062f8) connect() uses ports of the low end's parity first and leaves the others "
         "for bind(); the kernel documentation asks for ends of different parity.",
         keys=(K_PORT_RANGE,), kernels=("4.2", None))
def _rule_port_range_parity(values, context):
    span = _port_range(values)
    if span is None or span.low >= span.high or span.low % 2 != span.high % 2:
        return []
    low, high, text = span.low, span.high, span.text
    suggestion = high + 1 if high < 65535 else high - 1
    return [finding(
        "port-range-parity", K_PORT_RANGE, text,
        "Both ends of ip_local_port_range (%d, %d) are %s; the kernel splits the range by parity "
        "between connect() and bind() and asks for ends of different parity."
        % (low, high, "even" if low % 2 == 0 else "odd"),
        "Move one end by one, for example '%d %d'." % (low, suggestion))]


@checked("port-range-listeners", "warning", "ip_local_port_range covers ports local services listen on",
         "Ports inside the ephemeral range that are not in ip_local_reserved_ports can be taken "
         "by outgoing connections, so the service cannot bind them after a restart.",
         keys=(K_PORT_RANGE, K_RESERVED), cross_key=True)
def _rule_port_range_listeners(values, context):
    span = _port_range(values)
    if span is None:
        return []
    return _port_listeners(values, context, span.low, span.high)


def _port_listeners(values, context, low, high):
    listen = (context or {}).get("listen_ports")
    if not listen or low > high:
        return []
    reserved_text = values.get(K_RESERVED)
    reserved_value = parsed(K_RESERVED, reserved_text or "")
    reserved = reserved_value.items if reserved_value is not None and reserved_value.kind == PORTS else frozenset()
    covered = sorted(set(port for port in listen if low <= port <= high and port not in reserved))
    if not covered:
        return []
    listed = ",".join(str(port) for port in covered)
    existing = (reserved_text or "").strip()
    proposal = ",".join(part for part in (existing, listed) if part)
    return [finding(
        "port-range-listeners", K_PORT_RANGE, values.get(K_PORT_RANGE),
        "ip_local_port_range %d-%d covers port%s %s that local services listen on and that "
        "ip_local_reserved_ports does not reserve." % (low, high, "" if len(covered) == 1 else "s", listed),
        "Add %s to net.ipv4.ip_local_reserved_ports (for example '%s'), or move "
        "ip_local_port_range so it does not cover %s." % (
            "it" if len(covered) == 1 else "them", proposal, "it" if len(covered) == 1 else "them"))]


@checked("tw-buckets-below-current", "warning", "tcp_max_tw_buckets below the current TIME_WAIT count",
         "Above the cap the kernel destroys new TIME_WAIT sockets at once (counted in "
         "TcpExtTCPTimeWaitOverflow); the connections lose TIME_WAIT's protection.",
         keys=(K_TW_BUCKETS,))
def _rule_tw_buckets(values, context):
    buckets = integer(values, K_TW_BUCKETS)
    current = count(context, "time_wait")
    if buckets is None or current is None or buckets >= current:
        return []
    return [finding(
        "tw-buckets-below-current", K_TW_BUCKETS, values.get(K_TW_BUCKETS),
        "tcp_max_tw_buckets=%s is below the %s sockets in TIME_WAIT right now: the kernel would "
        "destroy new TIME_WAIT sockets at once (counted in TcpExtTCPTimeWaitOverflow)."
        % (buckets, current),
        "Raise net.ipv4.tcp_max_tw_buckets well above the peak TIME_WAIT count (at least %d; "
        "TIME_WAIT sockets cost a few hundred bytes each), or remove it from the list and keep "
        "the boot-time value. To have fewer TIME_WAIT sockets, reuse connections (keep-alive, "
        "pooling) instead." % (current * 2))]


@checked("fin-timeout-low", "warning", "tcp_fin_timeout below %d seconds" % FIN_TIMEOUT_MIN,
         "Orphaned connections whose peer is slow to send its FIN are reset this soon.",
         keys=(K_FIN_TIMEOUT,))
def _rule_fin_timeout(values, context):
    seconds = integer(values, K_FIN_TIMEOUT)
    if seconds is None or seconds >= FIN_TIMEOUT_MIN:
        return []
    return [finding(
        "fin-timeout-low", K_FIN_TIMEOUT, values.get(K_FIN_TIMEOUT),
        "tcp_fin_timeout=%s resets orphaned connections whose peer takes more than %s second%s to "
        "close its side (slow mobile clients, uploads after a half-close). It does not shorten "
        "TIME_WAIT." % (seconds, seconds, "" if seconds == 1 else "s"),
        "Use at least %d seconds (30 is a common choice, 60 the default). To reduce TIME_WAIT, "
        "reuse connections or set tcp_tw_reuse=1 on the connecting side." % FIN_TIMEOUT_MIN)]


@checked("retries-low", "warning", "SYN, SYN-ACK or orphan retries too low for slow clients",
         "tcp_syn_retries or tcp_synack_retries below %d (about 15 seconds of trying), or "
         "tcp_orphan_retries of 1 or 2 (0 means 8), give up on peers behind slow or lossy "
         "links." % RETRIES_MIN,
         keys=(K_SYN_RETRIES, K_SYNACK_RETRIES, K_ORPHAN_RETRIES))
def _rule_retries(values, context):
    found = []
    for key, label in ((K_SYN_RETRIES, "outgoing connection attempts"),
                       (K_SYNACK_RETRIES, "clients finishing the handshake")):
        retries = integer(values, key)
        if retries is None or retries >= RETRIES_MIN:
            continue
        seconds = 2 ** (retries + 1) - 1
        if key == K_SYN_RETRIES and _boot.at_least(_boot.version(context), 6, 5):
            # Since ccce324dabfe (6.5) the first tcp_syn_linear_timeouts retransmissions come
            # one second apart and add to tcp_syn_retries (default 4).
            linear = integer(values, K_SYN_LINEAR)
            seconds += 4 if linear is None else linear
        found.append(finding(
            "retries-low", key, values.get(key),
            "%s=%s gives %s only about %s seconds over a slow or lossy path before giving up."
            % (short(key), retries, label, seconds),
            "Use at least %d for %s (about 15 seconds; the default is %s). Lower values mainly "
            "help during SYN floods, which tcp_syncookies=1 handles better."
            % (RETRIES_MIN, key, _catalog.default_text(key))))
    orphan = integer(values, K_ORPHAN_RETRIES)
    if orphan in (1, 2):
        found.append(finding(
            "retries-low", K_ORPHAN_RETRIES, values.get(K_ORPHAN_RETRIES),
            "tcp_orphan_retries=%s abandons the end of a response to a slow client after %s "
            "retransmission%s, about %s at the 200 ms minimum RTO (the default, 8 retries, is "
            "about %s)." % (orphan, orphan, "" if orphan == 1 else "s",
                            timers.seconds_text(timers.model_timeout_ms(orphan)),
                            timers.seconds_text(timers.model_timeout_ms(8))),
            "Use 0 (the default, meaning 8 retries) or at least 3 for net.ipv4.tcp_orphan_retries; "
            "lower values only pay off on servers drowning in orphans."))
    return found


@checked("syn-backlog-above-somaxconn", "warning", "tcp_max_syn_backlog above somaxconn",
         "Every listener's queues are capped by its listen() backlog, which somaxconn caps; a "
         "SYN backlog above somaxconn gains nothing.",
         keys=(K_SYN_BACKLOG, K_SOMAXCONN), cross_key=True)
def _rule_syn_backlog(values, context):
    backlog = integer(values, K_SYN_BACKLOG)
    somaxconn = integer(values, K_SOMAXCONN)
    if backlog is None or somaxconn is None or backlog <= somaxconn:
        return []
    return [finding(
        "syn-backlog-above-somaxconn", K_SYN_BACKLOG, values.get(K_SYN_BACKLOG),
        "tcp_max_syn_backlog=%s is above net.core.somaxconn=%s; listen() backlogs are capped at "
        "somaxconn, which caps the queues too, so the extra SYN backlog is never used."
        % (backlog, somaxconn),
        "Raise net.core.somaxconn to at least %s (and the listen() backlog in the application's "
        "configuration), or lower tcp_max_syn_backlog to %s." % (backlog, somaxconn))]


register(Rule(
    "live-differs-desired", "warning", "Live value differs from the desired value",
    "The running kernel does not have the value asked for in settings. This is drift, the state of "
    "the host rather than a judgement of the settings: sysctl_check returns it in its drift list, "
    "apart from the findings, and fail_on does not count it.",
    remediation="Apply the desired value, for example with netfleet.tcp.sysctl_profile, which also persists it."))


def evaluate(values, context, focus=None, absent=None, listed=None):
    """Judge one view of the values against the host context.

    ``values`` maps keys to normalised text (live values with any desired values laid
    over them). ``focus``, when given, keeps only findings that involve at least one
    of those keys (a desired tcp_timestamps=0 is reported against the live
    tcp_tw_reuse=1 it makes inert). ``absent`` maps keys a list sets that are not set here
    (absent, or beyond this network namespace) to their text: the ``list_value`` rules judge them as written (the units
    mistake in tcp_mem is one inside a namespace too), and their findings say so, as info:
    nothing is written here.
    ``listed``, when given, is the keys the list sets: ``listed_only`` rules keep only
    findings about them.
    Findings come in rule order.
    """
    values = values or {}
    context = context or {}
    found = []
    for registered in list(RULES.values()):
        if registered.check is not None and registered.applies(context.get("kernel_version")):
            found.extend(registered.check(values, context))
    if focus is not None:
        focus = set(focus)
        found = [item for item in found if involved_keys(item) & focus]
    if listed is not None:
        listed = set(listed)
        found = [item for item in found if item.get("key") in listed or not RULES[item["id"]].listed_only]
    if absent:
        found.extend(_absent_findings(values, context, absent))
    return found


def _absent_findings(values, context, absent):
    view = dict(values)
    view.update(absent)
    found = []
    for registered in list(RULES.values()):
        if registered.check is None or not registered.list_value or \
                not registered.applies(context.get("kernel_version")):
            continue
        for item in registered.check(view, context):
            if item.get("key") in absent:
                # Nothing is written here, so nothing breaks here: worth knowing about the list.
                item = dict(item, severity="info", message=item["message"] + " (The key is not set here: "
                            "it does not exist or reaches beyond this network namespace; the value is "
                            "judged as the list writes it.)")
                found.append(item)
    return found
