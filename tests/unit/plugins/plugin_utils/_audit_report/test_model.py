"""The report model: per-host records in, the report (a JSON-able dict valid against its schema) out."""

import copy
import json
import os
import re

import jsonschema
import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import _common, _host, render_format as render
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import _model as ar

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "..",
                      "roles", "tcp_audit", "files", "audit_report.schema.json")
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


def load_validator():
    with open(SCHEMA) as handle:
        return jsonschema.Draft202012Validator(json.load(handle), format_checker=jsonschema.FormatChecker())


VALIDATOR = load_validator()


def render_json(report):
    return render(report, "json")


def render_markdown(report):
    return render(report, "markdown")


def render_junit(report):
    return render(report, "junit")


def render_table(report):
    return render(report, "table")


@pytest.fixture
def report(records):
    return ar.build_report(hostvars(records), hosts=HOSTS, active=["web1", "natgw", "db1", "app9"],
                           probe_vars=["__audit_facts", "__audit_check"], generated_at=STAMP)


# ------------------------------------------------------------------ building

def test_statuses(report):
    assert [(item["host"], item["status"]) for item in report["hosts"]] == [
        ("web1", "ok"), ("web2", "unreachable"), ("natgw", "ok"), ("db1", "ok"), ("app9", "failed")]
    assert "Connection timed out" in entry(report, "web2")["error"]
    assert entry(report, "app9")["error"] == "permission denied: /proc/net/netstat"
    assert entry(report, "app9")["task"] == "Read the TCP state of the host"
    assert report["totals"]["hosts"] == 5
    assert (report["totals"]["ok"], report["totals"]["failed"], report["totals"]["unreachable"]) == (3, 1, 1)


def test_others_reported_in_full(report):
    web1 = entry(report, "web1")
    assert web1["kernel"] == "6.1.0-18-amd64"
    assert web1["nat_facing"] is False
    assert web1["states"]["ESTABLISHED"] == 1852
    assert web1["states"]["TIME_WAIT"] == 25087
    assert web1["states"]["CLOSE_WAIT"] == 41
    assert web1["states"]["FIN_WAIT2"] == 310
    assert web1["orphans"] == 220
    assert web1["pressure"]["time_wait"]["ratio"] == 0.765594
    assert web1["worst_destination"]["address"] == "10.20.0.15"
    assert web1["listen_overflows"] == 1532
    assert web1["drift"] == 1
    assert web1["summary"]["errors"] == 0 and web1["summary"]["warnings"] == 3
    natgw = entry(report, "natgw")
    assert natgw["nat_facing"] is True
    assert natgw["nat_evidence"][1].startswith("masquerade")


def test_missing_host_without_evidence_is_failed(records):
    result = ar.build_report({"web1": {"__audit_record": records["web1"]}}, hosts=["web1", "ghost"],
                             generated_at=STAMP)
    ghost = entry(result, "ghost")
    assert ghost["status"] == "failed"
    assert "left the play" in ghost["error"]


def test_probe_failed_result(records):
    result = ar.build_report({"x": {"__audit_check": {"failed": True, "msg": "boom"}}}, hosts=["x"],
                             probe_vars=["__audit_facts", "__audit_check"], generated_at=STAMP)
    assert (entry(result, "x")["status"], entry(result, "x")["error"]) == ("failed", "boom")


def test_audited_host_that_left_the_play_keeps_its_data(records):
    result = ar.build_report(hostvars(records), hosts=["web1", "db1"], active=["db1"], generated_at=STAMP)
    web1 = entry(result, "web1")
    assert web1["status"] == "ok" and web1["states"]["TIME_WAIT"] == 25087
    assert web1["error"] == "left the play after it was audited"


def test_record_without_facts_is_failed():
    result = ar.build_report({"x": {"status": "ok", "check": {}}}, record_var=None, generated_at=STAMP)
    assert entry(result, "x")["status"] == "failed"
    assert "no tcp_state" in entry(result, "x")["error"]


def test_findings_sources_and_order(report):
    natgw = entry(report, "natgw")
    assert [(item["id"], item["severity"]) for item in natgw["findings"]] == [
        ("persisted-missing-key", "error"), ("tw-reuse-no-timestamps", "warning")]
    web1 = entry(report, "web1")
    assert sorted(item["id"] for item in web1["findings"] if item["source"] == "pressure") == [
        "pressure-ephemeral-ports", "pressure-time-wait"]
    assert "25087 of 32768" in [item for item in web1["findings"] if item["id"] == "pressure-time-wait"][0]["message"]


