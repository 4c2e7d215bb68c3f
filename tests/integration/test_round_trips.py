"""One module execution per host per role run: the tuning role (apply, re-run, --check --diff,
absent, and runs limited by phase tags) and the audit role (with and without a profile).

Every run is a real ansible-playbook over SSH; the test results callback records every task
result with its action, and a result counts as a module execution on the host unless its action
runs on the controller only; a looped task counts once per item that ran.
"""

import collections

import pytest

TUNE = "playbooks/tune.yml"
AUDIT = "playbooks/audit.yml"
APPLY = "Apply the whole profile in one call"
SHOW = "Show the outcome on this host, failing it when refused or not as wanted"
FIN = "net.ipv4.tcp_fin_timeout"
# Actions that never execute a module on the managed host.
CONTROLLER_ONLY = frozenset(["debug", "fail", "set_fact", "assert", "meta", "audit_files", "role_var_aliases",
                             "include_tasks", "import_tasks", "include_role", "import_role",
                             "validate_argument_spec", "set_stats", "add_host", "group_by", "include_vars"])


def executions(run):
    """``{host: count}`` of module executions on the hosts, from every recorded result."""
    counts = collections.Counter()
    for item in run.all_results:
        action = item["action"].rsplit(".", 1)[-1]
        if action in CONTROLLER_ONLY or item["status"] in ("skipped", "unreachable"):
            continue
        if item["result"].get("skipped"):
            continue
        looped = item["result"].get("results")
        if isinstance(looped, list):
            counts[item["host"]] += len([one for one in looped if not (isinstance(one, dict) and one.get("skipped"))])
        else:
            counts[item["host"]] += 1
    return counts


def assert_one_each(fleet, run):
    assert run.rc == 0, run
    counts = executions(run)
    ran = [(item["host"], item["action"], item["task"]) for item in run.all_results
           if item["status"] not in ("skipped", "unreachable")]
    assert counts == dict((host, 1) for host in fleet.hosts), (counts, ran)


@pytest.fixture(scope="module")
def clean(fleet):
    fleet.reset()
    yield fleet
    fleet.reset()


def test_tuning_runs_once_per_host_in_every_mode(clean):
    fleet = clean
    extra = {"tcp_tuning_hosts": "fleet", "tcp_tuning_profile": "web_frontend"}
    check = fleet.playbook(TUNE, extra_vars=extra, check=True, diff=True)
    assert_one_each(fleet, check)
    first = fleet.playbook(TUNE, extra_vars=extra)
    assert_one_each(fleet, first)
    assert all(fleet.sysctl(host, FIN) == "20" for host in fleet.hosts)
    again = fleet.playbook(TUNE, extra_vars=extra)
    assert_one_each(fleet, again)
    assert all(again.stats[host]["changed"] == 0 for host in fleet.hosts), again.stats
    absent = fleet.playbook(TUNE, extra_vars=dict(extra, tcp_tuning_state="absent"))
    assert_one_each(fleet, absent)


def test_phase_tags_still_select_phases_in_one_execution(clean):
    fleet = clean
    extra = {"tcp_tuning_hosts": "fleet", "tcp_tuning_profile": "web_frontend", "tcp_tuning_host_overrides": {FIN: 21}}
    before = dict((host, fleet.snapshot(host)) for host in fleet.hosts)
    judged = fleet.playbook(TUNE, extra_vars=extra, tags="validate,guard")
    assert_one_each(fleet, judged)
    results = judged.results(APPLY)
    for host in fleet.hosts:
        assert results[host]["phases"] == ["validate", "guard"], results[host]
        assert results[host]["changed"] is False and results[host]["keys"] == {}, results[host]
        assert fleet.snapshot(host) == before[host], host
    shown = judged.results(SHOW)
    for host in fleet.hosts:
        assert results[host]["summary"] not in shown[host].get("msg", []), shown[host]
    verify = fleet.playbook(TUNE, extra_vars=extra, tags="tuning_verify")
    assert verify.rc == 2, verify
    assert executions(verify) == dict((host, 1) for host in fleet.hosts)
    mismatch = verify.results(SHOW)
    for host in fleet.hosts:
        assert "%s on %s: re-read" % (FIN, host) in mismatch[host]["msg"][-1], mismatch[host]


@pytest.mark.parametrize("profile", ["none", "web_frontend"])
def test_audit_runs_once_per_host(clean, tmp_path, profile):
    fleet = clean
    run = fleet.playbook(AUDIT, extra_vars={"tcp_audit_report_dir": str(tmp_path), "tcp_audit_fail_on": "never",
                                            "tcp_audit_profile": profile})
    assert_one_each(fleet, run)
