# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Formulas: profile values computed per host from its memory, page size, listeners and kernel.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import _boot
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import INTEGERS, parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError, format_ranges

KIB = 1024
MIB = 1024 * 1024

# Bytes one TIME_WAIT socket costs (struct inet_timewait_sock plus slab overhead,
# rounded up), and what a typical orphaned socket holds. Not an orphan's worst case: one
# with unsent data keeps up to its send buffer (tcp_wmem[2]); tcp_mem bounds all orphans
# together, and the kernel kills orphans past its maximum.
TIME_WAIT_SOCKET_BYTES = 256
ORPHAN_TYPICAL_BYTES = 64 * KIB

# The kernel's ephemeral port range when nothing else is known.
DEFAULT_PORT_RANGE = (32768, 60999)

PORT_RANGE_KEY = "net.ipv4.ip_local_port_range"


# ---------------------------------------------------------------------------
# Host context helpers
# ---------------------------------------------------------------------------


def _require(context, field, key):
    value = context.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ProfileError(
            "cannot compute %s for this host: its context has no usable %s (got %r); "
            "pass the result of netfleet.tcp.sysctl_check or its 'context'" % (key, field, value)
        )
    return value


def _memory_pages(context, key):
    return _require(context, "mem_total_bytes", key) // _require(context, "page_size", key)


def kernel_ehash_entries(mem_total_bytes, page_size):
    """Size of the kernel's TCP established hash as it is chosen at boot (see _rules._boot)."""
    return _boot.ehash_entries(mem_total_bytes, page_size)


def _kernel_tcp_mem(pages, kernel=None):
    return _boot.tcp_mem(pages, 1, kernel)


def _parse_ints(key, text):
    try:
        value = parse_value(key, text)
    except KernelReadError:
        return None
    return list(value.items) if value.kind == INTEGERS else None


def _live(host, key):
    """Live value of ``key`` from a sysctl_check result (its keys, else its context), or None."""
    keys = host.get("keys") or {}
    if not isinstance(keys, dict):
        raise ProfileError("the host's 'keys' must be sysctl_check's mapping of key to {live, ...}, not %s"
                           % type(keys).__name__)
    entry = keys.get(key) or {}
    live = entry.get("live") if isinstance(entry, dict) else None
    if live is None:
        live = ((host.get("context") or {}).get("sysctl_live") or {}).get(key)
    return None if live is None else normalize_text(str(live))


# ---------------------------------------------------------------------------
# Formulas: host-dependent values
# ---------------------------------------------------------------------------
#
# Each formula is a function ``(key, context, host, settings) -> value`` where
# ``context`` is sysctl_check's host context, ``host`` the whole check result (for
# live values, may only hold the context) and ``settings`` the literal values of
# the merged profile (so a formula can follow an overridden port range).
# A formula returns None when there is nothing to set on this host.


