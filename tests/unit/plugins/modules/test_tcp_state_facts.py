# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tcp_state_facts module edge, run for real on this machine (netlink and /proc)."""

import json
import os
import socket
import time

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.modules import tcp_state_facts
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import GatherError

STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as caught:
            tcp_state_facts.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def close_wait():
    """A listener and a connection left in CLOSE_WAIT by this process (its peer closed)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    client = socket.create_connection(listener.getsockname())
    server, _peer = listener.accept()
    client.close()
    time.sleep(0.05)
    yield listener.getsockname()[1], server
    server.close()
    listener.close()


def test_returns_only_the_facts_and_changes_nothing(capsys):
    code, result = run_module({}, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert set(result["ansible_facts"]) == {"tcp_state"}
    facts = result["ansible_facts"]["tcp_state"]
    assert list(facts["states"]) == list(STATES)
    assert facts["total"] == sum(facts["states"].values())
    for key in ("source", "method", "families", "sockstat", "counters", "limits", "pressure", "host",
                "listen_ports", "notes"):
        assert key in facts
    assert "ports" not in facts and "listeners" not in facts and "processes" not in facts


def test_check_mode_returns_the_same_facts(close_wait, capsys):
    port, _server = close_wait
    args = {"detail": ["listeners", "processes"]}
    code, real = run_module(args, capsys)
    assert code == 0, real
    code, check = run_module(dict(args, _ansible_check_mode=True), capsys)
    assert code == 0, check
    for result in (real, check):
        facts = result["ansible_facts"]["tcp_state"]
        assert port in facts["listen_ports"]
        assert [entry["port"] for entry in facts["listeners"]].count(port) == 1
        mine = [entry for entry in facts["processes"] if entry["pid"] == os.getpid()]
        assert mine and mine[0]["close_wait"] >= 1
    assert set(real["ansible_facts"]["tcp_state"]) == set(check["ansible_facts"]["tcp_state"])


def test_detail_ports_and_proc_source(close_wait, capsys):
    port, _server = close_wait
    code, result = run_module({"detail": ["ports"], "top": 50, "source": "proc"}, capsys)
    assert code == 0, result
    facts = result["ansible_facts"]["tcp_state"]
    assert facts["source"] == "proc"
    assert {"port": port, "count": 1} in facts["ports"]["top_close_wait_local_ports"]
    assert facts["states"]["CLOSE_WAIT"] >= 1


@pytest.mark.parametrize("args, message", [
    ({"top": 0}, "top must be 1 or more"),
    ({"detail": ["sockets"]}, "detail"),
    ({"source": "ss"}, "source"),
])
def test_bad_arguments_fail(args, message, capsys):
    code, result = run_module(args, capsys)
    assert code == 1
    assert result["failed"] is True and message in result["msg"]


def test_failure_carries_the_partial_facts(monkeypatch, capsys):
    def broken(**kwargs):
        raise GatherError("cannot read /proc/net/sockstat: boom", {"source": "netlink", "states": {"LISTEN": 1}})

    monkeypatch.setattr(tcp_state_facts, "gather", broken)
    code, result = run_module({}, capsys)
    assert code == 1
    assert result["msg"] == "cannot read /proc/net/sockstat: boom"
    assert result["tcp_state"] == {"source": "netlink", "states": {"LISTEN": 1}}
    assert "ansible_facts" not in result
