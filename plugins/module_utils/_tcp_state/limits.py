# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The limits the kernel enforces on TCP teardown, and the usable ephemeral ports.

PRIVATE: internal to the netfleet.tcp collection.

/proc/sys/net resolves against the reading thread's network namespace, so the same
reader gives a child namespace's own limits when called from a thread that joined it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ParseError, SysctlReadError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError

_BIG_ENDIAN = sys.byteorder == "big"
LIMIT_KEYS = (
    ("tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets"),
    ("tcp_max_orphans", "net.ipv4.tcp_max_orphans"),
    ("tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
    ("ip_local_port_range", "net.ipv4.ip_local_port_range"),
    ("ip_local_reserved_ports", "net.ipv4.ip_local_reserved_ports"),
    ("somaxconn", "net.core.somaxconn"),
    ("tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog"),
)


def parse_port_list(text, source="ip_local_reserved_ports"):
    """``"8080,9000-9002"`` -> ``[8080, 9000, 9001, 9002]`` (sorted, unique). Empty -> []."""
    try:
        return sorted(parse_value("net.ipv4.ip_local_reserved_ports", text or "").items)
    except KernelReadError as error:
        raise ParseError(source, str(error))


def limit_value(name, text, source):
    """One limit's text as the fact holds it (None when absent)."""
    if text is None:
        return None
    if name == "ip_local_reserved_ports":
        return parse_port_list(text, source)
    if name == "ip_local_port_range":
        parts = text.split()
        if len(parts) != 2:
            raise ParseError(source, "expected two ports, got %r" % text)
        try:
            return [int(parts[0]), int(parts[1])]
        except ValueError:
            raise ParseError(source, "expected two ports, got %r" % text)
    try:
        return int(text)
    except ValueError:
        raise ParseError(source, "expected an integer, got %r" % text)


def read_limits(proc="/proc", notes=None):
    """The limits the kernel enforces on TCP teardown, from ``proc``/sys.

    A key absent in this namespace or kernel (tcp_max_orphans outside the initial
    network namespace) is None; so is one that cannot be read (with a note).
    """
    root = os.path.join(proc, "sys")
    limits = {}
    for name, key in LIMIT_KEYS:
        try:
            text = read_value(key, root)
        except SysctlReadError as error:
            if notes is not None:
                notes.append(str(error))
            text = None
        limits[name] = limit_value(name, text, key)
    return limits


def usable_port_table(limits, listen_ports=()):
    """``(table, usable_count)``: a 65536-byte table indexed by raw local port.

    Raw means the two network-order bytes read as a native integer (what the netlink
    walk reads); the table is non-zero for ports a connect() may pick: in
    ip_local_port_range, not in ip_local_reserved_ports. Listening ports are also
    cleared in the table (a socket on one is a server-side connection) but they still
    count as usable in ``usable_count``, which is what the kernel offers.
    """
    port_range = limits.get("ip_local_port_range")
    if not port_range:
        return bytearray(65536), None
    low, high = max(port_range[0], 1), min(port_range[1], 65535)
    by_port = bytearray(65536)
    if low <= high:
        by_port[low:high + 1] = b"\x01" * (high + 1 - low)
    for port in limits.get("ip_local_reserved_ports") or ():
        if 0 <= port <= 65535:
            by_port[port] = 0
    usable = by_port.count(1)
    for port in listen_ports:
        by_port[port] = 0
    if _BIG_ENDIAN:
        return by_port, usable
    # Raw index (low byte << 8 | high byte) of port (high << 8 | low): a 256 x 256 transpose.
    table = bytearray(65536)
    for low_byte in range(256):
        table[low_byte << 8:(low_byte + 1) << 8] = by_port[low_byte::256]
    return table, usable
