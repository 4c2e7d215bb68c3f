# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sock_diag parsers on netlink replies recorded on a 6.18 kernel (see capture.py)."""

import errno
import socket
import struct

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as diag
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ParseError
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.netlink_replay import (
    Replay,
    chunks,
    load,
    manifest,
    scenario_replay,
)

STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")
MANIFEST = manifest()


def as_names(counts):
    return dict((name, counts[index + 1]) for index, name in enumerate(STATES))


def expected(scenario, family):
    return MANIFEST[scenario]["expected"][family]


def reference_count(datagrams, msg_type):
    """A plain, obviously correct walk: what count_states must agree with."""
    counts = {"ipv4": [0] * 12, "ipv6": [0] * 12}
    for data in datagrams:
        offset = 0
        while offset < len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind == msg_type:
                family = {2: "ipv4", 10: "ipv6"}[data[offset + 16]]
                counts[family][data[offset + 17]] += 1
            offset += (length + 3) & ~3
    return counts


def socket_messages(datagrams, msg_type=diag.TCPDIAG_GETSOCK):
    for data in datagrams:
        offset = 0
        while offset < len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind == msg_type:
                yield data[offset:offset + length]
            offset += (length + 3) & ~3


@pytest.mark.parametrize("scenario", ["mixed", "multipart"])
def test_legacy_request_counts_every_state_of_both_families(scenario):
    census = diag.count_states(chunks(load(scenario + ".tcpdiag")), diag.TCPDIAG_GETSOCK)
    assert as_names(census.ipv4) == expected(scenario, "ipv4")
    assert as_names(census.ipv6) == expected(scenario, "ipv6")
    assert census.messages == sum(expected(scenario, "ipv4").values()) + sum(expected(scenario, "ipv6").values())
    assert not census.interrupted


def test_legacy_request_ignores_idiag_family_on_this_kernel():
    # The kernel makes TCPDIAG_GETSOCK an AF_UNSPEC dump: asking for AF_INET6 returns the
    # same sockets of both families as asking for AF_INET.
    inet = diag.count_states(chunks(load("mixed.tcpdiag")), diag.TCPDIAG_GETSOCK)
    inet6 = diag.count_states(chunks(load("mixed.tcpdiag-inet6")), diag.TCPDIAG_GETSOCK)
    assert inet.as_dict() == inet6.as_dict()
    assert sum(inet.ipv4) and sum(inet.ipv6)


@pytest.mark.parametrize("scenario", ["mixed", "multipart"])
def test_per_family_requests_add_up_to_the_legacy_one(scenario):
    v4 = diag.count_states(chunks(load(scenario + ".v4")), diag.SOCK_DIAG_BY_FAMILY)
    v6 = diag.count_states(chunks(load(scenario + ".v6")), diag.SOCK_DIAG_BY_FAMILY)
    assert sum(v4.ipv6) == 0 and sum(v6.ipv4) == 0
    assert as_names(v4.ipv4) == expected(scenario, "ipv4")
    assert as_names(v6.ipv6) == expected(scenario, "ipv6")


def test_multipart_dump_spans_many_datagrams_and_agrees_with_a_plain_walk():
    datagrams = load("multipart.tcpdiag")
    assert len(datagrams) > 5
    census = diag.count_states(chunks(datagrams), diag.TCPDIAG_GETSOCK)
    assert census.as_dict() == reference_count(datagrams, diag.TCPDIAG_GETSOCK)


def test_orphaned_fin_wait2_is_a_timewait_minisock_counted_as_fin_wait2():
    messages = list(socket_messages(load("mixed.tcpdiag")))
    minis = [m for m in messages if len(m) == 96]  # timewait and request socks carry one attribute
    orphan = [m for m in minis if m[16] == diag.AF_INET6 and m[17] == diag.TCP_FIN_WAIT2]
    assert len(orphan) == 1
    census = diag.count_states(chunks(load("mixed.tcpdiag")), diag.TCPDIAG_GETSOCK)
    assert census.ipv6[diag.TCP_FIN_WAIT2] == 1
    assert census.ipv6[diag.TCP_TIME_WAIT] == expected("mixed", "ipv6")["TIME_WAIT"]


def test_syn_recv_request_socks_are_counted():
    census = diag.count_states(chunks(load("mixed.tcpdiag")), diag.TCPDIAG_GETSOCK)
    assert census.ipv4[diag.TCP_SYN_RECV] == 1
    assert census.ipv6[diag.TCP_SYN_RECV] == 1


def test_listeners_dual_stack_is_ipv6_with_backlog_and_queue():
    found = diag.sockets(Replay({(diag.TCPDIAG_GETSOCK, diag.LISTEN_ONLY, diag.AF_INET): "mixed.listen"}), diag.LISTEN_ONLY)
    by_port = dict((sock["sport"], sock) for sock in found)
    for listener in MANIFEST["mixed"]["listeners"]:
        sock = by_port[listener["port"]]
        assert sock["state"] == diag.TCP_LISTEN
        assert sock["family"] == (diag.AF_INET6 if listener["family"] == "ipv6" else diag.AF_INET)
        assert sock["wqueue"] == listener["backlog"]
    dual = by_port[7002]
    assert dual["src"] == b"\0" * 16
    # backlog 0 with one connection never accepted: the accept queue holds it.
    assert by_port[7005]["rqueue"] == 1


