# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather() on recorded netlink replies and /proc files, and once on this machine."""

import os
import shutil
import socket
import struct

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as diag
from ansible_collections.netfleet.tcp.plugins.module_utils import _tcp_state
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import limits as _limits
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ParseError
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.netlink_replay import (
    Replay,
    load,
    manifest,
    proc_root,
    scenario_replay,
)

MANIFEST = manifest()
MIXED = MANIFEST["mixed"]
STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")
LISTEN_PORTS = sorted(listener["port"] for listener in MIXED["listeners"])
LISTENERS = sorted((listener["family"], listener["address"], listener["port"]) for listener in MIXED["listeners"])


def totals(expected):
    return dict((name, expected["ipv4"][name] + expected["ipv6"][name]) for name in STATES)


def copy_tree(tmp_path, scenario="mixed"):
    target = str(tmp_path / "proc")
    shutil.copytree(proc_root(scenario), target)
    return target


def recorded_sockets(name):
    result = []
    for data in load(name):
        offset = 0
        while offset < len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind in (diag.TCPDIAG_GETSOCK, diag.SOCK_DIAG_BY_FAMILY):
                result.append(diag.parse_socket(data, offset))
            offset += (length + 3) & ~3
    return result


def test_census_and_accounting_from_recorded_replies():
    facts = _tcp_state.gather(proc=proc_root("mixed"), diag=scenario_replay("mixed"))
    assert facts["source"] == "netlink"
    assert facts["method"] == "TCPDIAG_GETSOCK"
    assert facts["states"] == totals(MIXED["expected"])
    assert facts["families"] == MIXED["expected"]
    assert list(facts["states"]) == list(STATES)
    assert facts["total"] == sum(facts["states"].values())
    assert facts["sockstat"]["tcp"]["tw"] == 4
    assert facts["counters"]["TcpExt"]["ListenOverflows"] >= 1
    assert facts["limits"] == {
        "tcp_max_tw_buckets": 4096,
        "tcp_max_orphans": None,  # not in a child network namespace
        "tcp_fin_timeout": 60,
        "ip_local_port_range": [32768, 60999],
        "ip_local_reserved_ports": [40000, 40001, 40002, 50000],
        "somaxconn": 4096,
        "tcp_max_syn_backlog": 512,
    }
    assert facts["pressure"] == {
        "time_wait_ratio": round(3 / 4096.0, 6),
        "tw_bucket_ratio": round(4 / 4096.0, 6),
        "orphan_ratio": None,
        "ephemeral_port_ratio": None,  # without the ports detail
    }
    assert facts["host"]["kernel"] == MIXED["kernel"]
    assert facts["host"]["kernel_version"][:2] == [6, 18]
    assert facts["host"]["initial_netns"] is False
    assert facts["listen_ports"] == LISTEN_PORTS
    assert "ports" not in facts and "listeners" not in facts and "processes" not in facts
    assert facts["notes"] == []


def test_detail_ports_groups_ephemeral_use_by_destination():
    facts = _tcp_state.gather(detail=["ports"], proc=proc_root("mixed"), diag=scenario_replay("mixed"), top=3)
    ports = facts["ports"]
    assert ports["usable_ports"] == (60999 - 32768 + 1) - 4
    sockets = recorded_sockets("mixed.tcpdiag")
    clients = [s for s in sockets if 32768 <= s["sport"] <= 60999 and s["sport"] not in (40000, 40001, 40002, 50000)
               and s["state"] != diag.TCP_LISTEN and s["sport"] not in LISTEN_PORTS]
    expected = {}
    for sock in clients:
        family = socket.AF_INET if sock["family"] == diag.AF_INET else socket.AF_INET6
        address = socket.inet_ntop(family, sock["dst"][:4] if family == socket.AF_INET else sock["dst"])
        expected[(address, sock["dport"])] = expected.get((address, sock["dport"]), 0) + 1
    assert ports["ephemeral_sockets"] == len(clients)
    assert ports["destinations_total"] == len(expected)
    ranked = sorted(expected.items(), key=lambda item: (-item[1], item[0]))[:3]
    assert [(d["address"], d["port"], d["count"]) for d in ports["destinations"]] == [
        (address, port, count) for (address, port), count in ranked]
    assert ports["destinations"][0]["share"] == round(ranked[0][1] / float(ports["usable_ports"]), 6)
    assert facts["pressure"]["ephemeral_port_ratio"] == ports["destinations"][0]["share"]
    assert ("127.0.0.1", 7001) in expected and ("::1", 7002) in expected
    # The v4-mapped connection's client is an IPv4 socket to the dual-stack port.
    assert ("127.0.0.1", 7002) in expected
    time_wait = [s["sport"] for s in sockets if s["state"] == diag.TCP_TIME_WAIT]
    assert sorted(entry["port"] for entry in ports["top_time_wait_local_ports"]) == sorted(time_wait)[:3]
    assert ports["top_close_wait_local_ports"] == [{"port": 7001, "count": 1}, {"port": 7002, "count": 1}]


