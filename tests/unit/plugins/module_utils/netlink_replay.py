# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replay recorded sock_diag replies (tests/unit/fixtures/tcp_state) through the real parsers.

A recording is the datagrams of one dump, each framed by its length (u32, little-endian),
written by tests/unit/fixtures/tcp_state/capture.py. ``Replay`` stands in for SockDiag:
``dump()`` copies each datagram into one reused buffer, as the kernel would.
"""

import json
import os
import struct

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as _inet_diag

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "tcp_state")
NETLINK = os.path.join(FIXTURES, "netlink")


def manifest():
    with open(os.path.join(FIXTURES, "manifest.json")) as handle:
        return json.load(handle)


def proc_root(scenario):
    return os.path.join(FIXTURES, "proc", scenario)


def load(name):
    """The datagrams of ``netlink/<name>.nlmsgs`` as a list of bytes."""
    with open(os.path.join(NETLINK, name + ".nlmsgs"), "rb") as handle:
        data = handle.read()
    datagrams, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        datagrams.append(data[offset + 4:offset + 4 + length])
        offset += 4 + length
    return datagrams


def chunks(datagrams, size=_inet_diag.RECV_BUFFER):
    """Yield ``(buffer, nbytes)`` with one reused buffer, like SockDiag.dump."""
    buf = bytearray(size)
    for data in datagrams:
        assert len(data) <= size, "a datagram larger than the receive buffer"
        buf[:len(data)] = data
        yield buf, len(data)


class Replay(object):
    """A SockDiag stand-in answering each request from a recording.

    ``answers`` maps ``(msg_type, states, family)`` to a recording name or a list of
    datagrams; a request without an answer gets the recorded NLMSG_ERROR reply, the
    way a kernel without that request type would answer. ``requests`` lists what was asked.
    """

    def __init__(self, answers, unknown="mixed.error"):
        self.answers = answers
        self.unknown = unknown
        self.requests = []

    def dump(self, msg_type, states=_inet_diag.ALL_STATES, family=_inet_diag.AF_INET):
        self.requests.append((msg_type, states, family))
        answer = self.answers.get((msg_type, states, family), self.unknown)
        if isinstance(answer, str):
            answer = self.answers.get(answer, answer)  # the unknown answer may name another entry
        if isinstance(answer, Exception):
            raise answer
        datagrams = load(answer) if isinstance(answer, str) else answer
        return chunks(datagrams)


def scenario_replay(scenario="mixed", legacy=True):
    """A Replay for a captured scenario; ``legacy=False`` makes TCPDIAG_GETSOCK fail."""
    answers = {
        (_inet_diag.SOCK_DIAG_BY_FAMILY, _inet_diag.ALL_STATES, _inet_diag.AF_INET): scenario + ".v4",
        (_inet_diag.SOCK_DIAG_BY_FAMILY, _inet_diag.ALL_STATES, _inet_diag.AF_INET6): scenario + ".v6",
    }
    if legacy:
        answers[(_inet_diag.TCPDIAG_GETSOCK, _inet_diag.ALL_STATES, _inet_diag.AF_INET)] = scenario + ".tcpdiag"
    if scenario == "mixed":
        close_wait = 1 << _inet_diag.TCP_CLOSE_WAIT
        answers[(_inet_diag.SOCK_DIAG_BY_FAMILY, _inet_diag.LISTEN_ONLY, _inet_diag.AF_INET)] = "mixed.listen-v4"
        answers[(_inet_diag.SOCK_DIAG_BY_FAMILY, _inet_diag.LISTEN_ONLY, _inet_diag.AF_INET6)] = "mixed.listen-v6"
        answers[(_inet_diag.SOCK_DIAG_BY_FAMILY, close_wait, _inet_diag.AF_INET)] = "mixed.closewait-v4"
        answers[(_inet_diag.SOCK_DIAG_BY_FAMILY, close_wait, _inet_diag.AF_INET6)] = "mixed.closewait-v6"
        if legacy:
            answers[(_inet_diag.TCPDIAG_GETSOCK, _inet_diag.LISTEN_ONLY, _inet_diag.AF_INET)] = "mixed.listen"
            answers[(_inet_diag.TCPDIAG_GETSOCK, close_wait, _inet_diag.AF_INET)] = "mixed.closewait"
    return Replay(answers)