def test_uniform_datagram_takes_the_slicing_path_and_agrees():
    # Build datagrams made of one message length only, from real messages: TIME_WAIT
    # minisocks (96 bytes, both families) and full sockets (124 bytes).
    messages = list(socket_messages(load("multipart.tcpdiag"))) + list(socket_messages(load("mixed.tcpdiag")))
    done = struct.pack("=IHHIIi", 20, diag.NLMSG_DONE, diag.NLM_F_MULTI, 1, 0, 0)
    for length in (96, 124):
        same = [m for m in messages if len(m) == length]
        assert len(same) > 10
        datagrams = [b"".join(same[start:start + 250]) for start in range(0, len(same), 250)]
        datagrams[-1] += done
        buf = bytearray(diag.RECV_BUFFER)
        view = memoryview(buf)
        buf[:len(datagrams[0])] = datagrams[0]
        assert diag._uniform(view.cast("I"), view, len(datagrams[0]), struct.pack("=I", diag.TCPDIAG_GETSOCK | 2 << 16)) is not None
        census = diag.count_states(chunks(datagrams), diag.TCPDIAG_GETSOCK)
        assert census.as_dict() == reference_count(datagrams, diag.TCPDIAG_GETSOCK)


def test_uniform_path_with_mixed_families_in_one_datagram():
    messages = [m for m in socket_messages(load("mixed.tcpdiag")) if len(m) == 124]
    assert set(m[16] for m in messages) == {diag.AF_INET, diag.AF_INET6}
    done = struct.pack("=IHHIIi", 20, diag.NLMSG_DONE, diag.NLM_F_MULTI, 1, 0, 0)
    datagrams = [b"".join(messages) + done]
    census = diag.count_states(chunks(datagrams), diag.TCPDIAG_GETSOCK)
    assert census.as_dict() == reference_count(datagrams, diag.TCPDIAG_GETSOCK)


def test_nlmsg_error_reply_raises_diag_error():
    with pytest.raises(diag.DiagError) as caught:
        diag.count_states(chunks(load("mixed.error")), diag.TCPDIAG_GETSOCK)
    assert caught.value.errno == errno.EINVAL
    assert "TCPDIAG_GETSOCK" in str(caught.value)


def test_error_carried_by_nlmsg_done_raises_diag_error():
    with pytest.raises(diag.DiagError) as caught:
        diag.count_states(chunks(load("mixed.noproto")), diag.SOCK_DIAG_BY_FAMILY)
    assert caught.value.errno == errno.ENOENT


def test_truncated_message_is_a_parse_error():
    with pytest.raises(ParseError) as caught:
        diag.count_states(chunks(load("mixed.truncated")), diag.TCPDIAG_GETSOCK)
    assert "truncated" in str(caught.value)
    with pytest.raises(ParseError):
        list(diag.walk(chunks(load("mixed.truncated")), diag.TCPDIAG_GETSOCK))
    usable = bytearray(65536)
    with pytest.raises(ParseError):
        diag.count_states_and_ports(chunks(load("mixed.truncated")), diag.TCPDIAG_GETSOCK, usable)


def test_reply_without_nlmsg_done_is_a_parse_error():
    with pytest.raises(ParseError) as caught:
        diag.count_states(chunks(load("multipart.tcpdiag")[:-1]), diag.TCPDIAG_GETSOCK)
    assert "NLMSG_DONE" in str(caught.value)


@pytest.mark.parametrize("damage, message", [
    ("zero-length", "shorter than its header"),
    ("short-length", "truncated inet_diag message"),
    ("unaligned", "unaligned"),
    ("past-end", "truncated message"),
    ("header-cut", "truncated"),
])
def test_damaged_replies_raise_parse_error_never_loop(damage, message):
    datagrams = load("mixed.tcpdiag")
    data = bytearray(datagrams[0])
    second = struct.unpack_from("=I", data, 0)[0]  # offset of the second message
    if damage == "zero-length":
        struct.pack_into("=I", data, second, 0)
    elif damage == "short-length":
        struct.pack_into("=I", data, second, 40)
    elif damage == "unaligned":
        struct.pack_into("=I", data, second, 125)
    elif damage == "past-end":
        struct.pack_into("=I", data, second, 100000)
    elif damage == "header-cut":
        data = data[:second + 10]
    with pytest.raises(ParseError) as caught:
        diag.count_states(chunks([bytes(data)] + datagrams[1:]), diag.TCPDIAG_GETSOCK)
    assert message in str(caught.value)
    # The same reply undamaged counts fine.
    assert diag.count_states(chunks(datagrams), diag.TCPDIAG_GETSOCK).messages


def test_dump_interrupted_flag_is_reported_and_counted():
    census = diag.count_states(chunks(load("mixed.dump-intr")), diag.TCPDIAG_GETSOCK)
    assert census.interrupted
    assert as_names(census.ipv4) == expected("mixed", "ipv4")
    assert as_names(census.ipv6) == expected("mixed", "ipv6")


