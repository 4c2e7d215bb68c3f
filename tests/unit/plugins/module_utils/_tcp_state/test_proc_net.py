# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The /proc/net readers on files recorded next to the netlink replies (see capture.py)."""

import os
import shutil
import socket

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ParseError
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.netlink_replay import manifest, proc_root

MANIFEST = manifest()


def names(counts):
    return dict((name, counts[number]) for number, name in enumerate(_proc_net.TCP_STATES) if name)


def copy_tree(tmp_path, scenario="mixed"):
    target = str(tmp_path / "proc")
    shutil.copytree(proc_root(scenario), target)
    return target


def write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def test_sockstat_reads_the_kernel_accounting():
    stat = _proc_net.read_sockstat(proc_root("mixed"))
    assert set(stat) == {"tcp", "tcp6", "sockets_used"}
    assert set(stat["tcp"]) == {"inuse", "orphan", "tw", "alloc", "mem"}
    assert all(isinstance(value, int) for value in stat["tcp"].values())
    expected = MANIFEST["mixed"]["expected"]
    # tw counts every timewait minisock: TIME_WAIT and the orphaned FIN_WAIT2.
    assert stat["tcp"]["tw"] == expected["ipv4"]["TIME_WAIT"] + expected["ipv6"]["TIME_WAIT"] + 1
    # inuse counts full sockets per family: not timewait minisocks, not SYN_RECV request socks.
    assert stat["tcp"]["inuse"] == sum(expected["ipv4"].values()) - expected["ipv4"]["TIME_WAIT"] - expected["ipv4"]["SYN_RECV"]
    assert stat["tcp6"]["inuse"] == (sum(expected["ipv6"].values()) - expected["ipv6"]["TIME_WAIT"]
                                     - expected["ipv6"]["SYN_RECV"] - 1)  # the orphaned FIN_WAIT2 minisock
    assert stat["sockets_used"] > 0


def test_sockstat_absent_files_are_null(tmp_path):
    proc = str(tmp_path)
    stat = _proc_net.read_sockstat(proc)
    assert stat == {"tcp": dict.fromkeys(("inuse", "orphan", "tw", "alloc", "mem")),
                    "tcp6": {"inuse": None}, "sockets_used": None}


@pytest.mark.parametrize("text", ["TCP inuse 1\n", "TCP: inuse\n", "TCP: inuse one\n"])
def test_sockstat_malformed_is_a_parse_error(tmp_path, text):
    os.makedirs(str(tmp_path / "net"))
    write(str(tmp_path / "net" / "sockstat"), text)
    with pytest.raises(ParseError) as caught:
        _proc_net.read_sockstat(str(tmp_path))
    assert "sockstat" in str(caught.value)


def test_counters_report_the_documented_set():
    counters = _proc_net.read_counters(proc_root("mixed"))
    assert set(counters) == {"Tcp", "TcpExt"}
    assert tuple(counters["Tcp"]) == _proc_net.TCP_COUNTERS
    assert tuple(counters["TcpExt"]) == _proc_net.TCPEXT_COUNTERS
    assert all(isinstance(value, int) for value in counters["Tcp"].values())
    assert all(isinstance(value, int) for value in counters["TcpExt"].values())
    # The backlog-0 listener dropped the second SYN: a listen overflow was counted.
    assert counters["TcpExt"]["ListenOverflows"] >= 1
    everything = _proc_net.read_counters(proc_root("mixed"), everything=True)
    assert len(everything["TcpExt"]) > len(_proc_net.TCPEXT_COUNTERS)


def test_counters_absent_on_an_older_kernel_are_null(tmp_path):
    os.makedirs(str(tmp_path / "net"))
    write(str(tmp_path / "net" / "snmp"), "Tcp: RtoAlgorithm ActiveOpens\nTcp: 1 5\nUdp: InDatagrams\nUdp: 3\n")
    counters = _proc_net.read_counters(str(tmp_path))
    assert counters["Tcp"]["ActiveOpens"] == 5
    assert counters["Tcp"]["PassiveOpens"] is None
    assert counters["TcpExt"]["TW"] is None