def test_detail_listeners_accept_queue_and_backlog():
    facts = _tcp_state.gather(detail=["listeners"], proc=proc_root("mixed"), diag=scenario_replay("mixed"))
    listeners = dict((entry["port"], entry) for entry in facts["listeners"])
    assert sorted(listeners) == LISTEN_PORTS
    for listener in MIXED["listeners"]:
        entry = listeners[listener["port"]]
        assert entry["family"] == listener["family"]
        assert entry["address"] == listener["address"]
        assert entry["backlog"] == listener["backlog"]
    assert listeners[7002]["address"] == "::" and listeners[7002]["family"] == "ipv6"
    assert listeners[7005]["queue"] == 1
    assert listeners[7001]["queue"] == 0


def test_detail_processes_maps_close_wait_inodes_to_pids(tmp_path):
    proc = copy_tree(tmp_path)
    inodes = [s["inode"] for s in recorded_sockets("mixed.closewait")]
    assert len(inodes) == 2
    for pid, held in (("4242", inodes), ("77", inodes[:1])):
        os.makedirs(os.path.join(proc, pid, "fd"))
        with open(os.path.join(proc, pid, "comm"), "w") as handle:
            handle.write("leaky-%s\n" % pid)
        for fd, inode in enumerate(held, 3):
            os.symlink("socket:[%d]" % inode, os.path.join(proc, pid, "fd", str(fd)))
        os.symlink("socket:[1]", os.path.join(proc, pid, "fd", "99"))
        os.symlink("/dev/null", os.path.join(proc, pid, "fd", "0"))
    os.makedirs(os.path.join(proc, "5", "fd"))  # a process holding none
    facts = _tcp_state.gather(detail=["processes"], proc=proc, diag=scenario_replay("mixed"))
    assert facts["processes"] == [
        {"pid": 4242, "name": "leaky-4242", "close_wait": 2},
        {"pid": 77, "name": "leaky-77", "close_wait": 1},
    ]
    facts = _tcp_state.gather(detail=["processes"], proc=proc, source="proc", top=1)
    assert facts["processes"] == [{"pid": 4242, "name": "leaky-4242", "close_wait": 2}]


def test_per_family_fallback_gives_the_same_facts():
    detail = ["ports", "listeners", "processes"]
    legacy = _tcp_state.gather(detail=detail, proc=proc_root("mixed"), diag=scenario_replay("mixed"))
    replay = scenario_replay("mixed", legacy=False)
    fallback = _tcp_state.gather(detail=detail, proc=proc_root("mixed"), diag=replay)
    assert fallback["method"] == "SOCK_DIAG_BY_FAMILY"
    for key in ("states", "families", "total", "listen_ports", "ports", "listeners", "processes"):
        assert fallback[key] == legacy[key], key


