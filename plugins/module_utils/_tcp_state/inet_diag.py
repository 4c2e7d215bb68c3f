# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP socket dumps over NETLINK_SOCK_DIAG (inet_diag), standard library only.

PRIVATE: internal to the netfleet.tcp collection.

A dump asks the kernel for every TCP socket whose state is in a mask and streams
one ``inet_diag_msg`` per socket back in multi-part replies of up to 32 KiB each.
Everything here reads those replies out of ONE reused receive buffer, so memory
stays flat whatever the number of sockets, and never builds a list of sockets.

Requests:

- ``TCPDIAG_GETSOCK`` (18), the legacy request with ``struct inet_diag_req``. The
  kernel turns it into an AF_UNSPEC dump (inet_diag_dump_compat), so one request
  walks the socket tables once and returns IPv4 and IPv6 sockets together, whatever
  ``idiag_family`` says (checked on 6.18). It is the cheaper way to take a census.
- ``SOCK_DIAG_BY_FAMILY`` (20) with ``struct inet_diag_req_v2``, one per family; the
  fallback when the legacy request answers NLMSG_ERROR.

Facts about the replies this module relies on:

- each message is a 16-byte ``nlmsghdr`` then ``inet_diag_msg``: family at byte 16,
  state at byte 17, ports at 20..23 (network order), addresses at 24..55, then
  expires, rqueue, wqueue, uid and inode as native u32 at 68..87; attributes follow;
- TIME_WAIT minisocks report their substate in ``idiag_state``: an orphaned
  FIN_WAIT2 connection that the kernel moved into a timewait sock reports
  FIN_WAIT2, not TIME_WAIT; request socks report SYN_RECV;
- dual-stack listeners and v4-mapped connections are AF_INET6 sockets;
- a dump is a sample taken while sockets come and go, not an atomic snapshot.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket
import struct
import sys

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError, ParseError

NETLINK_SOCK_DIAG = 4
TCPDIAG_GETSOCK = 18
SOCK_DIAG_BY_FAMILY = 20

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4
NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300

AF_INET = 2
AF_INET6 = 10
IPPROTO_TCP = 6
FAMILY_NAMES = {AF_INET: "ipv4", AF_INET6: "ipv6"}

TCP_ESTABLISHED = 1
TCP_SYN_RECV = 3
TCP_FIN_WAIT2 = 5
TCP_TIME_WAIT = 6
TCP_CLOSE_WAIT = 8
TCP_LISTEN = 10
ALL_STATES = 0xFFE  # bits 1..11: every TCP state; SYN_RECV brings NEW_SYN_RECV request socks
LISTEN_ONLY = 1 << TCP_LISTEN

# The kernel never queues more than about 32 KiB per dump reply; a larger buffer is
# harmless and recv() is asked for the real size so a short buffer cannot truncate.
RECV_BUFFER = 64 * 1024

NLMSG_HEADER = 16
DIAG_MSG = 72
MIN_SOCKET_MESSAGE = NLMSG_HEADER + DIAG_MSG

_NLMSGHDR = struct.Struct("=IHHII")
_INT = struct.Struct("=i")
# length, type|flags, family, state: the census reads nothing else of a message.
_CENSUS = struct.Struct("=II8xBB")
# The first 8 bytes (length, type, flags) as one native u64, and family+state as one
# native u16: the hot loop's view of a message.
_CENSUS_FAST = struct.Struct("=Q8xH")
# Longest socket message the hot loop accepts without a closer look (inet_diag
# messages without extensions are 96-140 bytes; longer ones take the careful path).
_FAST_MAX = 2048
# length, type|flags, family, state, sport, dport (both raw: network order read natively)
_PORTS = struct.Struct("=II8xBB2xHH")
_DST = struct.Struct("=16s")
_SOCKET = struct.Struct("=BBBBHH16s16sIQIIIII")
_BIG_ENDIAN = sys.byteorder == "big"
# (length - MIN) & _BAD is non-zero for a length below MIN or not a multiple of 4.
_BAD_LENGTH = 0x80000003

# Bytes used by the uniform-chunk path to count families and states without a loop.
_FAMILY_CODE = bytes(bytearray((0x10 if value == AF_INET6 else 0x00 if value == AF_INET else 0x40) for value in range(256)))
_STATE_CODE = bytes(bytearray((value if 1 <= value <= 11 else 0x20) for value in range(256)))


