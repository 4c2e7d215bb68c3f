"""History: two audits in a row, and every format names what changed between them."""

import copy
import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import _history, build_report, render_format as render

FIRST = "2026-11-21T05:00:00Z"
SECOND = "2026-11-22T05:00:00Z"
KEY = "net.ipv4.tcp_keepalive_time"


def records_of(records):
    return dict((host, {"__audit_record": copy.deepcopy(record)}) for host, record in records.items())


@pytest.fixture
def two_runs(records, tmp_path):
    """db1 drifts a key and gets a TIME_WAIT burst; natgw is gone, web9 is new."""
    first = build_report(records_of(records), generated_at=FIRST)
    (tmp_path / _history.snapshot_name(first)).write_text(json.dumps(_history.snapshot(first)))
    later = records_of(records)
    db1 = later["db1"]["__audit_record"]
    db1["tcp_state"]["states"]["TIME_WAIT"] = 40000
    db1["tcp_state"]["families"]["ipv4"]["TIME_WAIT"] = 40000
    db1["tcp_state"]["sockstat"]["tcp"]["tw"] = 40000
    db1["check"]["keys"][KEY].update({"persisted": "7200", "persisted_file": "/etc/sysctl.d/50-x.conf", "live": "600"})
    db1["check"]["summary"]["drift"] = 1
    db1["check"]["findings"] = [{"id": "persisted-drift", "severity": "warning", "key": KEY, "value": "600",
                                 "message": "live differs from the file", "remediation": "reapply"}]
    later["web9"] = later.pop("natgw")
    snapshots = _history.load_snapshots(str(tmp_path))
    second = build_report(later, generated_at=SECOND, history=snapshots)
    return first, second


def test_changes_name_every_kind(two_runs):
    first, second = two_runs
    assert first["changes"]["previous"] is None
    changes = second["changes"]
    assert changes["previous"] == {"run_id": "20261121T050000Z", "generated_at": FIRST}
    assert changes["hosts_added"] == ["web9"] and changes["hosts_gone"] == ["natgw"]
    assert {"host": "db1", "id": "persisted-drift", "key": KEY, "severity": "warning"} in changes["findings_new"]
    assert changes["keys_drifted"] == [{"host": "db1", "key": KEY, "live": "600", "before": None}]
    burst = [item for item in changes["pressure"] if item["host"] == "db1" and item["figure"] == "time_wait"]
    assert burst == [{"host": "db1", "figure": "time_wait", "label": "TIME_WAIT sockets", "kind": "count",
                      "before": 0, "after": 40000}]
    # web1 did not change: nothing is reported for it.
    assert not [item for name in ("findings_new", "findings_resolved", "keys_drifted", "pressure")
                for item in changes[name] if item["host"] == "web1"]
    assert second["trend"]["runs"] == ["20261121T050000Z", "20261122T050000Z"]
    assert second["trend"]["hosts"]["db1"]["time_wait"] == [0, 40000]
    assert second["trend"]["hosts"]["web9"]["time_wait"][0] is None


def test_repairs_and_resolved_findings_are_named(two_runs, tmp_path):
    _first, second = two_runs
    third = dict(second)
    (tmp_path / _history.snapshot_name(second)).write_text(json.dumps(_history.snapshot(second)))
    back = copy.deepcopy(second["hosts"])
    for entry in back:
        if entry["host"] == "db1":
            entry["drifted_keys"], entry["findings"] = [], []
            entry["states"]["TIME_WAIT"] = 0
    third = dict(second, hosts=back, run_id="20261123T050000Z", generated_at="2026-11-23T05:00:00Z")
    changes = _history.compare(third, _history.previous_snapshot(third, _history.load_snapshots(str(tmp_path))))
    assert changes["previous"]["run_id"] == "20261122T050000Z"
    assert changes["keys_repaired"] == [{"host": "db1", "key": KEY, "before": "600"}]
    assert [item["id"] for item in changes["findings_resolved"]] == ["persisted-drift"]
    assert [(item["figure"], item["before"], item["after"]) for item in changes["pressure"]] == [("time_wait", 40000, 0)]


@pytest.mark.parametrize("name", ["markdown", "json", "junit", "table", "html"])
def test_every_format_names_the_changes(two_runs, name):
    _first, second = two_runs
    text = render(second, name)
    text = "\n".join(text) if isinstance(text, list) else text
    for needle in ("web9", "natgw", "persisted-drift", KEY, "40000"):
        assert needle in text, (name, needle)
    if name == "junit":
        suites = ET.fromstring(text.split("\n", 1)[1]).findall("testsuite")
        assert suites[-1].get("name") == "changes since the previous audit"
        assert int(suites[-1].get("tests")) == len(_history.change_lines(second["changes"]))


def test_prometheus_counts_the_changes_per_host(two_runs):
    _first, second = two_runs
    text = render(second, "prometheus", "db1")
    assert 'netfleet_tcp_audit_changes{host="db1",change="keys_drifted"} 1' in text
    assert 'netfleet_tcp_audit_changes{host="db1",change="pressure"} 2' in text
    assert 'netfleet_tcp_audit_changes{host="db1",change="findings_new"} 1' in text
    assert 'netfleet_tcp_audit_changes{host="web9",change="host_added"} 1' in render(second, "prometheus", "web9")


def test_previous_run_must_share_a_host(records, tmp_path):
    other = build_report({"elsewhere": {"__audit_record": copy.deepcopy(records["db1"])}}, generated_at=FIRST)
    (tmp_path / _history.snapshot_name(other)).write_text(json.dumps(_history.snapshot(other)))
    report = build_report(records_of(records), generated_at=SECOND, history=_history.load_snapshots(str(tmp_path)))
    assert report["changes"]["previous"] is None


def test_unreadable_history_files_are_skipped(tmp_path):
    (tmp_path / "audit-20261121T050000Z.json").write_text("{not json")
    (tmp_path / "audit-20261121T060000Z.json").write_text(json.dumps({"format": "other"}))
    (tmp_path / "notes.txt").write_text("x")
    problems = []
    assert _history.load_snapshots(str(tmp_path), problems) == []
    assert len(problems) == 2


def test_stale_snapshots_beyond_keep(tmp_path):
    for day in range(1, 6):
        (tmp_path / ("audit-202611%02dT050000Z.json" % day)).write_text("{}")
    assert [path.rsplit("/", 1)[1] for path in _history.stale_snapshots(str(tmp_path), 3)] == [
        "audit-20261101T050000Z.json", "audit-20261102T050000Z.json"]
    assert _history.stale_snapshots(str(tmp_path), 10) == []


@pytest.mark.parametrize("kind,before,after,expected", [
    ("count", 0, 40000, True), ("count", 100, 120, False), ("count", 10, 55, False), ("count", 10, 70, True),
    ("ratio", 0.10, 0.14, False), ("ratio", 0.10, 0.16, True), ("count", None, 10, False), ("count", None, 500, True),
])
def test_notable(kind, before, after, expected):
    assert _history.notable(kind, before, after) is expected
