"""JUnit XML: one testsuite per host, findings at or above the gate are failures."""

import xml.etree.ElementTree as ET

import copy


from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers.fmt_junit import render_junit as render

STAMP = "2026-11-21T05:00:00Z"
HOSTS = ["web1", "web2", "natgw", "db1", "app9"]


def hostvars(records):
    """What the role leaves behind: records on audited hosts, a registered result on web2."""
    result = dict((host, {"__audit_record": copy.deepcopy(record)}) for host, record in records.items())
    result["web2"] = {"__audit_facts": {"unreachable": True, "changed": False,
                                        "msg": "Failed to connect to the host via ssh: Connection timed out"}}
    result["app9"] = {"__audit_record": {"status": "failed", "error": "permission denied: /proc/net/netstat",
                                         "task": "Read the TCP state of the host"}}
    return result


def entry(report, host):
    return [item for item in report["hosts"] if item["host"] == host][0]


def test_junit(report):
    text = render(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.split("\n", 1)[1])
    suites = dict((suite.get("name"), suite) for suite in root.findall("testsuite"))
    assert list(suites) == HOSTS
    assert (root.get("failures"), root.get("errors")) == ("1", "2")
    natgw = suites["natgw"]
    failed = [case.get("name") for case in natgw.findall("testcase") if case.find("failure") is not None]
    assert failed == ["persisted-missing-key net.ipv4.tcp_tw_recycle"]
    assert natgw.get("tests") == "3" and natgw.get("failures") == "1"
    assert suites["web2"].find("testcase/error").get("type") == "unreachable"
    assert suites["app9"].find("testcase/error").get("type") == "failed"
    db1 = [case.get("name") for case in suites["db1"].findall("testcase")]
    assert db1 == ["reachable", "no findings"]
    total = sum(int(suite.get("tests")) for suite in suites.values())
    assert root.get("tests") == str(total)


def test_junit_gate_warning(records):
    result = build_report(hostvars(records), hosts=HOSTS, fail_on="warning", generated_at=STAMP)
    root = ET.fromstring(render(result).split("\n", 1)[1])
    assert root.get("failures") == "5"


def test_junit_gate_never(records):
    result = build_report(hostvars(records), hosts=HOSTS, fail_on="never", generated_at=STAMP)
    root = ET.fromstring(render(result).split("\n", 1)[1])
    assert root.get("failures") == "0"