def test_proc_fallback_gives_the_same_facts_as_netlink():
    detail = ["ports", "listeners"]
    netlink = _tcp_state.gather(detail=detail, proc=proc_root("mixed"), diag=scenario_replay("mixed"))
    proc = _tcp_state.gather(detail=detail, proc=proc_root("mixed"), source="proc")
    assert proc["source"] == "proc" and proc["method"] == "proc_net_tcp"
    for key in ("states", "families", "total", "listen_ports", "ports"):
        assert proc[key] == netlink[key], key
    for entry_proc, entry_netlink in zip(proc["listeners"], netlink["listeners"]):
        assert entry_proc["backlog"] is None  # /proc/net/tcp does not show it
        entry_netlink = dict(entry_netlink, backlog=None)
        assert entry_proc == entry_netlink


def test_fixture_root_without_netlink_reads_proc():
    facts = _tcp_state.gather(proc=proc_root("multipart"))
    assert facts["source"] == "proc"
    assert facts["families"] == MANIFEST["multipart"]["expected"]


def test_netlink_unavailable_falls_back_to_proc_with_a_note():
    broken = Replay({"*": diag.NetlinkUnavailable("no sock_diag here")}, unknown="*")
    facts = _tcp_state.gather(proc=proc_root("mixed"), diag=broken)
    assert facts["source"] == "proc"
    assert facts["families"] == MIXED["expected"]
    assert len(facts["notes"]) == 1 and "no sock_diag here" in facts["notes"][0]
    with pytest.raises(_tcp_state.GatherError) as caught:
        _tcp_state.gather(proc=proc_root("mixed"), diag=broken, source="netlink")
    assert "no sock_diag here" in str(caught.value)
    assert caught.value.partial["source"] == "netlink"


def test_interrupted_dump_is_noted():
    replay = scenario_replay("mixed")
    replay.answers[(diag.TCPDIAG_GETSOCK, diag.ALL_STATES, diag.AF_INET)] = "mixed.dump-intr"
    facts = _tcp_state.gather(proc=proc_root("mixed"), diag=replay)
    assert facts["families"] == MIXED["expected"]
    assert any("NLM_F_DUMP_INTR" in note for note in facts["notes"])


def test_truncated_reply_fails_with_the_partial_result():
    replay = scenario_replay("mixed")
    replay.answers[(diag.TCPDIAG_GETSOCK, diag.ALL_STATES, diag.AF_INET)] = "mixed.truncated"
    with pytest.raises(_tcp_state.GatherError) as caught:
        _tcp_state.gather(proc=proc_root("mixed"), diag=replay)
    assert "take the census" in str(caught.value) and "truncated" in str(caught.value)
    assert caught.value.partial["source"] == "netlink"
    assert "states" not in caught.value.partial


def test_broken_sockstat_fails_with_the_census_in_the_partial_result(tmp_path):
    proc = copy_tree(tmp_path)
    with open(os.path.join(proc, "net", "sockstat"), "w") as handle:
        handle.write("TCP: inuse x\n")
    with pytest.raises(_tcp_state.GatherError) as caught:
        _tcp_state.gather(proc=proc, diag=scenario_replay("mixed"))
    assert "sockstat" in str(caught.value)
    assert caught.value.partial["states"] == totals(MIXED["expected"])


def test_limits_absent_or_malformed(tmp_path):
    proc = copy_tree(tmp_path)
    os.unlink(os.path.join(proc, "sys", "net", "ipv4", "tcp_max_tw_buckets"))
    os.unlink(os.path.join(proc, "sys", "net", "ipv4", "ip_local_port_range"))
    facts = _tcp_state.gather(detail=["ports"], proc=proc, diag=scenario_replay("mixed"))
    assert facts["limits"]["tcp_max_tw_buckets"] is None
    assert facts["pressure"]["time_wait_ratio"] is None
    assert facts["ports"]["usable_ports"] is None
    assert facts["ports"]["ephemeral_sockets"] == 0
    with open(os.path.join(proc, "sys", "net", "core", "somaxconn"), "w") as handle:
        handle.write("lots\n")
    with pytest.raises(_tcp_state.GatherError) as caught:
        _tcp_state.gather(proc=proc, diag=scenario_replay("mixed"))
    assert "somaxconn" in str(caught.value)


