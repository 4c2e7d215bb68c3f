# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tcp_state_summary filter on facts gathered from recorded replies."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter.tcp_state_summary import FilterModule, tcp_state_summary
from ansible_collections.netfleet.tcp.plugins.module_utils import _tcp_state
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.netlink_replay import proc_root, scenario_replay


@pytest.fixture(scope="module")
def facts():
    return _tcp_state.gather(detail=["ports", "listeners"], proc=proc_root("mixed"), diag=scenario_replay("mixed"))


def test_state_table_pressure_and_destinations(facts):
    lines = tcp_state_summary(facts).split("\n")
    assert lines[0].startswith("TCP sockets: 32 (source: netlink TCPDIAG_GETSOCK, kernel 6.18")
    assert "child network namespace" in lines[0]
    rows = dict((line.split()[0], line.split()[1:]) for line in lines[2:13])
    assert rows["ESTABLISHED"] == ["13", "9", "4"]
    assert rows["FIN_WAIT2"] == ["3", "2", "1"]
    assert rows["LISTEN"] == ["6", "4", "2"]
    assert "Kernel accounting: tw 4, orphan 2, inuse 19 (ipv6 7)" in lines
    assert "  TIME_WAIT                0.07% (3 of 4096 tcp_max_tw_buckets)" in lines
    assert "  orphans                  n/a (tcp_max_orphans is absent here)" in lines
    destinations = lines[lines.index(next(line for line in lines if line.startswith("Busiest"))) + 1:]
    assert destinations[0].split() == ["127.0.0.1:7001", "5", "0.02%"]
    assert destinations[1].split()[0] == "[::1]:7002"
    assert "  ... and 2 more destinations" in lines
    assert "Local ports with most CLOSE_WAIT: 7001 (1), 7002 (1)" in lines
    assert any(line.split()[:4] == ["127.0.0.1:7005", "1", "/", "0"] for line in lines)


def test_hostvars_shape_and_top(facts):
    text = tcp_state_summary({"tcp_state": facts}, top=1)
    assert "  ... and 6 more destinations" in text.split("\n")
    assert "Local ports with most CLOSE_WAIT: 7001 (1)" in text.split("\n")


def test_without_details_or_limits(facts):
    slim = dict((key, value) for key, value in facts.items() if key not in ("ports", "listeners"))
    slim["limits"] = dict(facts["limits"], tcp_max_tw_buckets=None)
    slim["pressure"] = dict(facts["pressure"], time_wait_ratio=None)
    slim["notes"] = ["netlink sock_diag is not usable here"]
    lines = tcp_state_summary(slim).split("\n")
    assert not any(line.startswith(("Busiest", "Accept", "Local ports")) for line in lines)
    assert "  TIME_WAIT                n/a (tcp_max_tw_buckets is absent here)" in lines
    assert lines[-1] == "Note: netlink sock_diag is not usable here"


def test_empty_ports_and_listeners(facts):
    quiet = dict(facts, ports={"usable_ports": 100, "destinations": [], "destinations_total": 0,
                               "top_time_wait_local_ports": [], "top_close_wait_local_ports": []},
                 listeners=[{"family": "ipv4", "address": "0.0.0.0", "port": 22, "queue": 0, "backlog": 128}])
    lines = tcp_state_summary(quiet).split("\n")
    assert "Busiest destinations: none (no socket uses an ephemeral port; 100 usable)" in lines
    assert "Accept queues: all 1 listeners empty" in lines


@pytest.mark.parametrize("value, message", [
    ([], "a mapping"),
    ({"foo": 1}, "no 'states'"),
])
def test_bad_input_is_a_filter_error(value, message):
    with pytest.raises(AnsibleFilterError) as caught:
        tcp_state_summary(value)
    assert message in str(caught.value)


def test_bad_top_is_a_filter_error(facts):
    with pytest.raises(AnsibleFilterError):
        tcp_state_summary(facts, top=-1)


def test_filter_is_registered():
    assert FilterModule().filters()["tcp_state_summary"] is tcp_state_summary


def test_namespaces_section():
    from ansible_collections.netfleet.tcp.plugins.filter.tcp_state_summary import summary_lines

    states = dict.fromkeys(("TIME_WAIT", "CLOSE_WAIT"), 0)
    namespaces = [
        {"inode": 1, "name": "self", "current": True, "status": "ok", "states": dict(states, TIME_WAIT=9)},
        {"inode": 2, "name": "pod-a", "current": False, "status": "ok", "states": dict(states, TIME_WAIT=40),
         "pressure": {"ephemeral_port_ratio": 1.0}},
        {"inode": 3, "name": None, "current": False, "status": "ok", "states": dict(states, CLOSE_WAIT=7)},
        {"inode": 4, "name": "old", "current": False, "status": "gone", "reason": "disappeared"},
    ]
    facts = {"states": dict(states), "namespace_scan": {"ok": 3, "gone": 1, "cannot_enter": 0, "error": 0},
             "namespaces": namespaces}
    lines = summary_lines(facts)
    start = lines.index("Network namespaces: 4 (3 ok, 1 gone, 0 cannot_enter, 0 error)")
    assert lines[start + 1:start + 5] == [
        "  most TIME_WAIT: pod-a (40)",
        "  most ephemeral-port share: pod-a (100.00%)",
        "  most CLOSE_WAIT: inode:3 (7)",
        "  old: gone, disappeared",
    ]
    assert not [line for line in summary_lines({"states": {}}) if "namespaces" in line]
