# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for the TCP files under /proc/net: sockstat, snmp, netstat, tcp and tcp6.

PRIVATE: internal to the netfleet.tcp collection.

Every reader takes the /proc root it reads from (``proc``) so unit tests feed
recorded files. /proc/net is the reading process's network namespace. Malformed
input raises ParseError naming the file; a file that does not exist here (tcp6
with IPv6 disabled) reads as empty or null, never as an error.

The /proc/net/tcp{,6} readers are the census fallback when netlink sock_diag is not
available. They stream the file in blocks so memory stays flat however many
sockets the host holds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import struct
from collections import namedtuple

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ParseError

# The kernel's numbering of TCP states (include/net/tcp_states.h), index = state.
TCP_STATES = (
    None,
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
)
STATE_NAMES = TCP_STATES[1:]
STATE_NUMBERS = dict((name, number) for number, name in enumerate(TCP_STATES) if name)
FAMILIES = ("ipv4", "ipv6")

# Counters the facts always report; a name this kernel does not have is null.
TCP_COUNTERS = (
    "ActiveOpens",
    "PassiveOpens",
    "AttemptFails",
    "EstabResets",
    "CurrEstab",
    "InSegs",
    "OutSegs",
    "RetransSegs",
    "InErrs",
    "OutRsts",
)
TCPEXT_COUNTERS = (
    "TW",
    "TWRecycled",
    "TWKilled",
    "PAWSActive",
    "PAWSEstab",
    "ListenOverflows",
    "ListenDrops",
    "TCPTimeWaitOverflow",
    "TCPAbortOnMemory",
    "TCPAbortOnTimeout",
    "TCPAbortOnClose",
    "TCPAbortOnData",
    "TCPAbortOnLinger",
    "TCPAbortFailed",
    "TCPMemoryPressures",
    "SyncookiesSent",
    "SyncookiesRecv",
    "SyncookiesFailed",
    "TCPReqQFullDrop",
    "TCPReqQFullDoCookies",
)
COUNTERS = {"Tcp": TCP_COUNTERS, "TcpExt": TCPEXT_COUNTERS}

SOCKSTAT_TCP_FIELDS = ("inuse", "orphan", "tw", "alloc", "mem")

_BLOCK = 1 << 20


def _net_path(proc, name):
    return os.path.join(proc, "net", name)


def _read_text(path):
    """The file's text, or None when it does not exist in this namespace."""
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise ParseError(path, "cannot read: %s" % (error.strerror or error))


def _int(text, source, what):
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ParseError(source, "%s is not an integer: %r" % (what, text))


# --------------------------------------------------------------------------- sockstat


def parse_sockstat(text, source="sockstat"):
    """``/proc/net/sockstat`` text -> ``{"sockets": {"used": n}, "TCP": {"inuse": n, ...}, ...}``.

    Each line is ``NAME: field value field value ...``; every value must be an integer.
    """
    result = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or not name.strip() or len(fields) % 2:
            raise ParseError(source, "line %d is not 'NAME: field value ...': %r" % (number, line))
        values = {}
        for index in range(0, len(fields), 2):
            values[fields[index]] = _int(fields[index + 1], source, "%s %s" % (name, fields[index]))
        result[name.strip()] = values
    return result


def read_sockstat(proc="/proc"):
    """The kernel's TCP accounting from /proc/net/sockstat and sockstat6.

    Returns ``{"tcp": {inuse, orphan, tw, alloc, mem}, "tcp6": {inuse}, "sockets_used": n}``;
    a field or file absent here is None. ``tcp.inuse`` counts the IPv4 full sockets of this
    namespace (listeners included; not timewait or request minisocks) and ``tcp6.inuse``
    the IPv6 ones; ``tw`` counts timewait minisocks of both families (TIME_WAIT and
    orphaned FIN_WAIT2); ``orphan``, ``alloc`` and ``mem`` (pages) are machine-wide.
    """
    path = _net_path(proc, "sockstat")
    text = _read_text(path)
    parsed = parse_sockstat(text, path) if text is not None else {}
    tcp = parsed.get("TCP", {})
    path6 = _net_path(proc, "sockstat6")
    text6 = _read_text(path6)
    parsed6 = parse_sockstat(text6, path6) if text6 is not None else {}
    return {
        "tcp": dict((field, tcp.get(field)) for field in SOCKSTAT_TCP_FIELDS),
        "tcp6": {"inuse": parsed6.get("TCP6", {}).get("inuse")},
        "sockets_used": parsed.get("sockets", {}).get("used"),
    }


