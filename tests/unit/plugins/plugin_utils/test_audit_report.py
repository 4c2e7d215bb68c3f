"""The fleet report: per-host records in, report and its four renderings out."""

import copy
import json
import os
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_report as ar

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "audit")
SCHEMA = os.path.join(HERE, "..", "..", "..", "..", "roles", "audit", "files", "audit_report.schema.json")
STAMP = "2026-11-21T05:00:00Z"
HOSTS = ["web1", "web2", "natgw", "db1", "app9"]


@pytest.fixture(scope="module")
def records():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        return json.load(handle)


def load_validator():
    with open(SCHEMA) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


VALIDATOR = load_validator()


@pytest.fixture(scope="module")
def validator():
    return VALIDATOR


def hostvars(records):
    """What the role leaves behind: records on audited hosts, a registered result on web2."""
    result = dict((host, {"__audit_record": copy.deepcopy(record)}) for host, record in records.items())
    result["web2"] = {"__audit_facts": {"unreachable": True, "changed": False,
                                        "msg": "Failed to connect to the host via ssh: Connection timed out"}}
    result["app9"] = {"__audit_record": {"status": "failed", "error": "permission denied: /proc/net/netstat",
                                         "task": "Read the TCP state of the host"}}
    return result


@pytest.fixture
def report(records):
    return ar.build_report(hostvars(records), hosts=HOSTS, active=["web1", "natgw", "db1", "app9"],
                           probe_vars=["__audit_facts", "__audit_check"], generated_at=STAMP)


def entry(report, host):
    return [item for item in report["hosts"] if item["host"] == host][0]


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
    drifted = ar._drifted_keys(check)
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
    with pytest.raises(ar.ReportInputError, match=needle):
        ar.build_report({}, **kwargs)


def test_results_must_be_a_mapping():
    with pytest.raises(ar.ReportInputError, match="mapping"):
        ar.build_report(["web1"])


def test_plain_strips_subclasses():
    class Tagged(str):
        pass

    class Mapping(dict):
        pass

    value = ar.plain(Mapping({Tagged("a"): [Tagged("b"), (1, 2.5, True, None)], "c": b"d"}))
    assert value == {"a": ["b", [1, 2.5, True, None]], "c": "d"}
    assert list(value)[0].__class__ is str and value["a"][0].__class__ is str


# ------------------------------------------------------------------ schema

def test_json_validates(report, validator):
    document = json.loads(ar.render_json(report))
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    assert not errors, [(list(error.absolute_path), error.message) for error in errors]


def test_schema_rejects_a_broken_report(report, validator):
    document = json.loads(ar.render_json(report))
    document["hosts"][0]["status"] = "maybe"
    document["hosts"][2]["findings"][0]["severity"] = "fatal"
    del document["totals"]["errors"]
    assert len(list(validator.iter_errors(document))) >= 3


def test_schema_requires_error_on_unreachable(report, validator):
    document = json.loads(ar.render_json(report))
    document["hosts"][1]["error"] = None
    assert list(validator.iter_errors(document))


