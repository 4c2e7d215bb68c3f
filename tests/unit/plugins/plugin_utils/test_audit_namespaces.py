"""The audit's namespace view: rows, rankings, findings, Markdown and Prometheus, from facts."""

import copy
import json
import os

import jsonschema

from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_namespaces as an
from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_report as ar
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import render_format

HERE = os.path.dirname(__file__)
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "audit")
STAMP = "2026-11-21T05:00:00Z"
STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")
CID = "4f9a6c3e2b1d" + "0" * 52


def ns_entry(name, inode, tw=0, cw=0, port_use=None, usable=28232, tw_limit=4096, holders=None, **extra):
    states = dict.fromkeys(STATES, 0)
    states.update(TIME_WAIT=tw, CLOSE_WAIT=cw)
    destinations = []
    if port_use:
        destinations = [{"address": "10.0.0.5", "port": 5432, "count": port_use,
                         "share": round(port_use / float(usable), 6)}]
    entry = {
        "inode": inode, "name": name, "names": [name] if name else [], "mounts": [], "current": False,
        "initial": False, "status": "ok", "reason": None, "holder_count": len(holders or []),
        "holders": holders or [], "states": states, "sockstat": {"tcp": {"tw": tw, "orphan": 0}},
        "limits": {"tcp_max_tw_buckets": tw_limit, "tcp_max_orphans": None},
        "ports": {"usable_ports": usable, "destinations": destinations}, "listeners": [],
    }
    entry.update(extra)
    return entry


def facts_with_namespaces(base):
    facts = copy.deepcopy(base)
    facts["namespaces"] = [
        dict(ns_entry("self", 1, tw=99999), current=True),          # the host's own row: never a namespace row
        ns_entry("cni-pod-a", 2, tw=3000, holders=[{"pid": 41, "comm": "nginx", "container": {
            "runtime": "containerd", "id": CID, "name": None, "pod_uid": "6e1f0c2a-7d3b-4a8e-9f3e-2b1c5d7e9a01"}}]),
        ns_entry(None, 3, cw=7, port_use=10, usable=10, holders=[{"pid": 77, "comm": "leaker", "container": None}]),
        ns_entry("quiet", 4),
        {"inode": 5, "name": "vanished", "names": ["vanished"], "mounts": [], "current": False, "initial": None,
         "status": "gone", "reason": "the namespace disappeared before its turn", "holder_count": 0, "holders": []},
    ]
    facts["namespace_scan"] = {"namespaces": 5, "ok": 4, "gone": 1, "cannot_enter": 0, "error": 0,
                               "unreadable_processes": 0}
    return facts


def records():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        result = json.load(handle)
    result["web1"]["tcp_state"] = facts_with_namespaces(result["web1"]["tcp_state"])
    return result


def test_summary_rows_rankings_and_not_counted():
    summary = an.namespace_summary(facts_with_namespaces(records()["db1"]["tcp_state"]), None, top=5)
    assert summary["count"] == 5
    assert [row["namespace"] for row in summary["rows"]] == ["cni-pod-a", "inode:3", "quiet"]
    assert summary["busiest"] == {"time_wait": ["cni-pod-a"], "ephemeral_ports": ["inode:3"], "close_wait": ["inode:3"]}
    assert summary["not_counted"] == [{"namespace": "vanished", "inode": 5, "status": "gone",
                                       "reason": "the namespace disappeared before its turn"}]
    rows = dict((row["namespace"], row) for row in summary["rows"])
    assert rows["cni-pod-a"]["verdicts"] == {"time_wait": "warning", "ephemeral_ports": "ok"}  # 3000/4096
    assert rows["inode:3"]["verdicts"] == {"time_wait": "ok", "ephemeral_ports": "critical"}   # 10 of 10
    assert rows["cni-pod-a"]["holders"] == "nginx[41] containerd 4f9a6c3e2b1d pod 6e1f0c2a-7d3b-4a8e-9f3e-2b1c5d7e9a01"
    assert rows["quiet"]["holders"] == "no process"


def test_no_namespace_facts_no_summary():
    assert an.namespace_summary({"states": {}}) is None


def test_findings_fail_the_gate_on_a_namespace_while_the_host_is_quiet():
    report = ar.build_report(records(), record_var=None, facts_var=None, fail_on="error", generated_at=STAMP)
    web1 = [entry for entry in report["hosts"] if entry["host"] == "web1"][0]
    ids = [(item["id"], item["severity"]) for item in web1["findings"] if "namespace" in item["id"]]
    assert ids == [("pressure-namespace-ephemeral-ports", "error"), ("pressure-namespace-time-wait", "warning")]
    message = [item["message"] for item in web1["findings"] if item["id"] == "pressure-namespace-ephemeral-ports"][0]
    assert "inode:3 (leaker[77])" in message and "10.0.0.5:5432" in message and "100%" in message
    assert "pressure-namespace-ephemeral-ports" in report["gate"]["by_host"]["web1"]
    # Without pressure findings the namespaces are still shown, and gate nothing.
    quiet = ar.build_report(records(), record_var=None, facts_var=None, pressure_findings=False, generated_at=STAMP)
    assert not [item for entry in quiet["hosts"] for item in entry["findings"] if "namespace" in item["id"]]
    assert [entry for entry in quiet["hosts"] if entry["host"] == "web1"][0]["namespaces"]["rows"]


def test_report_validates_and_renders(tmp_path):
    with open(os.path.join(REPO, "roles", "tcp_audit", "files", "audit_report.schema.json")) as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    report = ar.build_report(records(), record_var=None, facts_var=None, generated_at=STAMP)
    validator.validate(json.loads(render_format(report, "json")))
    markdown = render_format(report, "markdown")
    assert "## Busiest network namespaces" in markdown
    # Process names come from the host: Markdown shows them escaped ([ and ] as \[ and \]).
    assert ("| web1 | ephemeral ports towards one destination | 1 | inode:3 | leaker\\[77\\] | 0 | 7 | "
            "10.0.0.5:5432 10 (100%) | critical |") in markdown
    assert "| web1 | vanished | gone | the namespace disappeared before its turn |" in markdown
    prom = render_format(report, "prometheus", "web1")
    assert 'netfleet_tcp_namespace_sockets{host="web1",namespace="inode:3",state="close_wait"} 7' in prom
    assert 'netfleet_tcp_namespace_pressure_ratio{host="web1",metric="ephemeral_ports",namespace="inode:3"} 1.0' in prom
    assert 'netfleet_tcp_namespaces{host="web1",status="gone"} 1' in prom
    assert "namespace=" not in render_format(report, "prometheus", "db1")