# --------------------------------------------------------------------------- counters


def parse_counters(text, source="snmp"):
    """``/proc/net/snmp`` or ``/proc/net/netstat`` text -> ``{prefix: {name: int}}``.

    Both files hold pairs of lines with the same prefix: names, then values.
    """
    result = {}
    pending = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        prefix, sep, rest = line.partition(":")
        if not sep:
            raise ParseError(source, "line %d has no 'Prefix:': %r" % (number, line))
        fields = rest.split()
        if pending is None or pending[0] != prefix:
            pending = (prefix, fields, number)
            continue
        names = pending[1]
        if len(names) != len(fields):
            raise ParseError(
                source,
                "%s: %d names on line %d but %d values on line %d"
                % (prefix, len(names), pending[2], len(fields), number),
            )
        try:
            result[prefix] = dict(zip(names, [int(value) for value in fields]))
        except ValueError:
            result[prefix] = dict(
                (name, _int(value, source, "%s %s" % (prefix, name))) for name, value in zip(names, fields)
            )
        pending = None
    if pending is not None:
        raise ParseError(source, "%s: names on line %d have no line of values" % (pending[0], pending[2]))
    return result


def read_counters(proc="/proc", names=None, everything=False):
    """TCP counters since boot: ``{"Tcp": {...}, "TcpExt": {...}}``.

    ``names`` maps each group to the counters to report (default: COUNTERS, the
    documented set); a counter this kernel does not have is None. ``everything=True``
    returns every counter of the Tcp and TcpExt groups instead.
    """
    merged = {}
    for name in ("snmp", "netstat"):
        path = _net_path(proc, name)
        text = _read_text(path)
        if text is not None:
            merged.update(parse_counters(text, path))
    if everything:
        return {"Tcp": merged.get("Tcp", {}), "TcpExt": merged.get("TcpExt", {})}
    if names is None:
        names = COUNTERS
    return dict(
        (group, dict((counter, merged.get(group, {}).get(counter)) for counter in wanted))
        for group, wanted in names.items()
    )


# --------------------------------------------------------------------------- /proc/net/tcp

ProcSocket = namedtuple(
    "ProcSocket",
    "family state local_address local_port remote_address remote_port tx_queue rx_queue uid inode",
)
ProcSocket.__doc__ = """One line of /proc/net/tcp{,6}; addresses are packed bytes (4 or 16)."""

# "  12: 0100007F:1F90 0100007F:D0A2 01 00000000:00000000 ..." (state is two hex digits)
_STATE_FIELD = re.compile(
    rb"^ *[0-9]+: (?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}):[0-9A-Fa-f]{4} (?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}):[0-9A-Fa-f]{4} ([0-9A-Fa-f]{2}) ",
    re.M,
)
_HEADER = b"sl"


def _proc_tcp_files(proc):
    return (("ipv4", _net_path(proc, "tcp")), ("ipv6", _net_path(proc, "tcp6")))


def _blocks(path):
    """Yield whole lines of ``path`` in blocks (bytes); nothing when it does not exist."""
    try:
        handle = open(path, "rb")
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return
        raise ParseError(path, "cannot read: %s" % (error.strerror or error))
    with handle:
        carry = b""
        while True:
            block = handle.read(_BLOCK)
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            if cut:
                yield block[:cut]
        if carry:
            yield carry if carry.endswith(b"\n") else carry + b"\n"