def test_empty_fleet_validates(validator):
    assert not list(validator.iter_errors(json.loads(ar.render_json(ar.build_report({}, generated_at=STAMP)))))


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def random_record(draw):
    states = dict((name, draw(st.integers(0, 10 ** 6))) for name in ar.TCP_STATES)
    facts = {
        "source": draw(st.sampled_from(["netlink", "proc"])),
        "states": states,
        "families": {"ipv4": states},
        "sockstat": {"tcp": {"orphan": draw(st.integers(0, 5000)), "tw": states["TIME_WAIT"]}},
        "counters": {"TcpExt": {"ListenOverflows": draw(st.integers(0, 10 ** 9))}},
        "limits": {"tcp_max_tw_buckets": draw(st.one_of(st.none(), st.integers(0, 10 ** 6))),
                   "tcp_max_orphans": draw(st.one_of(st.none(), st.integers(1, 10 ** 6)))},
        "host": {"kernel": draw(_TEXT), "kernel_version": [6, 1, 0], "initial_netns": draw(st.booleans())},
        "listen_ports": sorted(draw(st.sets(st.integers(1, 65535), max_size=4))),
    }
    if draw(st.booleans()):
        facts["ports"] = {"usable_ports": draw(st.integers(1, 64000)), "destinations": [
            {"address": draw(_TEXT), "port": draw(st.integers(1, 65535)), "count": draw(st.integers(0, 64000))}
            for _index in range(draw(st.integers(0, 3)))]}
    if draw(st.booleans()):
        facts["listeners"] = [{"family": "ipv4", "address": draw(_TEXT), "port": draw(st.integers(1, 65535)),
                               "queue": draw(st.integers(0, 5000)), "backlog": draw(st.integers(0, 5000))}
                              for _index in range(draw(st.integers(0, 3)))]
    findings = [{"id": draw(st.sampled_from(["r1", "r2", "r|3"])), "severity": draw(st.sampled_from(ar.SEVERITIES)),
                 "key": draw(st.one_of(st.none(), _TEXT)), "value": draw(st.one_of(st.none(), _TEXT, st.integers())),
                 "message": draw(_TEXT), "remediation": draw(_TEXT)} for _index in range(draw(st.integers(0, 4)))]
    keys = dict((draw(_TEXT) + str(index), {"live": draw(_TEXT), "persisted": draw(st.one_of(st.none(), _TEXT)),
                                            "persisted_file": None, "desired": None}) for index in range(2))
    return {"status": "ok", "tcp_state": facts,
            "check": {"findings": findings, "keys": keys, "context": {"nat_facing": draw(st.booleans())},
                      "summary": {"drift": draw(st.integers(0, 9)), "keys_checked": 2}}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9\-]{0,8}", fullmatch=True), random_record(), max_size=4),
       st.sampled_from(ar.GATES))
def test_any_fleet_renders_and_validates(fleet, fail_on):
    report = ar.build_report(fleet, record_var=None, fail_on=fail_on, generated_at=STAMP)
    errors = [(list(error.absolute_path), error.message[:200])
              for error in VALIDATOR.iter_errors(json.loads(ar.render_json(report)))]
    assert not errors
    ar.render_markdown(report)
    ET.fromstring(ar.render_junit(report).split("\n", 1)[1])
    ar.table_lines(report)
    for host in fleet:
        parse_exposition(ar.render_prometheus(report, host))


# ------------------------------------------------------------------ renderers

def test_markdown(report):
    text = ar.render_markdown(report)
    assert text.startswith("# TCP fleet audit\n")
    assert "**FAILED**" in text
    assert "| web1 | ok | 6.1.0-18-amd64 | no | 1852 | 25087 | 41 | 310 | 220 | 77% | 10.20.0.15:5432 16939 (60%) | 1532 | 1 | 0 | 3 |" in text
    assert "| web2 | unreachable |" in text
    assert "| natgw | ok | 5.10.0-28-amd64 | yes | 210 | 3 | 0 | 0 | 0 | 0.0% | none |" in text
    assert "| db1 | ok | 6.1.0-18-amd64 | no | 95 | 0 | 7 | 0 | 0 | 0% | - |" in text
    assert "### `persisted-missing-key` (error, fails the gate): 1 host" in text
    assert "Remediation: Remove the line from /etc/sysctl.d/60-nat.conf." in text
    assert "| web1 | net.ipv4.tcp_fin_timeout | 60 | 30 | /etc/sysctl.d/99-tuning.conf | - |" in text
    assert "| app9 | failed | permission denied: /proc/net/netstat |" in text
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_markdown_escapes_cells():
    assert ar._cell("a|b\nc") == "a\\|b c"
    assert ar._cell(None) == "-"
    assert ar._cell(True) == "yes"


def test_markdown_clean_fleet(records):
    result = ar.build_report({"db1": {"__audit_record": records["db1"]}}, generated_at=STAMP)
    text = ar.render_markdown(result)
    assert "No findings." in text
    assert "No drift" in text
    assert "None: every host of the play was audited." in text