def _tw_buckets_by_memory(key, context, host, settings):
    # TIME_WAIT sockets live in the established hash (alloc_large_system_hash in tcp_init:
    # one bucket per 128 KiB of memory, at most 512 Ki). More of them than buckets makes
    # every lookup walk longer chains, so the memory budget is capped at the hash size,
    # twice the kernel's own default.
    mem = _require(context, "mem_total_bytes", key)
    budget = mem // 64 // TIME_WAIT_SOCKET_BYTES
    ehash = kernel_ehash_entries(mem, _require(context, "page_size", key))
    return min(max(budget // 1024 * 1024, ehash // 2), ehash)


def _orphans_by_memory(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    return max(mem // 4 // ORPHAN_TYPICAL_BYTES // 1024 * 1024, 1024)


def _tcp_mem_throughput(key, context, host, settings):
    pages = _memory_pages(context, key)
    return "%d %d %d" % (pages // 16, pages // 8, pages // 4)


def _kernel_tcp_mem_formula(key, context, host, settings):
    pages = _memory_pages(context, key)
    kernel = _boot.version(context)
    wanted = _kernel_tcp_mem(pages, kernel)
    live = _parse_ints(key, _live(host, key) or "")
    # The kernel sizes tcp_mem from the pages free at boot, slightly fewer than
    # MemTotal: a live value within 2% of the formula is the kernel's own, keep it.
    if live and len(live) == 3 and wanted[1] and abs(live[1] - wanted[1]) * 50 <= wanted[1]:
        if live == _kernel_tcp_mem(live[1] * _boot.tcp_mem_divisor(kernel), kernel):
            return "%d %d %d" % tuple(live)
    return "%d %d %d" % tuple(wanted)


def _kernel_half_ehash(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    return kernel_ehash_entries(mem, _require(context, "page_size", key)) // 2


def _kernel_syn_backlog(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    return _boot.syn_backlog(_boot.version(context), mem, _require(context, "page_size", key))


def _kernel_tcp_rmem(key, context, host, settings):
    mem, page = _require(context, "mem_total_bytes", key), _require(context, "page_size", key)
    return "%d %d %d" % tuple(_boot.tcp_rmem(_boot.version(context), mem, page))


def _kernel_tcp_wmem(key, context, host, settings):
    mem, page = _require(context, "mem_total_bytes", key), _require(context, "page_size", key)
    return "%d %d %d" % tuple(_boot.tcp_wmem(_boot.version(context), mem, page))


def _kernel_somaxconn(key, context, host, settings):
    return _boot.somaxconn(_boot.version(context))


def _kernel_tw_reuse(key, context, host, settings):
    # 2 (loopback only) exists and is the default since 79e9fed46038 (4.18); before it the
    # default was 0 and 2 meant reuse for every connection.
    return 2 if _boot.at_least(_boot.version(context), 4, 18) else 0


def _kernel_core_mem_max(key, context, host, settings):
    return _boot.core_mem_max(_boot.version(context))


def _port_range(context, host, settings):
    wanted = settings.get(PORT_RANGE_KEY)
    for text in (wanted, _live(host, PORT_RANGE_KEY)):
        ints = _parse_ints(PORT_RANGE_KEY, text) if text is not None else None
        if ints and len(ints) == 2:
            return ints[0], ints[1]
    return DEFAULT_PORT_RANGE


def _reserved_listen_ports(key, context, host, settings):
    low, high = _port_range(context, host, settings)
    listening = context.get("listen_ports")
    if listening is None:
        raise ProfileError(
            "cannot compute %s for this host: its context has no listen_ports" % key
        )
    if not isinstance(listening, list) or not all(
            isinstance(port, int) and not isinstance(port, bool) for port in listening):
        raise ProfileError(
            "cannot compute %s for this host: its context's listen_ports must be a list of port "
            "numbers, got %r" % (key, listening if not isinstance(listening, str) else listening[:80])
        )
    ports = set(port for port in listening if low <= int(port) <= high)
    live = _live(host, key) or ""
    try:
        ports.update(parse_value(key, live).items)
    except KernelReadError as error:
        raise ProfileError("cannot read port list %r: %s" % (live, error))
    if not ports:
        return None
    return format_ranges(ports)


FORMULAS = {
    "tw_buckets_by_memory": (
        _tw_buckets_by_memory,
        "MemTotal / 64 / %d bytes per TIME_WAIT socket, rounded down to a multiple of 1024, "
        "never below the kernel's own default (half its established hash) and never above the "
        "established hash itself (one bucket per 128 KiB of memory, at most 512 Ki), where "
        "TIME_WAIT sockets live" % TIME_WAIT_SOCKET_BYTES,
    ),
    "orphans_by_memory": (
        _orphans_by_memory,
        "MemTotal / 4 / 64 KiB (a typical orphan), rounded down to a multiple of 1024, at least "
        "1024: a quarter of memory at the typical size. An orphan with unsent data may hold up "
        "to tcp_wmem[2]; tcp_mem bounds all of them together",
    ),
    "tcp_mem_throughput": (
        _tcp_mem_throughput,
        "pages = MemTotal / page size; min pages/16, pressure pages/8, max pages/4 (in pages)",
    ),
    "reserved_listen_ports": (
        _reserved_listen_ports,
        "the host's listening TCP ports inside the ephemeral port range being applied, "
        "plus the ports already reserved; left alone when there are none",
    ),
    "kernel_tcp_mem": (
        _kernel_tcp_mem_formula,
        "the kernel's boot-time sizing: limit = pages/16 (pages/8 before Linux 4.2); min "
        "limit*3/4, pressure limit, max limit*3/2 (a live value within 2% of it is the "
        "kernel's own and kept)",
    ),
    "kernel_half_ehash": (
        _kernel_half_ehash,
        "the kernel's boot-time sizing: half the TCP established hash, which has one bucket per "
        "128 KiB of memory rounded up to a power of two, at most 512 Ki buckets",
    ),
    "kernel_syn_backlog": (
        _kernel_syn_backlog,
        "the kernel's boot-time sizing: the TCP established hash size / 128 (/ 256 before Linux "
        "5.4), at least 128",
    ),
    "kernel_tcp_rmem": (
        _kernel_tcp_rmem,
        "one page (PAGE_SIZE), 131072 (87380 before Linux 4.20), min(cap, MemTotal/128) but at "
        "least 128 KiB, cap 32 MiB since 6.16, 6 MiB from 3.4, 4 MiB before",
    ),
    "kernel_tcp_wmem": (
        _kernel_tcp_wmem,
        "one page (PAGE_SIZE), 16384, min(4 MiB, MemTotal/128) but at least 64 KiB",
    ),
    "kernel_tw_reuse": (
        _kernel_tw_reuse,
        "2 (loopback only) since Linux 4.18, 0 before (where 2 would mean reuse for all)",
    ),
    "kernel_core_mem_max": (
        _kernel_core_mem_max,
        "4 MiB since Linux 6.18, 212992 before",
    ),
    "kernel_somaxconn": (
        _kernel_somaxconn,
        "4096 since Linux 5.4, 128 before",
    ),
}
