# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble ``ansible_facts.tcp_state``: census, kernel accounting, limits, host, details.

PRIVATE: internal to the netfleet.tcp collection.

Public entry points (other module_utils call them):

- ``gather(detail=(), proc="/proc", top=10, source="auto")`` -> the tcp_state dict;
- ``listeners(proc="/proc")`` -> sorted ``[(family, address, port)]`` of TCP listeners;
- ``listening_ports(proc="/proc")`` -> sorted local ports in LISTEN;
- ``read_limits(proc="/proc")`` -> the limits dict (absent keys are None).

The census and the kernel's accounting are kept apart on purpose: the census counts
sockets seen in one netlink dump (or /proc/net/tcp{,6}); ``sockstat`` and
``counters`` are what the kernel itself accounts, and they differ for good reasons
(orphaned FIN_WAIT2 minisocks are in sockstat ``tw``; counters are since boot).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

from ansible_collections.netfleet.tcp.plugins.module_utils import _host_context
from ansible_collections.netfleet.tcp.plugins.module_utils import _inet_diag
from ansible_collections.netfleet.tcp.plugins.module_utils import _proc_net
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError, ParseError, SysctlReadError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError

DETAILS = ("ports", "listeners", "processes")
SOURCES = ("auto", "netlink", "proc")
STATE_NAMES = _proc_net.STATE_NAMES

LIMIT_KEYS = (
    ("tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets"),
    ("tcp_max_orphans", "net.ipv4.tcp_max_orphans"),
    ("tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
    ("ip_local_port_range", "net.ipv4.ip_local_port_range"),
    ("ip_local_reserved_ports", "net.ipv4.ip_local_reserved_ports"),
    ("somaxconn", "net.core.somaxconn"),
    ("tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog"),
)


class GatherError(NetfleetError):
    """The facts could not be gathered; ``partial`` holds what was gathered before."""

    def __init__(self, message, partial):
        self.partial = partial
        super(GatherError, self).__init__(message)


# --------------------------------------------------------------------------- limits


def parse_port_list(text, source="ip_local_reserved_ports"):
    """``"8080,9000-9002"`` -> ``[8080, 9000, 9001, 9002]`` (sorted, unique). Empty -> []."""
    try:
        return sorted(parse_value("net.ipv4.ip_local_reserved_ports", text or "").items)
    except KernelReadError as error:
        raise ParseError(source, str(error))


def _limit_value(name, text, source):
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
        limits[name] = _limit_value(name, text, key)
    return limits


def usable_port_table(limits, listen_ports=()):
    """``(table, usable_count)``: a 65536-byte table indexed by raw local port.

    Raw means the two network-order bytes read as a native integer (what the netlink
    walk reads); the table is non-zero for ports a connect() may pick: in
    ip_local_port_range, not in ip_local_reserved_ports. Listening ports are also
    cleared in the table (a socket on one is a server-side connection) but they still
    count as usable in ``usable_count``, which is what the kernel offers.
    """
    table = bytearray(65536)
    port_range = limits.get("ip_local_port_range")
    if not port_range:
        return table, None
    low, high = port_range
    reserved = set(limits.get("ip_local_reserved_ports") or ())
    usable = 0
    swap = _inet_diag.swap16
    for port in range(max(low, 1), min(high, 65535) + 1):
        if port in reserved:
            continue
        usable += 1
        table[swap(port)] = 1
    for port in listen_ports:
        table[swap(port)] = 0
    return table, usable


# --------------------------------------------------------------------------- helpers


def _live(proc):
    return os.path.realpath(proc) == "/proc"


def _states_dict(counts):
    return dict((name, counts[number]) for number, name in enumerate(_proc_net.TCP_STATES) if name)


def _ratio(count, limit):
    if count is None or limit is None or limit <= 0:
        return None
    return round(float(count) / float(limit), 6)


def _address_text(family, packed):
    """Render an address; v4-mapped IPv6 addresses are shown as the IPv4 address."""
    if family == _inet_diag.AF_INET or len(packed) == 4:
        return socket.inet_ntop(socket.AF_INET, packed[:4])
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, packed[12:16])
    return socket.inet_ntop(socket.AF_INET6, packed[:16])


def _family_name(family):
    return _inet_diag.FAMILY_NAMES.get(family, str(family))


def _top(counts, top):
    """``[{port, count}]`` for the ``top`` largest non-zero entries of a by-port list."""
    entries = [(count, port) for port, count in enumerate(counts) if count]
    entries.sort(key=lambda item: (-item[0], item[1]))
    return [{"port": port, "count": count} for count, port in entries[:top]]


def _unswap(raw_counts):
    swap = _inet_diag.swap16
    result = [0] * 65536
    for raw, count in enumerate(raw_counts):
        if count:
            result[swap(raw)] += count
    return result