class DiagError(NetfleetError):
    """The kernel answered a sock_diag request with an error (NLMSG_ERROR or an error in NLMSG_DONE)."""

    def __init__(self, code, request):
        self.errno = code
        self.request = request
        self.strerror = os.strerror(code) if code else "unknown error"
        super(DiagError, self).__init__(
            "the kernel refused the %s request: %s (errno %d)" % (request, self.strerror, code)
        )


class NetlinkUnavailable(NetfleetError):
    """No NETLINK_SOCK_DIAG socket can be used here (no kernel support, seccomp, no permission)."""


def request_name(msg_type):
    return {TCPDIAG_GETSOCK: "TCPDIAG_GETSOCK", SOCK_DIAG_BY_FAMILY: "SOCK_DIAG_BY_FAMILY"}.get(
        msg_type, "type %d" % msg_type
    )


def build_request(msg_type, states=ALL_STATES, family=AF_INET, seq=1):
    """The bytes of one dump request.

    TCPDIAG_GETSOCK carries ``struct inet_diag_req`` (family, src_len, dst_len, ext,
    48-byte id, states, dbs); SOCK_DIAG_BY_FAMILY carries ``struct inet_diag_req_v2``
    (family, protocol, ext, pad, states, 48-byte id). No extension is asked for, so
    the kernel adds only the attributes it always adds.
    """
    sockid = b"\0" * 48  # struct inet_diag_sockid: ports, addresses, interface, cookie; unused by dumps
    if msg_type == TCPDIAG_GETSOCK:
        payload = struct.pack("=BBBB", family, 0, 0, 0) + sockid + struct.pack("=II", states, 0)
    elif msg_type == SOCK_DIAG_BY_FAMILY:
        payload = struct.pack("=BBBBI", family, IPPROTO_TCP, 0, 0, states) + sockid
    else:
        raise ValueError("unknown sock_diag request type %r" % (msg_type,))
    header = _NLMSGHDR.pack(NLMSG_HEADER + len(payload), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    return header + payload


class SockDiag(object):
    """Dumps TCP sockets over NETLINK_SOCK_DIAG through one reused receive buffer.

    ``dump()`` opens a fresh netlink socket per request (so an abandoned dump never
    leaves replies behind) and yields ``(buffer, nbytes)`` for every datagram; the
    buffer is overwritten by the next datagram, so consumers read it before asking
    for the next one.
    """

    def __init__(self, bufsize=RECV_BUFFER):
        if bufsize < 32 * 1024 or bufsize % 4:
            raise ValueError("the receive buffer must be at least 32 KiB and a multiple of 4")
        self.buffer = bytearray(bufsize)
        self._seq = 0

    def _open(self):
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | getattr(socket, "SOCK_CLOEXEC", 0), NETLINK_SOCK_DIAG)
        except (AttributeError, ValueError, socket.error) as error:
            raise NetlinkUnavailable("cannot open a NETLINK_SOCK_DIAG socket: %s" % (getattr(error, "strerror", None) or error))
        return sock

    def dump(self, msg_type, states=ALL_STATES, family=AF_INET):
        self._seq = (self._seq % 0x7FFFFFFF) + 1
        sock = self._open()
        buf = self.buffer
        size = len(buf)
        try:
            try:
                sock.bind((0, 0))
                sock.send(build_request(msg_type, states, family, self._seq))
            except socket.error as error:
                raise NetlinkUnavailable("cannot send a sock_diag request: %s" % (error.strerror or error))
            recv_into = sock.recv_into
            trunc = socket.MSG_TRUNC
            while True:
                try:
                    nbytes = recv_into(buf, size, trunc)
                except socket.error as error:
                    if error.errno == errno.EINTR:
                        continue
                    if error.errno == errno.ENOBUFS:
                        raise DiagError(errno.ENOBUFS, request_name(msg_type))
                    raise NetlinkUnavailable("cannot read the sock_diag reply: %s" % (error.strerror or error))
                if nbytes > size:
                    raise ParseError("netlink", "a reply of %d bytes does not fit the %d-byte buffer" % (nbytes, size))
                yield buf, nbytes
        finally:
            sock.close()


