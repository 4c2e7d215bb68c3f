"""The fleet audit over SSH: exactly the findings made by hand, a valid report, the gate, nothing changed.

Scenario (module scope, on a reset fleet):

- web1 gets a persisted file, /etc/sysctl.d/50-audit-test.conf, holding its live
  net.ipv4.tcp_fin_timeout: in agreement, so the baseline audit sees no drift there;
- the baseline audit runs (tcp_audit_fail_on: never);
- then web1 is drifted by hand (fleet.set_sysctl: tcp_fin_timeout live != persisted), and natgw
  gets a dangerous file of its own, /etc/sysctl.d/60-nat-tuning.conf (tcp_tw_reuse = 1 with
  tcp_timestamps = 0), applied as at boot (fleet.reboot);
- the audit runs again: against the baseline, it must name exactly the new findings on exactly
  those two hosts, and nothing on any host may change during the audit runs.
"""

import json
import os
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(REPO, "roles", "tcp_audit", "files", "audit_report.schema.json")
PLAYBOOK = "playbooks/audit.yml"
WEB1_FILE = "/etc/sysctl.d/50-audit-test.conf"
NATGW_FILE = "/etc/sysctl.d/60-nat-tuning.conf"
FIN_TIMEOUT = "net.ipv4.tcp_fin_timeout"

# What the scenario adds, as (rule id, key) per host; every other host gains nothing.
EXPECTED_NEW = {
    "web1": {("persisted-drift", FIN_TIMEOUT)},
    "natgw": {("tw-reuse-no-timestamps", "net.ipv4.tcp_tw_reuse")},
}


def audit(fleet, report_dir, check=False, limit=None, **extra_vars):
    variables = {"tcp_audit_report_dir": str(report_dir), "tcp_audit_fail_on": "never"}
    variables.update(extra_vars)
    run = fleet.playbook(PLAYBOOK, extra_vars=variables, check=check, limit=limit)
    path = os.path.join(str(report_dir), "audit.json")
    report = None
    if os.path.exists(path):
        with open(path) as handle:
            report = json.load(handle)
    return run, report


def findings(report):
    """{host: {(rule id, key)}} of the audited hosts."""
    return dict((entry["host"], set((item["id"], item["key"]) for item in entry["findings"]))
                for entry in report["hosts"] if entry["status"] == "ok")


def entry(report, host):
    return [item for item in report["hosts"] if item["host"] == host][0]


@pytest.fixture(scope="module")
def validator():
    with open(SCHEMA) as handle:
        schema = json.load(handle)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def scenario(fleet, tmp_path_factory):
    fleet.reset()
    root = tmp_path_factory.mktemp("audit")
    live = fleet.sysctl("web1", FIN_TIMEOUT)
    fleet.sh("web1", "printf '%s = %s\\n' > %s" % (FIN_TIMEOUT, live, WEB1_FILE))
    baseline_run, baseline = audit(fleet, root / "baseline")
    assert baseline_run.rc == 0, baseline_run

    drifted = "33" if live != "33" else "34"
    fleet.set_sysctl("web1", FIN_TIMEOUT, drifted)
    fleet.sh("natgw", "printf 'net.ipv4.tcp_tw_reuse = 1\\nnet.ipv4.tcp_timestamps = 0\\n' > %s" % NATGW_FILE)
    fleet.reboot("natgw")
    assert fleet.sysctl("natgw", "net.ipv4.tcp_timestamps") == "0"

    before = dict((host, fleet.snapshot(host)) for host in fleet.hosts)
    run, report = audit(fleet, root / "after")
    check_run, check_report = audit(fleet, root / "check", check=True)
    gate_run, gate_report = audit(fleet, root / "gate", tcp_audit_fail_on="warning")
    after = dict((host, fleet.snapshot(host)) for host in fleet.hosts)
    yield {
        "root": root, "baseline": baseline, "run": run, "report": report, "check_run": check_run,
        "check_report": check_report, "gate_run": gate_run, "gate_report": gate_report,
        "before": before, "after": after, "live": live, "drifted": drifted,
    }
    fleet.reset()


def test_baseline_audits_every_host(fleet, scenario):
    baseline = scenario["baseline"]
    assert [item["host"] for item in baseline["hosts"]] == fleet.hosts
    assert all(item["status"] == "ok" for item in baseline["hosts"])
    assert entry(baseline, "web1")["drift"] == 0
    assert entry(baseline, "natgw")["nat_facing"] is True


def test_report_names_exactly_the_findings_made_by_hand(fleet, scenario):
    run, report = scenario["run"], scenario["report"]
    assert run.rc == 0, run
    before, after = findings(scenario["baseline"]), findings(report)
    new = dict((host, after[host] - before[host]) for host in fleet.hosts)
    gone = dict((host, before[host] - after[host]) for host in fleet.hosts)
    assert new == dict((host, EXPECTED_NEW.get(host, set())) for host in fleet.hosts)
    assert gone == dict((host, set()) for host in fleet.hosts)


