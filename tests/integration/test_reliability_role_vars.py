"""Hostile role variables: the tuning and audit roles refuse them clearly, before any change.

One playbook run per role covers every case: the inventory holds one alias of a fleet host per
hostile variable (same address, so every case runs against the same real host), each alias
carrying its one bad value as a host variable. Every alias must fail with a message naming the
variable or the problem, no sysctl_profile task may report a change, and the host is re-read
before and after (live values, sysctl.d files, the state dir).
Run with NETFLEET_FLEET_ID=7 (the reliability fleet).
"""

import json
import os

import pytest

pytestmark = pytest.mark.integration

KEY = "net.ipv4.tcp_fin_timeout"

# (alias, variable, value, words the failure must contain)
TUNING_CASES = [
    ("t_profile_unknown", "tcp_tuning_profile", "web_frontend; rm -rf /", "tcp_tuning_profile"),
    ("t_profile_list", "tcp_tuning_profile", ["web_frontend"], "tcp_tuning_profile"),
    ("t_group_list", "tcp_tuning_group_overrides", [KEY, 30], "tcp_tuning_group_overrides"),
    ("t_host_text", "tcp_tuning_host_overrides", ["not", "a", "dict"], "tcp_tuning_host_overrides"),
    ("t_host_path_key", "tcp_tuning_host_overrides", {"../../etc/passwd": 1}, "not a path"),
    ("t_host_newline", "tcp_tuning_host_overrides", {KEY: "30\nkernel.core_pattern = |/tmp/x"}, "'\\n'"),
    ("t_host_boolean", "tcp_tuning_host_overrides", {"net.ipv4.tcp_timestamps": "yes"}, "boolean"),
    ("t_host_huge", "tcp_tuning_host_overrides", {KEY: 2 ** 70}, "does not fit"),
    ("t_host_float", "tcp_tuning_host_overrides", {KEY: 1.5}, "float"),
    ("t_host_empty", "tcp_tuning_host_overrides", {KEY: ""}, "empty"),
    ("t_host_unknown_key", "tcp_tuning_host_overrides", {"net.ipv4.tcp_no_such_knob": 1}, "tcp_no_such_knob"),
    ("t_nat_facing", "tcp_tuning_nat_facing", "maybe", "tcp_tuning_nat_facing"),
    ("t_missing", "tcp_tuning_missing", "ignore", "tcp_tuning_missing"),
    ("t_persist", "tcp_tuning_persist", "perhaps", "tcp_tuning_persist"),
    ("t_fail_on", "tcp_tuning_fail_on", "sometimes", "tcp_tuning_fail_on"),
    ("t_state", "tcp_tuning_state", "gone", "tcp_tuning_state"),
    ("t_id_path", "tcp_tuning_id", "../../etc/passwd", "profile name"),
    ("t_id_newline", "tcp_tuning_id", "web\n", "profile name"),
    ("t_id_list", "tcp_tuning_id", ["web"], "profile name"),
    ("t_dropin_passwd", "tcp_tuning_dropin_path", "/etc/passwd", "directly in one of"),
    ("t_dropin_dotdot", "tcp_tuning_dropin_path", "/etc/sysctl.d/../x.conf", "normalised"),
    # The names of before 0.2.0 are held to the same rules until 0.3.0.
    ("t_old_state", "tuning_state", "gone", "tcp_tuning_state (given as tuning_state)"),
    ("t_old_host_path_key", "tuning_host_overrides", {"../../etc/passwd": 1}, "not a path"),
]

AUDIT_CASES = [
    ("a_profile", "tcp_audit_profile", "bogus", "tcp_audit_profile"),
    ("a_fail_on", "tcp_audit_fail_on", "sometimes", "tcp_audit_fail_on"),
    ("a_detail", "tcp_audit_detail", ["everything"], "tcp_audit_detail"),
    ("a_detail_text", "tcp_audit_detail", {"ports": 1}, "tcp_audit_detail"),
    ("a_top", "tcp_audit_top", "many", "tcp_audit_top"),
    ("a_formats", "tcp_audit_report_formats", ["pdf"], "tcp_audit_report_formats"),
    ("a_target", "tcp_audit_prometheus_target", "both", "tcp_audit_prometheus_target"),
    ("a_thresholds", "tcp_audit_thresholds", ["time_wait"], "tcp_audit_thresholds"),
    ("a_old_fail_on", "audit_fail_on", "sometimes", "tcp_audit_fail_on (given as audit_fail_on)"),
]

