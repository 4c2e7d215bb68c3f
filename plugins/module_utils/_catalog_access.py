# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys that cannot be set like the others: read-only, write-only, and values the kernel rounds.

PRIVATE: internal to the netfleet.tcp collection.

A side table of the catalog (like _catalog_scope), with the kernel's own answers taking
precedence: the mode bits of the key's /proc/sys file say whether it can be read and
written here (the kernel registers the same knob 0444 in one namespace and 0644 in
another), and the table names the keys whose value the kernel stores in other units.

``READ_ONLY``
    keys the kernel registers without write permission (net/ipv4/sysctl_net_ipv4.c):
    tcp_available_congestion_control and tcp_available_ulp list what is loaded;
    tcp_ehash_entries (6.1, "tcp: Introduce optional per-netns ehash") and
    udp_hash_entries (6.2, "udp: Introduce optional per-netns hash table") report
    the size of the hash a namespace got. Setting them is meaningless.
``WRITE_ONLY``
    mode 0200 triggers, not settings: net.ipv4.route.flush (net/ipv4/route.c) and
    net.ipv6.route.flush (net/ipv6/route.c). They cannot be read back, restored or
    persisted.
``ROUNDED``
    keys kept in jiffies and shown in milliseconds or USER_HZ ticks (1/100 s), so the
    kernel rounds what is written to its tick (CONFIG_HZ). net/core/neighbour.c's
    neigh_sysctl_template registers retrans_time_ms and base_reachable_time_ms with
    proc_dointvec_ms_jiffies, interval_probe_time_ms (6.0) with
    proc_dointvec_ms_jiffies_positive, and retrans_time, anycast_delay, proxy_delay
    and locktime with proc_dointvec_userhz_jiffies; net/ipv6/route.c registers
    gc_min_interval_ms and net/ipv6/addrconf.c mldv1/mldv2_unsolicited_report_interval
    with proc_dointvec_ms_jiffies. Keys in whole seconds (proc_dointvec_jiffies) are
    exact and are not listed.

The conversions follow kernel/sysctl.c (do_proc_dointvec_ms_jiffies_conv,
do_proc_dointvec_userhz_jiffies_conv), include/linux/jiffies.h (msecs_to_jiffies rounds
up) and kernel/time/time.c (jiffies_to_msecs, jiffies_to_clock_t, clock_t_to_jiffies
round down): with HZ=250, 1003 ms is 251 jiffies and reads back as 1004; a
retrans_time of 1 (10 ms) is 2 jiffies and reads back as 0.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

READ_ONLY = frozenset([
    "net.ipv4.tcp_available_congestion_control",
    "net.ipv4.tcp_available_ulp",
    "net.ipv4.tcp_ehash_entries",
    "net.ipv4.udp_hash_entries",
])

WRITE_ONLY = frozenset([
    "net.ipv4.route.flush",
    "net.ipv6.route.flush",
])

MS_JIFFIES = "ms_jiffies"
USERHZ_JIFFIES = "userhz_jiffies"
USER_HZ = 100

_NEIGH = r"^net\.ipv[46]\.neigh\.[^.]+\."
ROUNDED = (
    (re.compile(_NEIGH + r"(retrans_time_ms|base_reachable_time_ms|interval_probe_time_ms)\Z"), MS_JIFFIES),
    (re.compile(_NEIGH + r"(retrans_time|anycast_delay|proxy_delay|locktime)\Z"), USERHZ_JIFFIES),
    (re.compile(r"^net\.ipv6\.route\.gc_min_interval_ms\Z"), MS_JIFFIES),
    (re.compile(r"^net\.ipv6\.conf\.[^.]+\.mldv[12]_unsolicited_report_interval\Z"), MS_JIFFIES),
)

READABLE = "readable"
WRITABLE = "writable"


def rounding(key):
    """``ms_jiffies``, ``userhz_jiffies`` or None: how the kernel converts ``key``'s value."""
    for pattern, kind in ROUNDED:
        if pattern.match(key):
            return kind
    return None


def file_access(path):
    """``{"readable": bool, "writable": bool}`` from the mode bits of a /proc/sys file, or None.

    proc_sys_permission() checks these bits for root too, so they are the kernel's
    own answer to "can this key be read / written here".
    """
    try:
        mode = os.stat(path).st_mode
    except (IOError, OSError):
        return None
    if not stat.S_ISREG(mode):
        return None
    return {READABLE: bool(mode & 0o444), WRITABLE: bool(mode & 0o222)}


def is_read_only(key, access):
    """True when ``key`` cannot be written here: the table says so or its file has no write bit."""
    if access is not None:
        return not access[WRITABLE]
    return key in READ_ONLY


def is_write_only(key, access):
    """True when ``key`` cannot be read here: a trigger, not a setting."""
    if access is not None:
        return not access[READABLE]
    return key in WRITE_ONLY


def _ms_to_jiffies(msecs, hz):
    return -(-msecs * hz // 1000)


def _jiffies_to_ms(jiffies, hz):
    if 1000 % hz == 0:
        return jiffies * (1000 // hz)
    return jiffies * 1000 // hz


def _clock_t_to_jiffies(ticks, hz):
    if hz % USER_HZ == 0:
        return ticks * (hz // USER_HZ)
    return ticks * hz // USER_HZ


def _jiffies_to_clock_t(jiffies, hz):
    tick_nsec = (10 ** 9 + hz // 2) // hz
    per_tick = 10 ** 9 // USER_HZ
    if tick_nsec % per_tick == 0:
        return jiffies // (hz // USER_HZ)
    return jiffies * tick_nsec // per_tick


def kernel_form(key, value, hz):
    """The text the kernel reads back after ``value`` is written to ``key`` at tick rate ``hz``.

    ``value`` unchanged when the key is not rounded, the tick rate is unknown, or the
    value is not one non-negative decimal integer (the kernel refuses or keeps those).
    """
    kind = rounding(key)
    text = " ".join(str(value).split())
    if kind is None or not hz or not text.isdigit():
        return text
    number = int(text)
    if kind == MS_JIFFIES:
        return str(_jiffies_to_ms(_ms_to_jiffies(number, hz), hz))
    return str(_jiffies_to_clock_t(_clock_t_to_jiffies(number, hz), hz))