class Census(object):
    """Sockets counted by family and state; ``ipv4``/``ipv6`` are lists indexed by state (0..11)."""

    def __init__(self):
        self.ipv4 = [0] * 12
        self.ipv6 = [0] * 12
        self.messages = 0
        self.interrupted = False

    def add(self, other):
        for index in range(12):
            self.ipv4[index] += other.ipv4[index]
            self.ipv6[index] += other.ipv6[index]
        self.messages += other.messages
        self.interrupted = self.interrupted or other.interrupted

    def as_dict(self):
        return {"ipv4": list(self.ipv4), "ipv6": list(self.ipv6)}


def _family_state_index(family, state):
    """The native u16 of the two bytes (family, state): how the hot loop indexes its counts."""
    return struct.unpack("=H", struct.pack("=BB", family, state))[0]


_STEPS = {}
_TALLIES = []
_ZEROS = (0,) * 65536


def _steps(msg_type):
    """``{first 8 bytes as a native u64: length}`` for every well-formed socket message header.

    A dump's socket messages all carry the request type and NLM_F_MULTI; their length is
    a multiple of 4 of at least MIN_SOCKET_MESSAGE. One dict lookup on the header's first
    8 bytes both validates a message and gives the step to the next one; anything else
    (NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP_INTR, damage) misses and takes the careful path.
    """
    table = _STEPS.get(msg_type)
    if table is None:
        table = {}
        for length in range(MIN_SOCKET_MESSAGE, _FAST_MAX + 1, 4):
            key = struct.unpack("=Q", struct.pack("=IHH", length, msg_type, NLM_F_MULTI))[0]
            table[key] = length
        _STEPS[msg_type] = table
    return table


_FOLD = tuple(
    (family, state, _family_state_index(family, state))
    for family in (AF_INET, AF_INET6)
    for state in range(1, 12)
)


def _special(buf, off, nbytes, msg_type, census, source):
    """Handle the message at ``off`` that the fast test did not accept.

    Returns ``(next_offset, done)``. Counts a socket message that carries
    NLM_F_DUMP_INTR, ends the dump on NLMSG_DONE, raises DiagError for NLMSG_ERROR
    (or an error carried by NLMSG_DONE) and ParseError for anything malformed.
    """
    if nbytes - off < NLMSG_HEADER:
        raise ParseError(source, "truncated netlink header at offset %d: %d bytes left" % (off, nbytes - off))
    length, kind, flags, _seq, _pid = _NLMSGHDR.unpack_from(buf, off)
    if length < NLMSG_HEADER:
        raise ParseError(
            source, "invalid netlink message at offset %d: nlmsg_len %d is shorter than its header" % (off, length)
        )
    if length > nbytes - off:
        raise ParseError(
            source,
            "truncated message at offset %d: nlmsg_len %d, %d bytes left in the datagram" % (off, length, nbytes - off),
        )
    aligned = (length + 3) & ~3
    if kind == NLMSG_DONE:
        if length >= NLMSG_HEADER + 4:
            code = _INT.unpack_from(buf, off + NLMSG_HEADER)[0]
            if code < 0:
                raise DiagError(-code, request_name(msg_type))
        return off + aligned, True
    if kind == NLMSG_ERROR:
        if length < NLMSG_HEADER + 4:
            raise ParseError(source, "NLMSG_ERROR at offset %d is too short (%d bytes)" % (off, length))
        code = _INT.unpack_from(buf, off + NLMSG_HEADER)[0]
        if code == 0:  # an acknowledgement, not an error
            return off + aligned, False
        raise DiagError(-code, request_name(msg_type))
    if kind in (NLMSG_NOOP, NLMSG_OVERRUN):
        return off + aligned, False
    if kind != msg_type:
        raise ParseError(source, "unexpected netlink message type %d at offset %d" % (kind, off))
    if length < MIN_SOCKET_MESSAGE:
        raise ParseError(
            source, "truncated inet_diag message at offset %d: %d bytes, at least %d needed" % (off, length, MIN_SOCKET_MESSAGE)
        )
    if length & 3:
        raise ParseError(source, "inet_diag message at offset %d has an unaligned length %d" % (off, length))
    family, state = buf[off + 16], buf[off + 17]
    if family == AF_INET:
        census.ipv4[state if state < 12 else 0] += 1
    elif family == AF_INET6:
        census.ipv6[state if state < 12 else 0] += 1
    census.messages += 1
    if flags & NLM_F_DUMP_INTR:
        census.interrupted = True
    return off + length, False


