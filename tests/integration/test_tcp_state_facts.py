# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcp_state_facts over SSH on a fleet host holding sockets in known states.

A helper (tcp_state_sockets.py) runs inside web1's network namespace and makes
sockets in known states on test ports; it stays alive while the playbooks run. The
census of web1 also holds sshd's own sockets (its listener and the playbook's SSH
connection), so the test compares:

- the census after the helper started minus the census before it, per family and state,
  with what the helper made: exactly;
- the census with ``ss`` run inside web1 right after (the playbook's SSH connection is
  still there, kept by ControlPersist): exactly;
- the per-port details (listeners, local ports holding TIME_WAIT and CLOSE_WAIT,
  destinations) with the helper's ports: exactly;
- the same playbook under --check: the same facts.
"""

import json
import os
import signal
import sys
import time

import pytest

HOST = "web1"
HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(HERE, "tcp_state_sockets.py")
STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")
SS_NAMES = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
            "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT",
            "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING"}
TASK = "Read the TCP state"
PLAYBOOK = """
- name: Read the TCP state of one fleet host
  hosts: %s
  gather_facts: false
  tasks:
    - name: %s
      netfleet.tcp.tcp_state_facts:
        detail: [ports, listeners]
        top: 50
""" % (HOST, TASK)
TEST_PORTS = range(23101, 23107)


def ss_counts(fleet):
    """Counts per family and state as ss sees them inside the host (an independent witness)."""
    counts = {}
    for family, flag in (("ipv4", "-4"), ("ipv6", "-6")):
        out = fleet.sh(HOST, "ss -Htan %s state all" % flag).stdout
        counts[family] = dict.fromkeys(STATES, 0)
        for line in out.splitlines():
            counts[family][SS_NAMES[line.split()[0]]] += 1
    return counts


def wait_quiet(fleet, timeout=90):
    """Wait until the host holds no socket in a passing state and nothing on the test ports.

    TIME_WAIT and FIN_WAIT2 sockets from earlier SSH connections expire within 60 s; the
    census before and after the helper must not differ by one of them expiring.
    """
    deadline = time.time() + timeout
    while True:
        out = fleet.sh(HOST, "ss -Htan state all").stdout
        lines = [line.split() for line in out.splitlines()]
        passing = [fields for fields in lines if fields[0] not in ("LISTEN", "ESTAB")]
        ours = [fields for fields in lines if any(fields[3].endswith(":%d" % port) for port in TEST_PORTS)]
        if not passing and not ours:
            return
        if time.time() > deadline:
            raise AssertionError("%s did not settle: %s" % (HOST, out))
        time.sleep(2)


def facts_of(run):
    assert run.rc == 0, run
    result = run.results(TASK)[HOST]
    assert result.get("changed") is False, result
    return result["ansible_facts"]["tcp_state"]


@pytest.fixture
def helper(fleet, tmp_path):
    """Start the socket helper inside the host; yields what it made; stops it."""
    ready = str(tmp_path / "ready.json")
    log = str(tmp_path / "helper.log")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    fleet.sh(HOST, "nohup %s %s %s >%s 2>&1 </dev/null &" % (python, HELPER, ready, log))
    deadline = time.time() + 30
    while not os.path.exists(ready):
        if time.time() > deadline:
            with open(log) as handle:
                raise AssertionError("the socket helper did not start: %s" % handle.read())
        time.sleep(0.2)
    with open(ready) as handle:
        made = json.load(handle)
    try:
        yield made
    finally:
        try:
            os.kill(made["pid"], signal.SIGTERM)
        except OSError:
            pass


def test_facts_match_sockets_in_known_states(fleet, request):
    wait_quiet(fleet)
    before = facts_of(fleet.playbook(PLAYBOOK))
    made = request.getfixturevalue("helper")
    after = facts_of(fleet.playbook(PLAYBOOK))
    witness = ss_counts(fleet)
    checked = facts_of(fleet.playbook(PLAYBOOK, check=True))

    assert after["source"] == "netlink" and after["method"] == "TCPDIAG_GETSOCK"
    # 1. What the helper made, exactly, as the difference of two censuses.
    for family in ("ipv4", "ipv6"):
        delta = dict((state, after["families"][family][state] - before["families"][family][state]) for state in STATES)
        assert delta == made["counts"][family], family
    # 2. An independent witness taken inside the host right after.
    assert after["families"] == witness
    assert after["states"] == dict((state, witness["ipv4"][state] + witness["ipv6"][state]) for state in STATES)
    assert after["total"] == sum(after["states"].values())
    # 3. The helper's ports in the details.
    ports = made["ports"]
    assert set(TEST_PORTS) <= set(after["listen_ports"])
    listeners = dict((entry["port"], entry) for entry in after["listeners"] if entry["port"] in TEST_PORTS)
    assert sorted(listeners) == list(TEST_PORTS)
    dual_stack = {"family": "ipv6", "address": "::", "port": ports["dual_stack"], "queue": 2, "backlog": 5}
    assert listeners[ports["dual_stack"]] == dual_stack
    assert listeners[ports["established"]]["backlog"] == 16 and listeners[ports["established"]]["queue"] == 0
    close_wait = dict((entry["port"], entry["count"]) for entry in after["ports"]["top_close_wait_local_ports"])
    assert close_wait.get(ports["close_wait"]) == 4 and close_wait.get(ports["half_close"]) == 2
    time_wait = dict((entry["port"], entry["count"]) for entry in after["ports"]["top_time_wait_local_ports"])
    assert time_wait.get(ports["time_wait"]) == 3
    destinations = dict(((entry["address"], entry["port"]), entry["count"]) for entry in after["ports"]["destinations"])
    assert destinations.get(("127.0.0.1", ports["established"])) == 5
    assert destinations.get(("127.0.0.1", ports["close_wait"])) == 4       # orphaned FIN_WAIT2 clients
    assert destinations.get(("127.0.0.1", ports["half_close"])) == 2
    assert destinations.get(("::1", ports["dual_stack"])) == 2
    assert destinations.get(("127.0.0.1", ports["syn_recv"])) == 1
    assert ("127.0.0.1", ports["time_wait"]) not in destinations           # those clients are gone
    usable = after["limits"]["ip_local_port_range"][1] - after["limits"]["ip_local_port_range"][0] + 1
    usable -= len([port for port in after["limits"]["ip_local_reserved_ports"]
                   if after["limits"]["ip_local_port_range"][0] <= port <= after["limits"]["ip_local_port_range"][1]])
    assert after["ports"]["usable_ports"] == usable
    # 4. --check returns the same facts.
    for key in ("source", "method", "states", "families", "total", "listen_ports", "listeners", "ports", "limits", "host"):
        assert checked[key] == after[key], key
    assert after["host"]["initial_netns"] is False