def test_unexpected_message_type_is_a_parse_error():
    data = bytearray(load("mixed.tcpdiag")[0])
    struct.pack_into("=H", data, 4, 99)
    with pytest.raises(ParseError):
        diag.count_states(chunks([bytes(data)]), diag.TCPDIAG_GETSOCK)


def test_take_census_falls_back_to_per_family_requests():
    replay = scenario_replay("mixed", legacy=False)
    census, ports, method = diag.take_census(replay)
    assert method == "SOCK_DIAG_BY_FAMILY"
    assert ports is None
    assert as_names(census.ipv4) == expected("mixed", "ipv4")
    assert as_names(census.ipv6) == expected("mixed", "ipv6")
    assert [request[0] for request in replay.requests] == [18, 20, 20]
    assert [request[2] for request in replay.requests[1:]] == [diag.AF_INET, diag.AF_INET6]


def test_take_census_uses_one_legacy_request_when_it_works():
    replay = scenario_replay("mixed")
    census, _ports, method = diag.take_census(replay)
    assert method == "TCPDIAG_GETSOCK"
    assert replay.requests == [(diag.TCPDIAG_GETSOCK, diag.ALL_STATES, diag.AF_INET)]
    assert as_names(census.ipv6) == expected("mixed", "ipv6")


def test_ports_pass_counts_like_the_census_and_groups_destinations():
    usable = bytearray(65536)
    for port in range(32768, 61000):
        usable[diag.swap16(port)] = 1
    for listener in MANIFEST["mixed"]["listeners"]:
        usable[diag.swap16(listener["port"])] = 0
    census, use = diag.count_states_and_ports(chunks(load("mixed.tcpdiag")), diag.TCPDIAG_GETSOCK, usable)
    assert as_names(census.ipv4) == expected("mixed", "ipv4")
    assert as_names(census.ipv6) == expected("mixed", "ipv6")
    by_port = {}
    for (family, dst, raw_port), count in use.destinations.items():
        by_port[diag.swap16(raw_port)] = by_port.get(diag.swap16(raw_port), 0) + count
    # Every client socket (ephemeral local port) of the scenario, by the listener it reaches.
    messages = [parse(m) for m in socket_messages(load("mixed.tcpdiag"))]
    clients = [m for m in messages if 32768 <= m["sport"] <= 60999 and m["state"] != diag.TCP_LISTEN]
    assert use.ephemeral == len(clients)
    assert sum(by_port.values()) == len(clients)
    assert set(by_port) <= set(listener["port"] for listener in MANIFEST["mixed"]["listeners"])
    tw = [m for m in messages if m["state"] == diag.TCP_TIME_WAIT]
    assert sum(use.time_wait.values()) == len(tw)
    cw = [m for m in messages if m["state"] == diag.TCP_CLOSE_WAIT]
    assert sorted(diag.swap16(raw) for raw, n in use.close_wait.items() for _copy in range(n)) == sorted(m["sport"] for m in cw)


def parse(message):
    return diag.parse_socket(message, 0)


def test_build_request_layouts():
    legacy = diag.build_request(diag.TCPDIAG_GETSOCK, 0xFFE, diag.AF_INET, seq=7)
    assert len(legacy) == 16 + 60  # nlmsghdr + struct inet_diag_req
    assert struct.unpack_from("=IHHI", legacy) == (76, 18, 0x301, 7)
    assert struct.unpack_from("=I", legacy, 16 + 52)[0] == 0xFFE
    v2 = diag.build_request(diag.SOCK_DIAG_BY_FAMILY, 1 << 10, diag.AF_INET6)
    assert len(v2) == 16 + 56  # nlmsghdr + struct inet_diag_req_v2
    assert struct.unpack_from("=BBBBI", v2, 16) == (diag.AF_INET6, socket.IPPROTO_TCP, 0, 0, 1 << 10)
    with pytest.raises(ValueError):
        diag.build_request(99)


def test_receive_buffer_must_be_at_least_32k():
    with pytest.raises(ValueError):
        diag.SockDiag(16 * 1024)
    assert len(diag.SockDiag().buffer) >= 32 * 1024


def test_live_listen_dump_sees_a_listener_made_here():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(7)
    port = listener.getsockname()[1]
    try:
        try:
            found = diag.sockets(diag.SockDiag(), diag.LISTEN_ONLY)
        except diag.NetlinkUnavailable as error:
            pytest.skip("netlink sock_diag is not usable here: %s" % error)
        mine = [sock for sock in found if sock["sport"] == port]
        assert len(mine) == 1
        assert mine[0]["wqueue"] == 7 and mine[0]["state"] == diag.TCP_LISTEN
        census, _ports, method = diag.take_census(diag.SockDiag())
        assert method == "TCPDIAG_GETSOCK"
        assert census.ipv4[diag.TCP_LISTEN] + census.ipv6[diag.TCP_LISTEN] >= 1
    finally:
        listener.close()