def _check_header(block, path):
    first = block.split(b"\n", 1)[0]
    if not first.split() or first.split()[0] != _HEADER:
        raise ParseError(path, "not a /proc/net/tcp file: first line is %r" % first[:80])


def count_proc_states(path):
    """Count the sockets of one /proc/net/tcp{,6} file by state: ``[0] * 12`` indexed by state.

    Raises ParseError when a line does not have the layout the kernel prints.
    """
    counts = [0] * 256
    lines = 0
    matched = 0
    first = True
    for block in _blocks(path):
        if first:
            _check_header(block, path)
            lines -= 1
            first = False
        lines += block.count(b"\n")
        found = _STATE_FIELD.findall(block)
        matched += len(found)
        for value in found:
            counts[int(value, 16)] += 1
    if matched != max(lines, 0):
        raise ParseError(path, "%d of %d socket lines do not have the kernel's layout" % (lines - matched, lines))
    return counts[:12] if not any(counts[12:]) else _unknown_state(path, counts)


def _unknown_state(path, counts):
    state = next(index for index in range(12, 256) if counts[index])
    raise ParseError(path, "socket state %02X is not a TCP state" % state)


_HEX = re.compile(r"[0-9A-Fa-f]+\Z")


def _hex(text):
    """An unsigned hexadecimal field; ValueError for anything else (int() also takes '-1' and '0x1')."""
    if not _HEX.match(text):
        raise ValueError("not hexadecimal: %r" % text)
    return int(text, 16)


def _address(text, source):
    if not _HEX.match(text):
        raise ParseError(source, "address %r is not 8 or 32 hex digits" % text)
    try:
        if len(text) == 8:
            return struct.pack("=I", int(text, 16))
        if len(text) == 32:
            return struct.pack("=IIII", *(int(text[index:index + 8], 16) for index in (0, 8, 16, 24)))
    except ValueError:
        pass
    raise ParseError(source, "address %r is not 8 or 32 hex digits" % text)


def parse_proc_tcp_line(line, family, source="tcp"):
    """One socket line of /proc/net/tcp{,6} (str or bytes) -> ProcSocket."""
    if isinstance(line, bytes):
        line = line.decode("ascii", "replace")
    fields = line.split()
    try:
        local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
        local_address, local_port = local.split(":")
        remote_address, remote_port = remote.split(":")
        tx_queue, rx_queue = queues.split(":")
        return ProcSocket(
            family,
            _hex(state),
            _address(local_address, source),
            _hex(local_port),
            _address(remote_address, source),
            _hex(remote_port),
            _hex(tx_queue),
            _hex(rx_queue),
            int(fields[7]),
            int(fields[9]),
        )
    except (IndexError, ValueError):
        raise ParseError(source, "socket line does not have the kernel's layout: %r" % line[:160])


def iter_proc_sockets(proc="/proc", states=None):
    """Yield ProcSocket for every line of /proc/net/tcp and tcp6 (streamed).

    ``states`` is an optional set of state numbers to keep; others are skipped
    before their addresses are decoded.
    """
    wanted = None
    if states is not None:
        wanted = set(b"%02X" % state for state in states)
    for family, path in _proc_tcp_files(proc):
        first = True
        for block in _blocks(path):
            lines = block.split(b"\n")
            if first:
                _check_header(block, path)
                lines = lines[1:]
                first = False
            for line in lines:
                if not line.strip():
                    continue
                if wanted is not None:
                    parts = line.split(None, 4)
                    if len(parts) < 4 or parts[3].upper() not in wanted:
                        if len(parts) < 4:
                            raise ParseError(path, "socket line does not have the kernel's layout: %r" % line[:160])
                        continue
                yield parse_proc_tcp_line(line, family, path)


def proc_census(proc="/proc"):
    """State counts per family from /proc/net/tcp{,6}: ``{"ipv4": [12 ints], "ipv6": [...]}``."""
    return dict((family, count_proc_states(path)) for family, path in _proc_tcp_files(proc))
