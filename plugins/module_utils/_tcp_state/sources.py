# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a census comes from: netlink sock_diag, or /proc/net/tcp{,6} as the fallback.

PRIVATE: internal to the netfleet.tcp collection.

Both sources answer the same three questions (the listeners, the census with the
optional ``ports`` detail in the same pass, the inodes of CLOSE_WAIT sockets) in the
network namespace they were opened for: a netlink socket belongs to the namespace of
the thread that created it; /proc/net/tcp belongs to the ``net`` root it is read from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as _inet_diag
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net

SOURCES = ("auto", "netlink", "proc")


_LIVE = {}


def live(proc):
    """True when ``proc`` is this machine's live /proc (netlink then describes the same namespace)."""
    if proc not in _LIVE:
        _LIVE[proc] = os.path.realpath(proc) == "/proc"
    return _LIVE[proc]


def address_text(family, packed):
    """Render an address; v4-mapped IPv6 addresses are shown as the IPv4 address."""
    if family == _inet_diag.AF_INET or len(packed) == 4:
        return socket.inet_ntop(socket.AF_INET, packed[:4])
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, packed[12:16])
    return socket.inet_ntop(socket.AF_INET6, packed[:16])


def family_name(family):
    return _inet_diag.FAMILY_NAMES.get(family, str(family))


def by_port(raw_counts):
    """``{raw port: count}`` (network order read natively) -> ``{port: count}``."""
    swap = _inet_diag.swap16
    return dict((swap(raw), count) for raw, count in raw_counts.items())


class NetlinkSource(object):
    """Census and details over NETLINK_SOCK_DIAG."""

    name = "netlink"

    def __init__(self, diag):
        self.diag = diag
        self.method = None

    def listeners(self):
        return [
            {
                "family": sock["family"],
                "address": sock["src"],
                "port": sock["sport"],
                "queue": sock["rqueue"],
                "backlog": sock["wqueue"],
            }
            for sock in _inet_diag.sockets(self.diag, _inet_diag.LISTEN_ONLY)
            if sock["state"] == _inet_diag.TCP_LISTEN
        ]

    def census(self, usable_table=None):
        counted, use, self.method = _inet_diag.take_census(self.diag, _inet_diag.ALL_STATES, usable_table)
        ports = None
        if use is not None:
            destinations = {}
            for (family, packed, raw_port), count in use.destinations.items():
                key = (address_text(family, packed), _inet_diag.swap16(raw_port))
                destinations[key] = destinations.get(key, 0) + count
            ports = (destinations, by_port(use.time_wait), by_port(use.close_wait), use.ephemeral)
        return counted.as_dict(), counted.interrupted, ports

    def close_wait_inodes(self):
        return [
            sock["inode"]
            for sock in _inet_diag.sockets(self.diag, 1 << _inet_diag.TCP_CLOSE_WAIT)
            if sock["state"] == _inet_diag.TCP_CLOSE_WAIT
        ]


class ProcSource(object):
    """Census and details from /proc/net/tcp and tcp6 under ``proc`` (the fallback)."""

    name = "proc"
    method = "proc_net_tcp"

    def __init__(self, proc):
        self.proc = proc

    def listeners(self):
        return [
            {
                "family": _inet_diag.AF_INET if sock.family == "ipv4" else _inet_diag.AF_INET6,
                "address": sock.local_address,
                "port": sock.local_port,
                "queue": sock.rx_queue,
                "backlog": None,
            }
            for sock in _proc_net.iter_proc_sockets(self.proc, states=(_inet_diag.TCP_LISTEN,))
        ]

    def census(self, usable_table=None):
        if usable_table is None:
            return _proc_net.proc_census(self.proc), False, None
        counts = {"ipv4": [0] * 12, "ipv6": [0] * 12}
        destinations = {}
        time_wait = {}
        close_wait = {}
        ephemeral = 0
        swap = _inet_diag.swap16
        for sock in _proc_net.iter_proc_sockets(self.proc):
            state = sock.state if sock.state < 12 else 0
            counts[sock.family][state] += 1
            if state == _inet_diag.TCP_TIME_WAIT:
                time_wait[sock.local_port] = time_wait.get(sock.local_port, 0) + 1
            elif state == _inet_diag.TCP_CLOSE_WAIT:
                close_wait[sock.local_port] = close_wait.get(sock.local_port, 0) + 1
            if state != _inet_diag.TCP_LISTEN and usable_table[swap(sock.local_port)]:
                ephemeral += 1
                family = _inet_diag.AF_INET if sock.family == "ipv4" else _inet_diag.AF_INET6
                key = (address_text(family, sock.remote_address), sock.remote_port)
                destinations[key] = destinations.get(key, 0) + 1
        return counts, False, (destinations, time_wait, close_wait, ephemeral)

    def close_wait_inodes(self):
        return [sock.inode for sock in _proc_net.iter_proc_sockets(self.proc, states=(_inet_diag.TCP_CLOSE_WAIT,))]


def open_source(proc, source, diag, notes, net=None):
    """Pick the census source: netlink when asked or when ``proc`` is the live /proc.

    ``net`` is the root whose ``net/`` the /proc fallback reads (default ``proc``). The
    netlink source's probe (its listeners) is kept as ``probe`` so they are dumped once.
    """
    net = proc if net is None else net
    if source == "proc" or (source == "auto" and diag is None and not live(proc)):
        return ProcSource(net)
    if diag is None:
        diag = _inet_diag.SockDiag()
    netlink = NetlinkSource(diag)
    if source == "netlink":
        return netlink
    try:
        netlink.probe = netlink.listeners()
    except (_inet_diag.NetlinkUnavailable, _inet_diag.DiagError) as error:
        notes.append("netlink sock_diag is not usable here (%s); counted from /proc/net/tcp and tcp6" % error)
        return ProcSource(net)
    return netlink