def test_junit(report):
    text = ar.render_junit(report)
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
    result = ar.build_report(hostvars(records), hosts=HOSTS, fail_on="warning", generated_at=STAMP)
    root = ET.fromstring(ar.render_junit(result).split("\n", 1)[1])
    assert root.get("failures") == "5"


def test_junit_gate_never(records):
    result = ar.build_report(hostvars(records), hosts=HOSTS, fail_on="never", generated_at=STAMP)
    root = ET.fromstring(ar.render_junit(result).split("\n", 1)[1])
    assert root.get("failures") == "0"


def test_table(report):
    lines = ar.table_lines(report)
    assert lines[0].split() == ["HOST", "STATUS", "KERNEL", "NAT", "ESTAB", "TW", "CW", "FW2", "ORPH", "TW%",
                                "PORT%", "OVFL", "DRIFT", "ERR", "WARN"]
    assert lines[1].split() == ["web1", "ok", "6.1.0-18-amd64", "no", "1852", "25087", "41", "310", "220", "77%",
                                "60%", "1532", "1", "0", "3"]
    assert lines[2].split()[:2] == ["web2", "UNREACHABLE"]
    assert len(set(len(line) for line in lines[:6])) >= 1
    assert lines[-2] == "5 hosts: 3 audited, 1 failed, 1 unreachable; 1 errors, 4 warnings, 1 drifted keys"
    assert lines[-1].startswith("gate (error): 1 finding")