def _uniform(words, view, nbytes, type_flags):
    """Count a datagram made only of messages of one length without walking it.

    When the first message's length L divides the datagram and every L-th 32-bit word
    equals L (and the next word our type and flags), the datagram is exactly a run of
    L-byte messages: the family and state bytes then sit at a fixed stride and are
    counted with slicing and bytes.count. Returns ``(ipv4_counts, ipv6_counts)`` or
    None when the datagram is not uniform (the caller walks it).
    """
    length = words[0]
    if length < MIN_SOCKET_MESSAGE or length & 3 or nbytes % length:
        return None
    count = nbytes // length
    step = length >> 2
    end = nbytes >> 2
    if words[0:end:step].tobytes() != struct.pack("=I", length) * count:
        return None
    if words[1:end:step].tobytes() != type_flags * count:
        return None
    states = view[17:nbytes:length].tobytes()
    families = view[16:nbytes:length].tobytes()
    v6 = families.count(AF_INET6)
    v4 = families.count(AF_INET)
    if v6 + v4 != count:
        return None
    counted = [0] * 12
    if v6 == 0 or v4 == 0:
        for state in range(1, 12):
            counted[state] = states.count(state)
        counted[0] = count - sum(counted)
        return (counted, [0] * 12) if v6 == 0 else ([0] * 12, counted)
    # Mixed families: add family codes (0x00/0x10) to the state codes byte-wise through
    # one big-integer addition (no carry: the sum of two codes stays below 0x100).
    combined = (
        int.from_bytes(families.translate(_FAMILY_CODE), "little")
        + int.from_bytes(states.translate(_STATE_CODE), "little")
    ).to_bytes(count, "little")
    ipv4, ipv6 = [0] * 12, [0] * 12
    for state in range(1, 12):
        ipv4[state] = combined.count(state)
        ipv6[state] = combined.count(state | 0x10)
    ipv4[0] = v4 - sum(ipv4)
    ipv6[0] = v6 - sum(ipv6)
    return ipv4, ipv6


def _done_tail(buf, nbytes):
    """True when the datagram ends with a 20-byte NLMSG_DONE (checked again by the walk)."""
    if nbytes < 20:
        return False
    length, kind = struct.unpack_from("=IH", buf, nbytes - 20)
    return length == 20 and kind == NLMSG_DONE


def count_states(chunks, msg_type, source="netlink"):
    """Count the sockets of one dump reply by family and state; returns a Census.

    ``chunks`` yields ``(buffer, nbytes)`` datagrams (SockDiag.dump or a recording).
    This is the hot loop: a datagram made of equal-length messages is counted with a
    few slicing operations; any other is walked message by message reading only the
    length, type, flags and the (family, state) pair. Raises DiagError when the
    kernel answers with an error and ParseError for a malformed or truncated reply.
    """
    census = Census()
    # A zeroed 65536-entry tally, reused across calls (a namespace pass takes one census
    # per namespace, and allocating it costs more than counting a small namespace).
    fast = _TALLIES.pop() if _TALLIES else [0] * 65536
    unpack = _CENSUS_FAST.unpack_from
    step_of = _steps(msg_type).get
    type_flags = struct.pack("=HH", msg_type, NLM_F_MULTI)
    low = MIN_SOCKET_MESSAGE
    done = False
    view = words = None
    owner = None
    try:
        for buf, nbytes in chunks:
            if buf is not owner:
                owner = buf
                view = memoryview(buf)
                words = view.cast("I") if len(buf) % 4 == 0 else None
            body = nbytes - 20 if _done_tail(buf, nbytes) else nbytes
            if body > 0 and words is not None:
                uniform = _uniform(words, view, body, type_flags)
                if uniform is not None:
                    ipv4, ipv6 = uniform
                    for state in range(12):
                        census.ipv4[state] += ipv4[state]
                        census.ipv6[state] += ipv6[state]
                    census.messages += body // words[0]
                    if body == nbytes:
                        continue
                    _off, done = _special(buf, body, nbytes, msg_type, census, source)
                    if done:
                        break
                    continue
            off = 0
            end = nbytes - low
            while True:
                while off <= end:
                    header, pair = unpack(buf, off)
                    step = step_of(header)
                    if step is None:
                        break
                    fast[pair] += 1
                    off += step
                if off >= nbytes:
                    break
                off, done = _special(buf, off, nbytes, msg_type, census, source)
                if done:
                    break
            if off > nbytes:
                raise ParseError(source, "truncated message: the last message runs %d bytes past the datagram" % (off - nbytes))
            if done:
                break
        if not done:
            raise ParseError(source, "the %s reply ended without NLMSG_DONE" % request_name(msg_type))
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    folded = 0
    for family, state, index in _FOLD:
        value = fast[index]
        if value:
            (census.ipv4 if family == AF_INET else census.ipv6)[state] += value
            census.messages += value
            folded += value
            fast[index] = 0
    strays = sum(fast)
    if strays:  # family or state bytes outside AF_INET/AF_INET6 x 1..11: counted, then cleared
        census.messages += strays
        fast[:] = _ZEROS
    _TALLIES.append(fast)
    return census


