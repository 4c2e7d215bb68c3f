"""The names of before 0.2.0 keep working until 0.3.0, each with a deprecation warning.

The roles were netfleet.tcp.tuning and netfleet.tcp.audit, their variables had no tcp_ prefix
(tuning_profile, audit_fail_on, ...), the audit left the facts audit_report and
audit_report_path, and the tags were tuning, tuning_<phase>, the bare phase names and
audit, audit_<phase>. Real playbooks over SSH against the fleet.
"""

import json

import pytest

FIN = "net.ipv4.tcp_fin_timeout"
KEEPALIVE = "net.ipv4.tcp_keepalive_time"
APPLY = "Apply the whole profile in one call"

OLD_TUNING = """\
- name: Tune with the names of before 0.2.0
  hosts: "{{ target }}"
  gather_facts: false
  roles:
    - role: netfleet.tcp.tuning
"""

OLD_AUDIT = """\
- name: Audit with the names of before 0.2.0
  hosts: "{{ target }}"
  gather_facts: false
  roles:
    - role: netfleet.tcp.audit

- name: Read the facts the audit left, under both names
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Facts
      tags: [always]
      ansible.builtin.debug:
        msg: "FACTS {{ {'old_path': hostvars[first].audit_report_path, 'new_path': hostvars[first].tcp_audit_report_path,
                       'same': hostvars[first].audit_report == hostvars[first].tcp_audit_report,
                       'hosts': hostvars[first].audit_report.hosts | map(attribute='host') | list} | to_json }}"
"""


def said(run):
    """Everything the run printed, whitespace collapsed (warnings wrap)."""
    return " ".join((run.stdout + run.stderr).split())


@pytest.fixture(scope="module")
def clean(fleet):
    fleet.reset()
    yield fleet
    fleet.reset()


def test_old_role_variable_and_tag_names_tune_with_warnings(clean):
    fleet = clean
    host = fleet.hosts[0]
    run = fleet.playbook(OLD_TUNING, tags="validate,guard,apply", extra_vars={
        "target": host, "tuning_profile": "web_frontend", "tuning_host_overrides": {FIN: 27}})
    assert run.rc == 0, run
    assert fleet.sysctl(host, FIN) == "27"
    assert fleet.sysctl(host, KEEPALIVE) == "600"
    result = run.results(APPLY)[host]
    assert result["phases"] == ["validate", "guard", "apply"], result
    text = said(run)
    for warning in ("the role netfleet.tcp.tuning is deprecated and works until netfleet.tcp 0.3.0; "
                    "use netfleet.tcp.tcp_tuning",
                    "the variable tuning_profile is deprecated and works until netfleet.tcp 0.3.0; "
                    "rename it to tcp_tuning_profile",
                    "the variable tuning_host_overrides is deprecated",
                    "the tag apply is deprecated and works until netfleet.tcp 0.3.0; use tcp_tuning_apply",
                    "the tag guard is deprecated", "the tag validate is deprecated"):
        assert warning in text, (warning, run)
    # One warning per name, however many tasks and hosts evaluate it.
    assert text.count("the variable tuning_profile is deprecated") == 1, run
    # The old name gives way to a new name set to something other than its default, and says so.
    both = fleet.playbook("playbooks/tune.yml", check=True, extra_vars={
        "tuning_hosts": host, "tuning_profile": "web_frontend", "tcp_tuning_profile": "outbound_heavy"})
    assert both.rc == 0, both
    assert both.results(APPLY)[host]["profile"] == ["outbound_heavy"], both
    text = said(both)
    assert "the deprecated variable tuning_profile is ignored because tcp_tuning_profile is set too" in text, both
    assert "the variable tuning_hosts is deprecated and works until netfleet.tcp 0.3.0; rename it to " \
           "tcp_tuning_hosts" in text, both
    assert list(both.stats) == [host], both.stats


def test_new_names_warn_about_nothing(clean):
    fleet = clean
    host = fleet.hosts[0]
    run = fleet.playbook("playbooks/tune.yml", tags="tcp_tuning_validate", extra_vars={
        "tcp_tuning_hosts": host, "tcp_tuning_profile": "web_frontend"})
    assert run.rc == 0, run
    assert run.results(APPLY)[host]["phases"] == ["validate"]
    assert "netfleet.tcp.tcp_tuning:" not in said(run) and "is deprecated and works until" not in said(run), run


def test_a_wrong_value_under_an_old_name_is_refused_naming_it(clean):
    fleet = clean
    host = fleet.hosts[0]
    before = fleet.snapshot(host)
    run = fleet.playbook(OLD_TUNING, extra_vars={"target": host, "tuning_profile": "web_frontend",
                                                 "tuning_missing": "sometimes"})
    assert run.rc != 0, run
    text = said(run)
    assert "tcp_tuning_missing (given as tuning_missing): value of tcp_tuning_missing must be one of: skip, fail, " \
           "got: sometimes" in text, run
    assert fleet.snapshot(host) == before


def test_old_audit_names_report_and_leave_both_facts(clean, tmp_path):
    fleet = clean
    target = ",".join(fleet.hosts[:2])
    run = fleet.playbook(OLD_AUDIT, tags="audit_collect,audit_report,always", extra_vars={
        "target": target, "first": fleet.hosts[0], "audit_report_dir": str(tmp_path), "audit_fail_on": "never",
        "audit_report_formats": ["json"]})
    assert run.rc == 0, run
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == [
        "audit.json", "audit_report.schema.json"], list(tmp_path.iterdir())
    line = [item for item in run.stdout.splitlines() if "FACTS " in item][0]
    facts = json.loads(json.loads(line.split(": ", 1)[1]).split("FACTS ", 1)[1])
    assert facts == {"old_path": str(tmp_path), "new_path": str(tmp_path), "same": True,
                     "hosts": fleet.hosts[:2]}, facts
    text = said(run)
    for warning in ("the role netfleet.tcp.audit is deprecated and works until netfleet.tcp 0.3.0; "
                    "use netfleet.tcp.tcp_audit",
                    "the variable audit_report_dir is deprecated and works until netfleet.tcp 0.3.0; "
                    "rename it to tcp_audit_report_dir",
                    "the variable audit_fail_on is deprecated", "the variable audit_report_formats is deprecated",
                    "the tag audit_collect is deprecated and works until netfleet.tcp 0.3.0; use tcp_audit_collect",
                    "the tag audit_report is deprecated"):
        assert warning in text, (warning, run)
    # The gate was skipped by the tags: the old tags select phases as before.
    assert "Fail hosts that could not be audited" not in run.stdout, run


def test_audit_playbook_takes_the_old_gate_variable(clean, tmp_path):
    fleet = clean
    host = fleet.hosts[0]
    run = fleet.playbook("playbooks/audit.yml", extra_vars={
        "audit_hosts": host, "tcp_audit_report_dir": str(tmp_path), "audit_fail_on": "warning"})
    text = said(run)
    assert "the variable audit_fail_on is deprecated" in text, run
    assert "the variable audit_hosts is deprecated" in text, run
    assert list(run.stats) == [host], run.stats
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["gate"]["fail_on"] == "warning", report["gate"]