def _ports_detail(destinations, time_wait, close_wait, usable, ephemeral, top):
    """Build the ``ports`` fact from per-destination and per-local-port counts."""
    grouped = {}
    for (address, port), count in destinations.items():
        grouped[(address, port)] = grouped.get((address, port), 0) + count
    ranked = sorted(grouped.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))
    return {
        "usable_ports": usable,
        "ephemeral_sockets": ephemeral,
        "destinations_total": len(ranked),
        "destinations": [
            {"address": address, "port": port, "count": count, "share": _ratio(count, usable)}
            for (address, port), count in ranked[:top]
        ],
        "top_time_wait_local_ports": _top(time_wait, top),
        "top_close_wait_local_ports": _top(close_wait, top),
    }


# --------------------------------------------------------------------------- sources


class _NetlinkSource(object):
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
                key = (_address_text(family, packed), _inet_diag.swap16(raw_port))
                destinations[key] = destinations.get(key, 0) + count
            ports = (destinations, _unswap(use.time_wait), _unswap(use.close_wait), use.ephemeral)
        return counted.as_dict(), counted.interrupted, ports

    def close_wait_inodes(self):
        return [
            sock["inode"]
            for sock in _inet_diag.sockets(self.diag, 1 << _inet_diag.TCP_CLOSE_WAIT)
            if sock["state"] == _inet_diag.TCP_CLOSE_WAIT
        ]


class _ProcSource(object):
    """Census and details from /proc/net/tcp and tcp6 (the fallback)."""

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
        time_wait = [0] * 65536
        close_wait = [0] * 65536
        ephemeral = 0
        swap = _inet_diag.swap16
        for sock in _proc_net.iter_proc_sockets(self.proc):
            state = sock.state if sock.state < 12 else 0
            counts[sock.family][state] += 1
            if state == _inet_diag.TCP_TIME_WAIT:
                time_wait[sock.local_port] += 1
            elif state == _inet_diag.TCP_CLOSE_WAIT:
                close_wait[sock.local_port] += 1
            if state != _inet_diag.TCP_LISTEN and usable_table[swap(sock.local_port)]:
                ephemeral += 1
                family = _inet_diag.AF_INET if sock.family == "ipv4" else _inet_diag.AF_INET6
                key = (_address_text(family, sock.remote_address), sock.remote_port)
                destinations[key] = destinations.get(key, 0) + 1
        return counts, False, (destinations, time_wait, close_wait, ephemeral)

    def close_wait_inodes(self):
        return [sock.inode for sock in _proc_net.iter_proc_sockets(self.proc, states=(_inet_diag.TCP_CLOSE_WAIT,))]


def _open_source(proc, source, diag, notes):
    """Pick the census source: netlink when asked or when ``proc`` is the live /proc."""
    if source == "proc" or (source == "auto" and diag is None and not _live(proc)):
        return _ProcSource(proc)
    if diag is None:
        diag = _inet_diag.SockDiag()
    netlink = _NetlinkSource(diag)
    if source == "netlink":
        return netlink
    try:
        netlink.probe = netlink.listeners()
    except (_inet_diag.NetlinkUnavailable, _inet_diag.DiagError) as error:
        notes.append("netlink sock_diag is not usable here (%s); counted from /proc/net/tcp and tcp6" % error)
        return _ProcSource(proc)
    return netlink


# --------------------------------------------------------------------------- public


def listeners(proc="/proc", source="auto", diag=None):
    """Sorted, unique ``[(family, address, port)]`` of TCP listeners, from a LISTEN-only dump.

    ``family`` is ``ipv4`` or ``ipv6``; ``address`` is the local address as text (an
    IPv4-mapped IPv6 address is shown as the IPv4 address, as in the ``listeners``
    fact). Uses netlink on the live /proc (the kernel filters the dump, so it costs
    little however many connections the host holds) and /proc/net/tcp{,6} otherwise
    or when netlink is not usable; ``source`` and ``diag`` as for gather().
    """
    found = _open_source(proc, source, diag, [])
    entries = getattr(found, "probe", None)
    if entries is None:
        entries = found.listeners()
    return sorted(set(
        (_family_name(entry["family"]), _address_text(entry["family"], entry["address"]), entry["port"])
        for entry in entries
    ))


def listening_ports(proc="/proc", source="auto", diag=None):
    """Sorted, unique local TCP ports in LISTEN (IPv4 and IPv6); see listeners()."""
    return sorted(set(port for _family, _address, port in listeners(proc, source, diag)))