def test_pressure_findings_can_be_left_out(records):
    result = ar.build_report(hostvars(records), hosts=HOSTS, pressure_findings=False, generated_at=STAMP)
    assert [item["id"] for item in entry(result, "web1")["findings"]] == ["tw-buckets-below-current"]


def test_critical_pressure_is_an_error(records):
    data = hostvars(records)
    data["web1"]["__audit_record"]["tcp_state"]["sockstat"]["tcp"]["tw"] = 30000
    result = ar.build_report(data, hosts=["web1"], generated_at=STAMP)
    finding = [item for item in entry(result, "web1")["findings"] if item["id"] == "pressure-time-wait"][0]
    assert finding["severity"] == "error"
    assert result["gate"]["failed"] is True


def test_findings_by_rule(report):
    rules = dict((rule["id"], rule) for rule in report["findings_by_rule"])
    assert rules["persisted-missing-key"]["hosts"] == ["natgw"]
    assert rules["persisted-missing-key"]["gate"] is True
    assert rules["tw-reuse-no-timestamps"]["gate"] is False
    assert rules["pressure-time-wait"]["hosts"] == ["web1"]
    assert report["findings_by_rule"][0]["id"] == "persisted-missing-key"


def test_rule_grouping_across_hosts(records):
    data = hostvars(records)
    finding = [dict(item) for item in data["natgw"]["__audit_record"]["check"]["findings"]
               if item["id"] == "tw-reuse-no-timestamps"][0]
    data["db1"]["__audit_record"]["check"]["findings"] = [finding]
    result = ar.build_report(data, hosts=HOSTS, generated_at=STAMP)
    rule = [item for item in result["findings_by_rule"] if item["id"] == "tw-reuse-no-timestamps"][0]
    assert rule["hosts"] == ["natgw", "db1"]
    assert rule["count"] == 2


@pytest.mark.parametrize("fail_on,failed,hosts", [
    ("error", True, ["natgw"]),
    ("warning", True, ["web1", "natgw"]),
    ("never", False, []),
])
def test_gate(records, fail_on, failed, hosts):
    result = ar.build_report(hostvars(records), hosts=HOSTS, fail_on=fail_on, generated_at=STAMP)
    assert result["gate"]["failed"] is failed
    assert result["gate"]["hosts"] == hosts
    assert sorted(result["gate"]["by_host"]) == sorted(hosts)


def test_gate_message(report):
    assert report["gate"]["message"] == "1 finding at or above 'error' on 1 host: natgw"
    assert report["gate"]["by_host"] == {"natgw": ["persisted-missing-key"]}


def test_unreachable_hosts_do_not_trip_the_gate(records):
    result = ar.build_report({"web2": {}}, hosts=["web2"], generated_at=STAMP)
    assert result["gate"]["failed"] is False


def test_drift_from_keys():
    check = {"keys": {
        "a.b.fin": {"live": "60", "persisted": "30", "persisted_file": "/etc/sysctl.d/9.conf", "desired": None},
        "a.b.rmem": {"live": "4096\t131072  6291456", "persisted": "4096 131072 6291456", "desired": None},
        "a.b.backlog": {"live": "512", "persisted": None, "desired": ">=1024"},
        "a.b.somax": {"live": "4096", "persisted": None, "desired": ">=1024"},
        "a.b.range": {"live": "32768 60999", "persisted": None, "desired": "1024 65000"},
        "a.b.dict": {"live": "5", "persisted": None, "desired": {"value": None, "bound": [">=", 6]}},
        "a.b.le": {"live": "5", "persisted": None, "desired": "<=4"},
    }}
    drifted = _host._drifted_keys(check)
    assert [(item["key"], item["against"]) for item in drifted] == [
        ("a.b.backlog", ["desired"]), ("a.b.dict", ["desired"]), ("a.b.fin", ["persisted"]),
        ("a.b.le", ["desired"]), ("a.b.range", ["desired"])]


def test_drift_count_prefers_check_summary(records):
    data = hostvars(records)
    data["web1"]["__audit_record"]["check"]["summary"]["drift"] = 4
    result = ar.build_report(data, hosts=["web1"], generated_at=STAMP)
    assert entry(result, "web1")["drift"] == 4