def test_drift_is_reported_with_values_and_file(scenario):
    web1 = entry(scenario["report"], "web1")
    assert web1["drift"] >= 1
    drifted = dict((item["key"], item) for item in web1["drifted_keys"])
    assert drifted[FIN_TIMEOUT]["live"] == scenario["drifted"]
    assert drifted[FIN_TIMEOUT]["persisted"] == scenario["live"]
    assert drifted[FIN_TIMEOUT]["persisted_file"].endswith("50-audit-test.conf")


def test_rules_group_the_hosts_they_hit(scenario):
    rules = dict((rule["id"], rule) for rule in scenario["report"]["findings_by_rule"])
    for host, expected in EXPECTED_NEW.items():
        for rule_id, _key in expected:
            assert host in rules[rule_id]["hosts"]


def test_hosts_reported_in_full(fleet, scenario):
    for item in scenario["report"]["hosts"]:
        assert item["status"] == "ok"
        assert item["kernel"] and item["states"] is not None and item["pressure"] is not None
        assert item["source"] in ("netlink", "proc")
        assert item["summary"]["keys_checked"]


def test_json_validates(scenario, validator):
    for name in ("baseline", "report", "check_report", "gate_report"):
        errors = [(list(error.absolute_path), error.message) for error in validator.iter_errors(scenario[name])]
        assert not errors, (name, errors)


def test_markdown_and_junit_written(fleet, scenario):
    folder = scenario["root"] / "after"
    markdown = (folder / "audit.md").read_text()
    for host in fleet.hosts:
        assert "| %s | ok |" % host in markdown
    for host, expected in EXPECTED_NEW.items():
        for rule_id, _key in expected:
            assert "`%s`" % rule_id in markdown
    root = ET.parse(str(folder / "audit.junit.xml")).getroot()
    assert [suite.get("name") for suite in root.findall("testsuite")] == fleet.hosts
    assert root.get("failures") == "0"  # tcp_audit_fail_on: never
    assert (folder / "audit_report.schema.json").exists()


def test_table_and_path_printed(scenario):
    stdout = scenario["run"].stdout
    assert re.search(r"HOST\s+STATUS\s+KERNEL\s+NAT\s+ESTAB\s+TW\s+CW", stdout)
    assert "report: %s/audit.md" % (scenario["root"] / "after") in stdout


def test_check_mode_reports_the_same(fleet, scenario):
    assert scenario["check_run"].rc == 0, scenario["check_run"]
    assert findings(scenario["check_report"]) == findings(scenario["report"])


def test_gate_fails_after_the_report_is_written(fleet, scenario):
    run, report = scenario["gate_run"], scenario["gate_report"]
    assert run.rc != 0, run
    assert report is not None, "the report must be written before the gate fails"
    gated = set(report["gate"]["hosts"])
    assert {"web1", "natgw"} <= gated
    failed = set(host for host, stats in run.stats.items() if stats["failed"])
    assert failed == gated
    gate = run.results("Fail hosts that could not be audited or whose findings reach tcp_audit_fail_on")
    assert "tw-reuse-no-timestamps" in gate["natgw"]["msg"]
    junit = ET.parse(str(scenario["root"] / "gate" / "audit.junit.xml")).getroot()
    assert int(junit.get("failures")) == report["gate"]["findings"]


def test_nothing_changes_on_any_host(fleet, scenario):
    for host in fleet.hosts:
        assert scenario["after"][host] == scenario["before"][host], host


def test_unreachable_host_listed_others_in_full(fleet, tmp_path):
    victim = fleet.hosts[-1]
    fleet.isolate(victim)
    try:
        run, report = audit(fleet, tmp_path / "unreachable")
    finally:
        fleet.restore(victim)
    assert run.rc != 0, run
    assert run.stats[victim]["unreachable"] >= 1
    assert report is not None, run
    gone = entry(report, victim)
    assert gone["status"] == "unreachable"
    assert gone["error"]
    assert report["totals"]["unreachable"] == 1
    for item in report["hosts"]:
        if item["host"] != victim:
            assert item["status"] == "ok" and item["states"] is not None, item["host"]
    assert "| %s | unreachable |" % victim in (tmp_path / "unreachable" / "audit.md").read_text()


def test_prometheus_export_on_the_controller(fleet, tmp_path):
    run, _report = audit(fleet, tmp_path / "report", tcp_audit_prometheus_dir=str(tmp_path / "prom"),
                         tcp_audit_report_formats=["json"])
    assert run.rc == 0, run
    names = sorted(os.listdir(str(tmp_path / "prom")))
    assert names == sorted("%s.prom" % host for host in fleet.hosts)
    text = (tmp_path / "prom" / "web1.prom").read_text()
    assert 'netfleet_tcp_audit_up{host="web1"} 1' in text
    assert re.search(r'^netfleet_tcp_sockets\{host="web1",family="ipv4",state="established"\} \d+$', text, re.M)
    assert not (tmp_path / "report" / "audit.md").exists()


