# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcp_state_facts with namespaces: all, over SSH on web1, against child namespaces the test owns.

Each test adds its own network namespaces (``ip netns add nf<ID>t-*``, loopback only) and
starts tcp_state_namespace_sockets.py inside three of them, holding known populations:

- ``tw``: 25 TIME_WAIT sockets and a listener;
- ``cw``: 7 CLOSE_WAIT sockets held by a process named nf-cw-leaker, their 7 orphaned
  FIN_WAIT2 peers, 3 ESTABLISHED pairs and a listener;
- ``ports``: ip_local_port_range narrowed to 10 ports inside it, all 10 used towards one
  destination (an 11th connect() fails with EADDRNOTAVAIL), and a listener;
- ``empty``: nothing, referenced only by its name.

The facts gathered on web1 (from web1's own namespace) must name each and count it
exactly; a namespace deleted after it was found and before its turn is reported as gone;
the audit of web1 shows the port-exhausted namespace while web1's own namespace is quiet,
and its gate fails on it. Everything is removed afterwards.
"""

import json
import os
import subprocess
import sys
import time

import pytest

HOST = "web1"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HELPER = os.path.join(HERE, "tcp_state_namespace_sockets.py")
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
KINDS = {"tw": "time_wait", "cw": "close_wait", "ports": "ports"}
TASK = "Read the TCP state of every namespace"
PLAYBOOK = """
- name: Read the TCP state of every network namespace of one fleet host
  hosts: %s
  gather_facts: false
  tasks:
    - name: %s
      netfleet.tcp.tcp_state_facts:
        namespaces: all
        detail: [ports, processes]
        top: 50
""" % (HOST, TASK)


def nonzero(states):
    return dict((state, count) for state, count in states.items() if count)


@pytest.fixture
def children(fleet, tmp_path):
    """Add the child namespaces and their socket holders; yields {short name: info}; removes all."""
    prefix = "nf%st-" % fleet.id
    names = dict((short, prefix + short) for short in ("tw", "cw", "ports", "empty"))
    helpers, made = [], {}
    try:
        for short, name in names.items():
            subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL, check=False)
            subprocess.run(["ip", "netns", "add", name], check=True)
            subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
            made[short] = {"name": name, "inode": os.stat("/run/netns/" + name).st_ino}
        for short, kind in KINDS.items():
            ready = str(tmp_path / ("%s.json" % short))
            helpers.append(subprocess.Popen(["ip", "netns", "exec", names[short], PYTHON, HELPER, kind, ready],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            deadline = time.time() + 30
            while not os.path.exists(ready):
                if helpers[-1].poll() is not None or time.time() > deadline:
                    raise AssertionError("helper %s did not start: %s" % (kind, helpers[-1].stderr.read()))
                time.sleep(0.1)
            with open(ready) as handle:
                made[short].update(json.load(handle))
        yield made
    finally:
        for proc in helpers:
            proc.terminate()
            proc.wait(timeout=30)
        for name in names.values():
            subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL, check=False)


def namespace_facts(fleet):
    run = fleet.playbook(PLAYBOOK)
    assert run.rc == 0, run
    result = run.results(TASK)[HOST]
    assert result["changed"] is False
    return result["ansible_facts"]["tcp_state"]


def test_every_child_namespace_is_named_and_counted_exactly(fleet, children):
    facts = namespace_facts(fleet)
    assert time.time() - children["tw"]["made_at"] < 58, "too slow: the TIME_WAIT sockets may have expired"
    by_name = dict((entry["name"], entry) for entry in facts["namespaces"] if entry["name"])
    own = facts["namespaces"][0]
    assert own["current"] is True and own["name"] == "nf%s-%s" % (fleet.id, HOST) and own["status"] == "ok"
    assert facts["namespace_scan"]["error"] == 0 and facts["namespace_scan"]["cannot_enter"] == 0
    for short, info in children.items():
        entry = by_name[info["name"]]
        assert entry["inode"] == info["inode"] and entry["status"] == "ok" and entry["reason"] is None, entry
        assert entry["current"] is False and entry["initial"] is False
        expected = info.get("counts", {})
        assert nonzero(entry["states"]) == expected, (short, entry["states"])
        assert entry["total"] == sum(expected.values())
        if "pid" in info:
            assert entry["holder_count"] == 1
            assert entry["holders"] == [{"pid": info["pid"], "comm": info["comm"], "container": None}]
        else:
            assert entry["holder_count"] == 0 and entry["holders"] == []
    tw, cw, ports = by_name[children["tw"]["name"]], by_name[children["cw"]["name"]], by_name[children["ports"]["name"]]
    # The TIME_WAIT sockets are the clients' ends: 25 different ephemeral ports, one each.
    assert sorted(item["count"] for item in tw["ports"]["top_time_wait_local_ports"]) == [1] * 25
    assert tw["sockstat"]["tcp"]["tw"] == 25
    # The CLOSE_WAIT sockets and who holds them.
    assert cw["processes"] == [{"pid": children["cw"]["pid"], "name": "nf-cw-leaker", "close_wait": 7}]
    assert cw["ports"]["top_close_wait_local_ports"] == [{"port": 23202, "count": 7}]
    # The port-exhausted destination, against that namespace's own port range.
    assert children["ports"]["eleventh"] == "EADDRNOTAVAIL"
    assert ports["limits"]["ip_local_port_range"] == [40000, 40009]
    assert own["limits"]["ip_local_port_range"] != [40000, 40009]
    assert ports["ports"]["usable_ports"] == 10
    assert ports["ports"]["destinations"] == [{"address": "127.0.0.1", "port": 23203, "count": 10, "share": 1.0}]
    assert ports["pressure"]["ephemeral_port_ratio"] == 1.0
    assert own["pressure"]["ephemeral_port_ratio"] < 0.5


GONE_SCRIPT = r"""
import json, os, sys, time
sys.path.insert(0, %(collections)r)
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import gather, gather_namespaces, netns
found = netns.find_namespaces()
open(%(found)r, "w").close()
while not os.path.exists(%(deleted)r):
    time.sleep(0.05)
entries, scan = gather_namespaces(current_facts=gather(), found=found)
print(json.dumps({"entries": [dict((key, entry[key]) for key in ("inode", "name", "status", "reason", "current"))
                              for entry in entries], "scan": scan}))
"""


def test_a_namespace_deleted_during_the_pass_is_reported_as_gone(fleet, children, tmp_path):
    script = tmp_path / "gone.py"
    found, deleted = str(tmp_path / "found"), str(tmp_path / "deleted")
    script.write_text(GONE_SCRIPT % {"collections": COLLECTIONS, "found": found, "deleted": deleted})
    pass_ = subprocess.Popen(["ip", "netns", "exec", "nf%s-%s" % (fleet.id, HOST), PYTHON, str(script)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    deadline = time.time() + 60
    while not os.path.exists(found):
        assert pass_.poll() is None and time.time() < deadline, pass_.communicate()
        time.sleep(0.05)
    gone = children["empty"]
    subprocess.run(["ip", "netns", "del", gone["name"]], check=True)   # found, now removed before its turn
    open(deleted, "w").close()
    out, err = pass_.communicate(timeout=120)
    assert pass_.returncode == 0, err
    data = json.loads(out)
    entry = [item for item in data["entries"] if item["inode"] == gone["inode"]]
    assert entry == [{"inode": gone["inode"], "name": gone["name"], "status": "gone",
                      "reason": "the namespace disappeared before its turn: no process, name or mount references it any more",
                      "current": False}]
    assert data["scan"]["gone"] >= 1 and data["scan"]["error"] == 0
    statuses = dict((item["name"], item["status"]) for item in data["entries"] if item["name"])
    assert [statuses[children[short]["name"]] for short in ("tw", "cw", "ports")] == ["ok", "ok", "ok"]


def test_audit_shows_the_port_exhausted_namespace_of_a_quiet_host(fleet, children, tmp_path):
    report_dir = tmp_path / "report"
    run = fleet.playbook("playbooks/audit.yml", limit=HOST, extra_vars={
        "tcp_audit_report_dir": str(report_dir), "tcp_audit_fail_on": "error", "tcp_audit_namespaces": "all",
        "tcp_audit_report_formats": ["markdown", "json"]})
    assert run.rc != 0, run                     # the gate fails web1 ...
    with open(str(report_dir / "audit.json")) as handle:
        report = json.load(handle)
    entry = report["hosts"][0]
    assert entry["host"] == HOST and entry["status"] == "ok"
    # ... while its own namespace is quiet: no pressure finding of its own, ports barely used.
    assert not [item for item in entry["findings"] if item["id"].startswith("pressure-") and "namespace" not in item["id"]]
    assert (entry["pressure"]["ephemeral_ports"]["ratio"] or 0) < 0.5
    name = children["ports"]["name"]
    assert entry["namespaces"]["busiest"]["ephemeral_ports"][0] == name
    assert entry["namespaces"]["busiest"]["close_wait"][0] == children["cw"]["name"]
    assert children["tw"]["name"] in entry["namespaces"]["busiest"]["time_wait"]
    ours = [item for item in entry["findings"] if item["id"] == "pressure-namespace-ephemeral-ports"
            and item["value"].startswith(name + " ")]
    assert len(ours) == 1 and ours[0]["severity"] == "error", entry["findings"]
    assert ours[0]["value"] == "%s 127.0.0.1:23203 10/10" % name
    assert "pressure-namespace-ephemeral-ports" in report["gate"]["by_host"][HOST]
    with open(str(report_dir / "audit.md")) as handle:
        markdown = handle.read()
    assert ("| %s | ephemeral ports towards one destination | 1 | %s | nf-port-hog\\[%d\\] | 0 | 0 | "
            "127.0.0.1:23203 10 (100%%) | critical |" % (HOST, name, children["ports"]["pid"])) in markdown
    gate = run.results("netfleet.tcp.tcp_audit : Fail hosts that could not be audited or whose findings reach tcp_audit_fail_on")
    assert "pressure-namespace-ephemeral-ports" in gate[HOST]["msg"]