def walk(chunks, msg_type, source="netlink"):
    """Yield ``(buffer, offset, length)`` for every socket message of a dump reply.

    Not the census path (a generator step per socket costs too much there); used for
    the small kernel-filtered dumps (listeners, CLOSE_WAIT inodes). Same errors as
    count_states. The buffer is only valid until the next step.
    """
    done = False
    try:
        for buf, nbytes in chunks:
            off = 0
            while off < nbytes:
                if nbytes - off < NLMSG_HEADER:
                    raise ParseError(source, "truncated netlink header at offset %d" % off)
                length, kind = _NLMSGHDR.unpack_from(buf, off)[:2]
                if kind == msg_type and MIN_SOCKET_MESSAGE <= length <= nbytes - off and not length & 3:
                    yield buf, off, length
                    off += length
                    continue
                off, done = _special(buf, off, nbytes, msg_type, Census(), source)
                if done:
                    break
            if done:
                break
        if not done:
            raise ParseError(source, "the %s reply ended without NLMSG_DONE" % request_name(msg_type))
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def parse_socket(buf, off):
    """Decode the ``inet_diag_msg`` of the message at ``off`` into a dict (not for hot paths)."""
    (family, state, timer, retrans, sport, dport, src, dst, ifindex, cookie, expires, rqueue, wqueue, uid, inode) = (
        _SOCKET.unpack_from(buf, off + NLMSG_HEADER)
    )
    return {
        "family": family,
        "state": state,
        "sport": socket.ntohs(sport),
        "dport": socket.ntohs(dport),
        "src": src,
        "dst": dst,
        "rqueue": rqueue,
        "wqueue": wqueue,
        "uid": uid,
        "inode": inode,
    }


def swap16(value):
    """A 16-bit value read natively from network order, as the port number."""
    return value if _BIG_ENDIAN else ((value & 0xFF) << 8) | (value >> 8)


class PortUse(object):
    """What the ``ports`` detail collects in the census pass.

    ``destinations`` maps ``(family, dst16, raw_dport)`` to a count of sockets whose
    local port is usable-ephemeral; ``time_wait`` and ``close_wait`` map a raw local
    port (network order read natively; see swap16) to its count of sockets in that
    state (dicts: only the ports in use are visited afterwards).
    """

    def __init__(self):
        self.destinations = {}
        self.time_wait = {}
        self.close_wait = {}
        self.ephemeral = 0