# ------------------------------------------------------------------ prometheus

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_exposition(text):
    """A strict reader of the text exposition format as node_exporter's textfile collector needs it."""
    assert text.endswith("\n")
    families, seen, current = {}, set(), None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in families, "family %s split" % name
            families[name] = {"help": line.split(" ", 3)[3], "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, kind = line.split(" ")[2:]
            assert name == current and kind in ("gauge", "counter")
            families[name]["type"] = kind
        else:
            match = _SAMPLE.match(line)
            assert match, line
            name, labels, value = match.groups()
            assert name == current, line
            float(value)
            if families[name]["type"] == "counter":
                assert name.endswith("_total")
            series = (name, tuple(_LABEL.findall(labels)))
            assert series not in seen, line
            seen.add(series)
            families[name]["samples"].append((dict(_LABEL.findall(labels)), float(value)))
    return families


def test_prometheus_web1(report):
    families = parse_exposition(ar.render_prometheus(report, "web1"))
    assert families["netfleet_tcp_audit_up"]["samples"] == [({"host": "web1"}, 1.0)]
    sockets = dict(((labels["family"], labels["state"]), value)
                   for labels, value in families["netfleet_tcp_sockets"]["samples"])
    assert sockets[("ipv4", "time_wait")] == 25087
    assert sockets[("ipv6", "established")] == 12
    ratios = dict((labels["metric"], value) for labels, value in families["netfleet_tcp_pressure_ratio"]["samples"])
    assert ratios["time_wait"] == 0.765594
    assert families["netfleet_tcp_counter_TcpExt_ListenOverflows_total"]["type"] == "counter"
    assert families["netfleet_tcp_curr_estab"]["type"] == "gauge"
    assert "netfleet_tcp_counter_Tcp_MaxConn_total" not in families
    assert families["netfleet_tcp_ephemeral_ports_used"]["samples"] == [
        ({"host": "web1", "destination": "10.20.0.15:5432"}, 16939.0)]
    assert families["netfleet_tcp_audit_timestamp_seconds"]["samples"][0][1] == 1795237200
    limits = dict((labels["name"], value) for labels, value in families["netfleet_tcp_limit"]["samples"])
    assert limits["ip_local_port_range_low"] == 32768 and "ip_local_reserved_ports" not in limits


def test_prometheus_unreachable(report):
    families = parse_exposition(ar.render_prometheus(report, "web2"))
    assert sorted(families) == ["netfleet_tcp_audit_timestamp_seconds", "netfleet_tcp_audit_up"]
    assert families["netfleet_tcp_audit_up"]["samples"][0][1] == 0


def test_prometheus_help_is_identical_across_hosts(report):
    """node_exporter merges the files of one directory: a family's HELP and TYPE must agree."""
    seen = {}
    for host in ("web1", "natgw", "db1"):
        for name, family in parse_exposition(ar.render_prometheus(report, host)).items():
            assert seen.setdefault(name, (family["help"], family["type"])) == (family["help"], family["type"])


def test_prometheus_label_escaping():
    assert ar._labels([("host", 'a"b\\c\nd')]) == '{host="a\\"b\\\\c\\nd"}'


def test_prometheus_unknown_host(report):
    with pytest.raises(ar.ReportInputError, match="not in the report"):
        ar.render_prometheus(report, "nope")


# ------------------------------------------------------------------ registered results (the role's way)

def registered(records):
    """Host variables as the audit role leaves them: registered module results, no record."""
    result = {}
    for host, record in records.items():
        result[host] = {
            "__audit_facts": {"changed": False, "ansible_facts": {"tcp_state": copy.deepcopy(record["tcp_state"])}},
            "__audit_check": copy.deepcopy(record["check"]),
            "__audit_profile_check": {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"},
        }
    return result


def from_registered(variables, **kwargs):
    return ar.build_report(variables, record_var="__audit_record", facts_var="__audit_facts",
                           check_vars=["__audit_profile_check", "__audit_check"], generated_at=STAMP, **kwargs)


def test_registered_results_make_the_same_report(records):
    plain_report = ar.build_report(records, record_var=None, generated_at=STAMP)
    assert from_registered(registered(records)) == plain_report


def test_profile_check_wins_when_it_ran(records):
    variables = registered(records)
    profile_check = copy.deepcopy(records["db1"]["check"])
    profile_check["findings"] = [{"id": "live-differs-desired", "severity": "warning", "key": "net.core.somaxconn",
                                  "value": "4096", "message": "m", "remediation": "r"}]
    variables["db1"]["__audit_profile_check"] = profile_check
    report = from_registered(variables, profile="web_frontend")
    assert [item["id"] for item in entry(report, "db1")["findings"]] == ["live-differs-desired"]
    assert entry(report, "db1")["profile"] == "web_frontend"
    assert report["profile"] == "web_frontend"


def test_failed_facts_without_rescue_record(records):
    variables = registered(records)
    variables["db1"]["__audit_facts"] = {"failed": True, "msg": "netlink and /proc/net/tcp both unreadable"}
    db1 = entry(from_registered(variables), "db1")
    assert (db1["status"], db1["error"]) == ("failed", "netlink and /proc/net/tcp both unreadable")


def test_rescue_record_used_when_the_results_are_unusable(records):
    variables = registered(records)
    variables["db1"]["__audit_check"] = {"failed": True, "msg": "boom"}
    variables["db1"]["__audit_facts"] = {"failed": True, "msg": "first"}
    variables["db1"]["__audit_record"] = {"status": "failed", "error": "first", "task": "Read the TCP state of the host"}
    db1 = entry(from_registered(variables), "db1")
    assert (db1["status"], db1["error"], db1["task"]) == ("failed", "first", "Read the TCP state of the host")


def test_stale_record_does_not_hide_a_fresh_result(records):
    variables = registered(records)
    variables["db1"]["__audit_record"] = {"status": "failed", "error": "from an earlier play"}
    assert entry(from_registered(variables), "db1")["status"] == "ok"


def test_unreachable_beats_a_stale_record(records):
    variables = registered(records)
    variables["db1"]["__audit_facts"] = {"unreachable": True, "msg": "ssh: connect to host db1 port 22: No route"}
    variables["db1"]["__audit_record"] = {"status": "failed", "error": "from an earlier play"}
    db1 = entry(from_registered(variables), "db1")
    assert (db1["status"], db1["error"]) == ("unreachable", "ssh: connect to host db1 port 22: No route")


def test_gate_lists_unaudited_hosts(report):
    assert report["gate"]["unaudited"] == {
        "web2": "unreachable: Failed to connect to the host via ssh: Connection timed out",
        "app9": "failed: permission denied: /proc/net/netstat",
    }