def _processes(proc, inodes, top):
    """``[{pid, name, close_wait}]``: who holds the given socket inodes, most first."""
    wanted = set(inode for inode in inodes if inode)
    if not wanted:
        return []
    holders = {}
    try:
        pids = [name for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return []
    for pid in pids:
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        held = 0
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:[") and target.endswith("]"):
                try:
                    if int(target[8:-1]) in wanted:
                        held += 1
                except ValueError:
                    continue
        if held:
            holders[int(pid)] = held
    result = []
    for pid, held in holders.items():
        try:
            with open(os.path.join(proc, str(pid), "comm")) as handle:
                name = handle.read().strip()
        except (IOError, OSError):
            name = None
        result.append({"pid": pid, "name": name, "close_wait": held})
    result.sort(key=lambda item: (-item["close_wait"], item["pid"]))
    return result[:top]


def _listeners_fact(entries):
    listeners = [
        {
            "family": _family_name(entry["family"]),
            "address": _address_text(entry["family"], entry["address"]),
            "port": entry["port"],
            "queue": entry["queue"],
            "backlog": entry["backlog"],
        }
        for entry in entries
    ]
    listeners.sort(key=lambda item: (item["port"], item["family"], item["address"]))
    return listeners


def gather(detail=(), proc="/proc", top=10, source="auto", diag=None):
    """Gather the ``tcp_state`` facts (see the module's RETURN for every field).

    ``detail`` is any of ``ports``, ``listeners``, ``processes``; ``top`` bounds the
    ranked lists; ``source`` is ``auto`` (netlink on the live /proc, /proc/net/tcp
    otherwise or when netlink is unusable), ``netlink`` or ``proc``. ``diag`` replaces
    the netlink transport (tests replay recorded replies through it).

    Raises GatherError (with the partial result) when something cannot be read.
    """
    detail = tuple(detail or ())
    unknown = [item for item in detail if item not in DETAILS]
    if unknown:
        raise ValueError("unknown detail %s (expected any of %s)" % (", ".join(unknown), ", ".join(DETAILS)))
    if source not in SOURCES:
        raise ValueError("unknown source %r (expected one of %s)" % (source, ", ".join(SOURCES)))
    notes = []
    result = {}
    step = "open the census source"
    try:
        found = _open_source(proc, source, diag, notes)
        result["source"] = found.name
        step = "read the limits"
        limits = read_limits(proc, notes)
        step = "list the listeners"
        listen_entries = getattr(found, "probe", None)
        if listen_entries is None:
            listen_entries = found.listeners()
        listen_ports = sorted(set(entry["port"] for entry in listen_entries))
        step = "take the census"
        usable_table = usable = None
        if "ports" in detail:
            usable_table, usable = usable_port_table(limits, listen_ports)
        counts, interrupted, ports = found.census(usable_table)
        if interrupted:
            notes.append("the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR): the sample may be inconsistent")
        total = [counts["ipv4"][index] + counts["ipv6"][index] for index in range(12)]
        result["method"] = found.method
        result["states"] = _states_dict(total)
        result["families"] = {"ipv4": _states_dict(counts["ipv4"]), "ipv6": _states_dict(counts["ipv6"])}
        result["total"] = sum(total[1:])
        step = "read /proc/net/sockstat"
        result["sockstat"] = _proc_net.read_sockstat(proc)
        step = "read /proc/net/snmp and netstat"
        result["counters"] = _proc_net.read_counters(proc)
        result["limits"] = limits
        tw = result["sockstat"]["tcp"]["tw"]
        result["pressure"] = {
            "time_wait_ratio": _ratio(total[_inet_diag.TCP_TIME_WAIT], limits["tcp_max_tw_buckets"]),
            "tw_bucket_ratio": _ratio(tw, limits["tcp_max_tw_buckets"]),
            "orphan_ratio": _ratio(result["sockstat"]["tcp"]["orphan"], limits["tcp_max_orphans"]),
        }
        step = "read the host context"
        release = _host_context.kernel_release(proc)
        version = _host_context.parse_kernel_release(release)
        result["host"] = {
            "kernel": release,
            "kernel_version": list(version) if version else None,
            "initial_netns": _host_context.is_initial_netns(proc),
            "proc_sys_net_writable": _host_context.proc_sys_net_writable(proc),
        }
        result["listen_ports"] = listen_ports
        if "ports" in detail:
            destinations, time_wait, close_wait, ephemeral = ports
            result["ports"] = _ports_detail(destinations, time_wait, close_wait, usable, ephemeral, top)
        if "listeners" in detail:
            result["listeners"] = _listeners_fact(listen_entries)
        if "processes" in detail:
            step = "match CLOSE_WAIT sockets to processes"
            result["processes"] = _processes(proc, found.close_wait_inodes(), top)
        result["notes"] = notes
    except (NetfleetError, EnvironmentError) as error:
        result["notes"] = notes
        raise GatherError("cannot %s: %s" % (step, error), result)
    return result