def test_top_offenders(report):
    offenders = report["top_offenders"]
    assert [item["host"] for item in offenders["time_wait"]] == ["web1", "natgw"]
    assert [item["host"] for item in offenders["close_wait"]] == ["web1", "db1"]
    assert [item["host"] for item in offenders["findings"]] == ["web1", "natgw"]
    assert offenders["ephemeral_ports"][0]["detail"] == "10.20.0.15:5432 (16939 ports)"
    assert offenders["drift"] == [{"host": "web1", "value": 1, "detail": "net.ipv4.tcp_fin_timeout"}]


def test_top_limits_the_lists(records):
    result = ar.build_report(hostvars(records), hosts=HOSTS, top=1, generated_at=STAMP)
    assert all(len(items) <= 1 for items in result["top_offenders"].values())


def test_totals(report):
    totals = report["totals"]
    assert totals["states"]["TIME_WAIT"] == 25090
    assert totals["states"]["ESTABLISHED"] == 1852 + 210 + 95
    assert totals["orphans"] == 220
    assert totals["drift"] == 1
    assert (totals["errors"], totals["warnings"]) == (1, 4)
    assert totals["hosts_nat_facing"] == 1
    assert totals["hosts_with_findings"] == 2


def test_header_fields(report):
    assert report["generated_at"] == STAMP
    assert report["run_id"] == "20261121T050000Z"
    assert report["profile"] is None
    assert ar.build_report({}, profile="web_frontend", generated_at=STAMP)["profile"] == "web_frontend"


@pytest.mark.parametrize("stamp,expected", [
    ("2026-11-21T06:00:00+01:00", "2026-11-21T05:00:00Z"),
    ("2026-11-21T05:00:00.123456", "2026-11-21T05:00:00Z"),
])
def test_generated_at_normalised(stamp, expected):
    assert ar.build_report({}, generated_at=stamp)["generated_at"] == expected


def test_generated_at_defaults_to_now():
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", ar.build_report({})["generated_at"])


@pytest.mark.parametrize("kwargs,needle", [
    ({"fail_on": "fatal"}, "fail_on must be one of"),
    ({"top": 0}, "top must be a positive integer"),
    ({"top": True}, "top must be a positive integer"),
    ({"generated_at": "yesterday"}, "not an ISO 8601"),
    ({"thresholds": {"time_wait": {"warning": 2, "critical": 1}}}, "above critical"),
])
def test_bad_arguments(kwargs, needle):
    with pytest.raises(_common.ReportInputError, match=needle):
        ar.build_report({}, **kwargs)


def test_results_must_be_a_mapping():
    with pytest.raises(_common.ReportInputError, match="mapping"):
        ar.build_report(["web1"])


def test_plain_strips_subclasses():
    class Tagged(str):
        pass

    class Mapping(dict):
        pass

    value = _common.plain(Mapping({Tagged("a"): [Tagged("b"), (1, 2.5, True, None)], "c": b"d"}))
    assert value == {"a": ["b", [1, 2.5, True, None]], "c": "d"}
    assert list(value)[0].__class__ is str and value["a"][0].__class__ is str


def test_one_unreadable_host_never_stops_the_report(records):
    broken = copy.deepcopy(records["web1"])
    broken["tcp_state"]["host"]["kernel_version"] = 6
    report = ar.build_report({"bad/<b>": {"__audit_record": broken}, "db1": {"__audit_record": records["db1"]}},
                             generated_at=STAMP)
    bad = entry(report, "bad/<b>")
    assert bad["status"] == "failed" and bad["error"].startswith("its results could not be read: ")
    assert entry(report, "db1")["status"] == "ok"
    for name in ("markdown", "json", "junit", "table"):
        render(report, name)


def test_drift_returned_apart_by_sysctl_check_is_listed_with_the_host(records):
    # sysctl_check returns live-differs-desired and persisted-drift in its own drift list; the report
    # lists them with the host's findings and counts the drifted keys in its drift column.
    data = hostvars(records)
    check = data["web1"]["__audit_record"]["check"]
    check["drift"] = [{"id": "persisted-drift", "severity": "warning", "key": "net.ipv4.tcp_keepalive_time",
                       "value": "7200", "message": "boot sets 600", "remediation": "apply it"}]
    result = ar.build_report(data, hosts=["web1"], pressure_findings=False, generated_at=STAMP)
    web1 = entry(result, "web1")
    assert [item["id"] for item in web1["findings"]] == ["persisted-drift", "tw-buckets-below-current"]
    assert [item["source"] for item in web1["findings"]] == ["sysctl_check", "sysctl_check"]
    VALIDATOR.validate(result)