@pytest.mark.parametrize("text", [
    "Tcp: A B\nTcp: 1\n",
    "Tcp: A B\n",
    "Tcp: A\nTcp: x\n",
    "no colon here\n",
])
def test_counters_malformed_is_a_parse_error(text):
    with pytest.raises(ParseError):
        _proc_net.parse_counters(text, "snmp")


@pytest.mark.parametrize("scenario", ["mixed", "multipart"])
def test_proc_census_agrees_with_the_sockets_built(scenario):
    census = _proc_net.proc_census(proc_root(scenario))
    assert names(census["ipv4"]) == MANIFEST[scenario]["expected"]["ipv4"]
    assert names(census["ipv6"]) == MANIFEST[scenario]["expected"]["ipv6"]


def test_proc_sockets_decode_addresses_ports_and_queues():
    listeners = list(_proc_net.iter_proc_sockets(proc_root("mixed"), states=(10,)))
    by_port = dict((sock.local_port, sock) for sock in listeners)
    for listener in MANIFEST["mixed"]["listeners"]:
        sock = by_port[listener["port"]]
        family = socket.AF_INET6 if listener["family"] == "ipv6" else socket.AF_INET
        assert sock.family == listener["family"]
        assert socket.inet_ntop(family, sock.local_address) == listener["address"]
    assert by_port[7005].rx_queue == 1  # one connection waiting in the accept queue
    everything = list(_proc_net.iter_proc_sockets(proc_root("mixed")))
    mapped = [sock for sock in everything if sock.local_address.startswith(b"\0" * 10 + b"\xff\xff")]
    assert mapped and all(sock.family == "ipv6" for sock in mapped)


def test_missing_tcp6_counts_as_no_ipv6_socket(tmp_path):
    proc = copy_tree(tmp_path)
    os.unlink(os.path.join(proc, "net", "tcp6"))
    census = _proc_net.proc_census(proc)
    assert sum(census["ipv6"]) == 0
    assert names(census["ipv4"]) == MANIFEST["mixed"]["expected"]["ipv4"]


@pytest.mark.parametrize("line", [
    "   0: 0100007F:1F90 0100007F:D0A2\n",
    "   0: 0100007F:1F90 0100007F:D0A2 ZZ 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
    "   0: 0100007:1F90 0100007F:D0A2 01 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
])
def test_malformed_proc_tcp_line_is_a_parse_error(tmp_path, line):
    proc = copy_tree(tmp_path)
    path = os.path.join(proc, "net", "tcp")
    with open(path, "a") as handle:
        handle.write(line)
    with pytest.raises(ParseError):
        _proc_net.proc_census(proc)
    with pytest.raises(ParseError):
        list(_proc_net.iter_proc_sockets(proc))


def test_unknown_state_is_a_parse_error(tmp_path):
    proc = copy_tree(tmp_path)
    with open(os.path.join(proc, "net", "tcp"), "a") as handle:
        handle.write("  99: 0100007F:1F90 0100007F:D0A2 0D 00000000:00000000 00:00000000 00000000 0 0 1 1\n")
    with pytest.raises(ParseError) as caught:
        _proc_net.proc_census(proc)
    assert "0D" in str(caught.value)


def test_not_a_proc_tcp_file_is_a_parse_error(tmp_path):
    proc = copy_tree(tmp_path)
    write(os.path.join(proc, "net", "tcp"), "hello\n")
    with pytest.raises(ParseError):
        _proc_net.proc_census(proc)


def test_large_file_is_streamed_in_blocks(tmp_path, monkeypatch):
    # A block smaller than a line still yields whole lines: the census does not change.
    monkeypatch.setattr(_proc_net, "_BLOCK", 97)
    census = _proc_net.proc_census(proc_root("multipart"))
    assert names(census["ipv4"]) == MANIFEST["multipart"]["expected"]["ipv4"]
    assert len(list(_proc_net.iter_proc_sockets(proc_root("multipart")))) == sum(
        sum(MANIFEST["multipart"]["expected"][family].values()) for family in ("ipv4", "ipv6"))