def test_orphan_ratio_in_the_initial_namespace(tmp_path):
    proc = copy_tree(tmp_path)
    with open(os.path.join(proc, "sys", "net", "ipv4", "tcp_max_orphans"), "w") as handle:
        handle.write("1000\n")
    facts = _tcp_state.gather(proc=proc, diag=scenario_replay("mixed"))
    orphans = facts["sockstat"]["tcp"]["orphan"]
    assert facts["limits"]["tcp_max_orphans"] == 1000
    assert facts["pressure"]["orphan_ratio"] == round(orphans / 1000.0, 6)


@pytest.mark.parametrize("text, ports", [
    ("", []),
    ("8080", [8080]),
    ("9000-9002,8080", [8080, 9000, 9001, 9002]),
    ("1,1,2-3", [1, 2, 3]),
])
def test_parse_port_list(text, ports):
    assert _limits.parse_port_list(text) == ports


@pytest.mark.parametrize("text", ["a", "3-1", "70000", "1-70000", "-"])
def test_parse_port_list_rejects(text):
    with pytest.raises(ParseError):
        _limits.parse_port_list(text)


def test_usable_port_table():
    limits = {"ip_local_port_range": [1000, 1009], "ip_local_reserved_ports": [1001, 2000]}
    table, usable = _limits.usable_port_table(limits, listen_ports=[1005])
    assert usable == 9
    assert [port for port in range(65536) if table[diag.swap16(port)]] == [1000, 1002, 1003, 1004, 1006, 1007, 1008, 1009]


def test_listening_ports_from_a_fixture_root():
    assert _tcp_state.listening_ports(proc_root("mixed")) == LISTEN_PORTS
    assert _tcp_state.listening_ports(proc_root("mixed"), diag=scenario_replay("mixed")) == LISTEN_PORTS


def test_listeners_from_a_fixture_root_and_recorded_replies():
    assert _tcp_state.listeners(proc_root("mixed")) == LISTENERS
    assert _tcp_state.listeners(proc_root("mixed"), diag=scenario_replay("mixed")) == LISTENERS
    assert _tcp_state.listeners(proc_root("mixed"), source="proc", diag=scenario_replay("mixed")) == LISTENERS


def test_listeners_from_proc_net_tcp(tmp_path):
    proc = build_proc(tmp_path, listeners=[("0.0.0.0", 22), ("127.0.0.1", 631), ("0.0.0.0", 22)],
                      tcp6_listeners=[("00000000000000000000000001000000", 8080),
                                      ("00000000000000000000000000000000", 443),
                                      ("0000000000000000FFFF00000100007F", 80)])
    assert _tcp_state.listeners(proc) == [
        ("ipv4", "0.0.0.0", 22), ("ipv4", "127.0.0.1", 631),
        ("ipv6", "127.0.0.1", 80), ("ipv6", "::", 443), ("ipv6", "::1", 8080)]
    assert _tcp_state.listening_ports(proc) == [22, 80, 443, 631, 8080]
    assert _tcp_state.listeners(str(tmp_path / "nowhere")) == []


def test_unknown_detail_or_source():
    with pytest.raises(ValueError):
        _tcp_state.gather(detail=["sockets"])
    with pytest.raises(ValueError):
        _tcp_state.gather(source="ss")


def test_live_gather_on_this_machine():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(3)
    port = listener.getsockname()[1]
    try:
        facts = _tcp_state.gather(detail=["ports", "listeners"])
        assert facts["source"] in ("netlink", "proc")
        assert list(facts["states"]) == list(STATES)
        assert facts["total"] == sum(facts["states"].values())
        for name in STATES:
            assert facts["states"][name] == facts["families"]["ipv4"][name] + facts["families"]["ipv6"][name]
        assert port in facts["listen_ports"]
        assert port in _tcp_state.listening_ports()
        assert ("ipv4", "127.0.0.1", port) in _tcp_state.listeners()
        mine = [entry for entry in facts["listeners"] if entry["port"] == port]
        assert mine and mine[0]["address"] == "127.0.0.1"
        if facts["source"] == "netlink":
            assert mine[0]["backlog"] == 3
    finally:
        listener.close()