TUNING_PLAY = """
- name: Tune with hostile variables
  hosts: all
  gather_facts: false
  roles:
    - netfleet.tcp.tcp_tuning
"""

AUDIT_PLAY = """
- name: Audit with hostile variables
  hosts: all
  gather_facts: false
  roles:
    - netfleet.tcp.tcp_audit
"""


def _inventory(fleet, host, cases, tmp_path, extra):
    """A YAML inventory: one alias of ``host`` per case, with the fleet's connection settings."""
    with open(fleet.inventory) as handle:
        text = handle.read()
    common = {}
    for line in text.split("[fleet:vars]", 1)[1].splitlines():
        if "=" in line and not line.startswith("["):
            name, _sep, value = line.partition("=")
            common[name.strip()] = value.strip().strip("'")
        elif line.startswith("["):
            break
    hosts = {}
    for alias, variable, value, _words in cases:
        entry = dict(common, ansible_host=fleet.address(host),
                     ansible_remote_tmp=os.path.join(os.path.dirname(fleet.inventory), host, "tmp"))
        entry.update(extra)
        entry[variable] = value
        hosts[alias] = entry
    path = tmp_path / "inventory.json.yml"
    path.write_text(json.dumps({"all": {"hosts": hosts}}))
    return str(path)


def _check(fleet, run, cases, host, before, counter):
    failed = {}
    for item in run.all_results:
        if item["status"] == "failed" and not item["ignored"]:
            failed.setdefault(item["host"], item)
    for alias, variable, value, words in cases:
        assert alias in failed, "%s (%s=%r) did not fail: %s" % (alias, variable, value, run)
        msg = failed[alias]["result"].get("msg", "")
        # The tuning role prints a list of lines (the reasons last); other failures give a string.
        message = "%s %s" % ("\n".join(msg) if isinstance(msg, list) else msg, json.dumps(failed[alias]["result"]))
        assert words in message, (alias, message[:2000])
        changed = [item for item in run.all_results if item["host"] == alias
                   and item["action"] in ("netfleet.tcp.sysctl_profile", "netfleet.tcp.tcp_tuning")
                   and item["result"].get("changed")]
        assert not changed, (alias, changed)
    after = fleet.snapshot(host)
    assert after["sysctl"] == before["sysctl"]
    assert after["sysctl_d"] == before["sysctl_d"]
    assert set(after["state"]) - set(before["state"]) <= {"sysctl_profile.lock"}
    counter.extend(cases)


COUNTED = []


@pytest.fixture(scope="module", autouse=True)
def print_count(fleet):
    yield
    fleet.reset([fleet.groups["servers"][0]])
    print("\nhostile role variables tried: %d (tuning %d, audit %d)" % (
        len(COUNTED), len([c for c in COUNTED if "tuning_" in c[1]]),
        len([c for c in COUNTED if "audit_" in c[1]])))


def test_tuning_refuses_hostile_variables_before_any_change(fleet, tmp_path):
    host = fleet.groups["servers"][0]
    fleet.reset([host])
    before = fleet.snapshot(host)
    # Something to apply on every alias, keys absent here refused; each case's own variable wins.
    inventory = _inventory(fleet, host, TUNING_CASES, tmp_path, {
        "tcp_tuning_profile": "none", "tcp_tuning_group_overrides": {KEY: 31}, "tcp_tuning_missing": "fail",
        "tcp_tuning_nat_facing": "false"})
    run = fleet.playbook(TUNING_PLAY, inventory=inventory)
    assert run.rc != 0
    _check(fleet, run, TUNING_CASES, host, before, COUNTED)


def test_audit_refuses_hostile_variables_and_changes_nothing(fleet, tmp_path):
    host = fleet.groups["servers"][0]
    before = fleet.snapshot(host)
    inventory = _inventory(fleet, host, AUDIT_CASES, tmp_path, {"tcp_audit_report_dir": str(tmp_path / "report")})
    run = fleet.playbook(AUDIT_PLAY, inventory=inventory)
    assert run.rc != 0
    _check(fleet, run, AUDIT_CASES, host, before, COUNTED)