def test_failed_host_listed_with_its_reason_others_in_full(fleet, tmp_path):
    victim = fleet.hosts[-1]
    with open(fleet.inventory) as handle:
        lines = handle.read().splitlines()
    inventory = "\n".join(
        line + " ansible_python_interpreter=/usr/bin/python-missing" if line.split(" ", 1)[0] == victim else line
        for line in lines) + "\n"
    run = fleet.playbook(PLAYBOOK, inventory=inventory,
                         extra_vars={"tcp_audit_report_dir": str(tmp_path), "tcp_audit_fail_on": "never"})
    assert run.rc != 0, run
    with open(str(tmp_path / "audit.json")) as handle:
        report = json.load(handle)
    failed = entry(report, victim)
    assert failed["status"] == "failed"
    assert failed["task"] == "Read the TCP state of the host and judge its values, in one module execution"
    assert failed["error"]
    assert run.stats[victim]["rescued"] == 1 and run.stats[victim]["failed"] == 1
    gate = run.results("Fail hosts that could not be audited or whose findings reach tcp_audit_fail_on")
    assert "did not complete" in gate[victim]["msg"]
    for item in report["hosts"]:
        if item["host"] != victim:
            assert item["status"] == "ok" and item["states"] is not None, item["host"]


def test_profile_audit_after_tuning_names_exactly_the_hand_changed_key(fleet, tmp_path):
    """Tune the fleet with web_frontend, audit against the same profile, change one key by hand."""
    fleet.reset()
    overrides = {"net.ipv4.tcp_max_orphans": None}  # absent in a child network namespace
    try:
        tune = fleet.playbook("playbooks/tune.yml", extra_vars={
            "tcp_tuning_profile": "web_frontend", "tcp_tuning_group_overrides": overrides})
        assert tune.rc == 0, tune
        variables = {"tcp_audit_profile": "web_frontend", "tcp_audit_group_overrides": overrides}
        run, before = audit(fleet, tmp_path / "tuned", **variables)
        assert run.rc == 0, run
        assert before["profile"] == "web_frontend"
        for item in before["hosts"]:
            assert item["profile"] == "web_frontend"
            assert not [drifted for drifted in item["drifted_keys"] if "desired" in drifted["against"]], item
        key = "net.ipv4.tcp_keepalive_time"
        fleet.set_sysctl("web1", key, str(int(fleet.sysctl("web1", key)) + 1))
        run, after = audit(fleet, tmp_path / "drifted", **variables)
        assert run.rc == 0, run
        old, new = findings(before), findings(after)
        added = dict((host, new[host] - old[host]) for host in fleet.hosts)
        assert added["web1"] == {("live-differs-desired", key), ("persisted-drift", key)}
        assert all(not added[host] for host in fleet.hosts if host != "web1"), added
        web1 = dict((item["key"], item) for item in entry(after, "web1")["drifted_keys"])
        assert web1[key]["against"] == ["persisted", "desired"]
    finally:
        fleet.reset()


def test_prometheus_export_on_the_hosts(fleet, tmp_path):
    folder = "/var/lib/netfleet-tcp/textfile"
    variables = {"tcp_audit_prometheus_dir": folder, "tcp_audit_prometheus_target": "host", "tcp_audit_report_formats": []}
    try:
        run, _report = audit(fleet, tmp_path, check=True, **variables)
        assert run.rc == 0, run
        assert all(fleet.read_file(host, folder + "/netfleet_tcp.prom") is None for host in fleet.hosts)
        run, _report = audit(fleet, tmp_path, **variables)
        assert run.rc == 0, run
        for host in fleet.hosts:
            text = fleet.read_file(host, folder + "/netfleet_tcp.prom")
            assert text and 'netfleet_tcp_audit_up{host="%s"} 1' % host in text, host
        assert not os.listdir(str(tmp_path))  # no report files asked for
    finally:
        for host in fleet.hosts:
            fleet.sh(host, "rm -rf %s" % folder, check=False)


def test_profile_keys_absent_in_a_namespace_are_skipped_unless_missing_is_fail(fleet, tmp_path):
    """The fleet's hosts are child network namespaces: tcp_max_orphans has no file there."""
    key = "net.ipv4.tcp_max_orphans"
    run, report = audit(fleet, tmp_path / "skip", tcp_audit_profile="web_frontend", tcp_audit_fail_on="error")
    assert run.rc == 0, run
    for item in report["hosts"]:
        missing = [finding for finding in item["findings"] if finding["id"] == "key-missing"]
        assert [(finding["key"], finding["severity"]) for finding in missing] == [(key, "info")], item["host"]
        assert "skipped (missing: skip)" in missing[0]["message"]
    run, report = audit(fleet, tmp_path / "fail", tcp_audit_profile="web_frontend", tcp_audit_fail_on="error",
                        tcp_audit_missing="fail")
    assert run.rc != 0, run
    assert set(report["gate"]["hosts"]) == set(fleet.hosts)
    gate = run.results("Fail hosts that could not be audited or whose findings reach tcp_audit_fail_on")
    assert all("key-missing" in gate[host]["msg"] for host in fleet.hosts), gate