def count_states_and_ports(chunks, msg_type, usable, source="netlink"):
    """count_states plus the ``ports`` detail in the same pass over one dump.

    ``usable`` is a 65536-byte table indexed by raw local port (network order read
    natively) that is non-zero for ephemeral ports a connect() may use here (in
    ip_local_port_range, not reserved, not a listening port). Returns
    ``(Census, PortUse)``.
    """
    census = Census()
    use = PortUse()
    pairs = [0] * 65536
    unpack = _PORTS.unpack_from
    dst_of = _DST.unpack_from
    type_flags_value = msg_type | (NLM_F_MULTI << 16)
    bad = _BAD_LENGTH
    low = MIN_SOCKET_MESSAGE
    destinations = use.destinations
    time_wait = use.time_wait
    close_wait = use.close_wait
    tw_get = time_wait.get
    cw_get = close_wait.get
    ephemeral = 0
    done = False
    try:
        for buf, nbytes in chunks:
            off = 0
            while off < nbytes:
                if nbytes - off >= low:
                    length, kind_flags, family, state, sport, dport = unpack(buf, off)
                    if kind_flags == type_flags_value and not (length - low) & bad:
                        pairs[family << 8 | state] += 1
                        if state == 6:
                            time_wait[sport] = tw_get(sport, 0) + 1
                        elif state == 8:
                            close_wait[sport] = cw_get(sport, 0) + 1
                        if usable[sport] and state != 10:
                            ephemeral += 1
                            key = (family, dst_of(buf, off + 40)[0], dport)
                            destinations[key] = destinations.get(key, 0) + 1
                        off += length
                        continue
                # NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR or damage: counted (without
                # port detail), ended, or raised there.
                off, done = _special(buf, off, nbytes, msg_type, census, source)
                if done:
                    break
            if off > nbytes:
                raise ParseError(source, "truncated message: the last message runs %d bytes past the datagram" % (off - nbytes))
            if done:
                break
        if not done:
            raise ParseError(source, "the %s reply ended without NLMSG_DONE" % request_name(msg_type))
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    for family in (AF_INET, AF_INET6):
        target = census.ipv4 if family == AF_INET else census.ipv6
        for state in range(1, 12):
            value = pairs[family << 8 | state]
            target[state] += value
            census.messages += value
    use.ephemeral = ephemeral
    return census, use


def take_census(diag, states=ALL_STATES, usable=None):
    """One census over ``diag`` (a SockDiag or a recording with the same ``dump``).

    Tries TCPDIAG_GETSOCK (one pass, both families); when the kernel answers it with
    an error, takes one SOCK_DIAG_BY_FAMILY dump per family. With ``usable`` (see
    count_states_and_ports) the ``ports`` detail is collected in the same pass.
    Returns ``(Census, PortUse or None, request_name)``; raises DiagError when the
    per-family requests fail too, NetlinkUnavailable when no socket can be used.
    """

    def one(msg_type, family):
        chunks = diag.dump(msg_type, states, family)
        if usable is None:
            return count_states(chunks, msg_type), None
        return count_states_and_ports(chunks, msg_type, usable)

    try:
        counted, use = one(TCPDIAG_GETSOCK, AF_INET)
        return counted, use, request_name(TCPDIAG_GETSOCK)
    except DiagError:
        pass
    counted, use = one(SOCK_DIAG_BY_FAMILY, AF_INET)
    try:
        counted6, use6 = one(SOCK_DIAG_BY_FAMILY, AF_INET6)
    except DiagError as error:
        if error.errno not in (errno.ENOENT, errno.EAFNOSUPPORT, errno.EINVAL):
            raise
        counted6, use6 = Census(), None
    counted.add(counted6)
    if use is not None and use6 is not None:
        _merge_ports(use, use6)
    return counted, use, request_name(SOCK_DIAG_BY_FAMILY)


def _merge_ports(into, other):
    for key, value in other.destinations.items():
        into.destinations[key] = into.destinations.get(key, 0) + value
    for mine, theirs in ((into.time_wait, other.time_wait), (into.close_wait, other.close_wait)):
        for raw, value in theirs.items():
            mine[raw] = mine.get(raw, 0) + value
    into.ephemeral += other.ephemeral


def sockets(diag, states, msg_type=None):
    """Decoded sockets (parse_socket dicts) of a small kernel-filtered dump, as a list.

    For LISTEN-only and CLOSE_WAIT-only dumps. Tries TCPDIAG_GETSOCK first, then
    SOCK_DIAG_BY_FAMILY per family, like census().
    """
    if msg_type in (None, TCPDIAG_GETSOCK):
        try:
            return [parse_socket(buf, off) for buf, off, _length in walk(diag.dump(TCPDIAG_GETSOCK, states, AF_INET), TCPDIAG_GETSOCK)]
        except DiagError:
            if msg_type == TCPDIAG_GETSOCK:
                raise
    result = []
    for family in (AF_INET, AF_INET6):
        try:
            result.extend(
                parse_socket(buf, off)
                for buf, off, _length in walk(diag.dump(SOCK_DIAG_BY_FAMILY, states, family), SOCK_DIAG_BY_FAMILY)
            )
        except DiagError as error:
            if family == AF_INET or error.errno not in (errno.ENOENT, errno.EAFNOSUPPORT, errno.EINVAL):
                raise
    return result
