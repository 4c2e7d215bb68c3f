"""The tuning role's guards and hard cases on the fleet: refusals before any change on one host
while the others proceed, the missing-key policy in child namespaces, a read-only /proc/sys, and
an unreachable host."""

import os
import shutil

import pytest
import yaml

PLAYBOOK = "playbooks/tune.yml"
APPLY = "Apply the whole profile in one call"
SHOW = "Show the outcome on this host, failing it when refused or not as wanted"
# The last line the role prints for a host: its summary, or the reasons it failed.
SUMMARY = GUARD = SHOW
FIN = "net.ipv4.tcp_fin_timeout"


def host_files(snapshot):
    return {"sysctl": snapshot["sysctl"], "sysctl_d": snapshot["sysctl_d"]}


def inventory_dir(fleet, tmp_path, group_vars=None, host_vars=None):
    """A copy of the fleet's inventory with group_vars/ and host_vars/ next to it."""
    path = tmp_path / "inventory"
    path.mkdir()
    shutil.copy(fleet.inventory, str(path / "hosts.ini"))
    for kind, values in (("group_vars", group_vars), ("host_vars", host_vars)):
        (path / kind).mkdir()
        for name, data in (values or {}).items():
            with open(str(path / kind / (name + ".yml")), "w") as handle:
                yaml.safe_dump(data, handle)
    return str(path / "hosts.ini")


@pytest.fixture
def clean(fleet):
    fleet.reset()
    yield fleet
    fleet.reset()


def test_tw_recycle_on_the_nat_gateway_is_refused_before_any_change(clean, tmp_path):
    fleet = clean
    inventory = inventory_dir(fleet, tmp_path, {"fleet": {"tcp_tuning_profile": "web_frontend"}},
                              {"natgw": {"tcp_tuning_host_overrides": {"net.ipv4.tcp_tw_recycle": 1}}})
    before = fleet.snapshot("natgw")
    run = fleet.playbook(PLAYBOOK, extra_vars={"tcp_tuning_hosts": "fleet"}, inventory=inventory)
    assert run.rc == 2, run
    assert fleet.snapshot("natgw") == before
    refusal = run.results(GUARD)["natgw"]
    assert refusal.get("failed"), refusal
    message = refusal["msg"][-1]
    assert message.startswith("tcp_tw_recycle refused on natgw: NAT-facing ("), message
    assert "masquerade" in message and "removed in Linux 4.12" in message, message
    assert "tcp_tw_reuse" in message, message
    # The guard runs on the host inside the one module execution, before the apply phase.
    judged = run.results(APPLY)["natgw"]
    assert judged["changed"] is False and judged["keys"] == {} and judged["refusals"], judged
    for host in fleet.hosts:
        if host == "natgw":
            continue
        assert run.stats[host]["failed"] == 0, (host, run)
        assert run.stats[host]["changed"] >= 1, (host, run.stats)
        assert fleet.sysctl(host, FIN) == "20", host


def test_missing_keys_fail_the_host_when_the_policy_says_so(clean):
    fleet = clean
    before = dict((host, fleet.snapshot(host)) for host in fleet.hosts)
    run = fleet.playbook(PLAYBOOK, extra_vars={"tcp_tuning_hosts": "fleet", "tcp_tuning_profile": "web_frontend",
                                               "tcp_tuning_missing": "fail"})
    assert run.rc == 2, run
    refusals = run.results(GUARD)
    for host in fleet.hosts:
        assert refusals[host].get("failed"), (host, refusals[host])
        assert "tcp_max_orphans refused on %s" % host in refusals[host]["msg"][-1]
        assert "initial network namespace" in refusals[host]["msg"][-1]
        assert fleet.snapshot(host) == before[host], host


def test_missing_keys_are_skipped_and_listed_by_default(clean):
    fleet = clean
    run = fleet.playbook(PLAYBOOK, extra_vars={"tcp_tuning_hosts": "web1", "tcp_tuning_profile": "high_throughput"})
    assert run.rc == 0, run
    keys = run.results(APPLY)["web1"]["keys"]
    # Only in the initial namespace, or machine-wide and read-only in a child one.
    for key in ("net.ipv4.tcp_mem", "net.core.netdev_max_backlog", "net.core.rmem_max", "net.core.wmem_max"):
        assert keys[key]["status"] == "skipped-missing", (key, keys[key])
    summary = run.results(SUMMARY)["web1"]["msg"][-1]
    assert "4 skipped (absent here: " in summary and "net.ipv4.tcp_mem" in summary, summary
    assert fleet.sysctl("web1", "net.ipv4.tcp_slow_start_after_idle") == "0"


def test_read_only_proc_sys_is_a_clear_failure_and_nothing_is_written(clean):
    fleet = clean
    # Private to web2's mount namespace: the machine's /proc/sys stays writable.
    fleet.sh("web2", "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys")
    before = fleet.snapshot("web2")
    run = fleet.playbook(PLAYBOOK, extra_vars={"tcp_tuning_hosts": "web1:web2", "tcp_tuning_profile": "web_frontend"})
    assert not os.statvfs("/proc/sys/net").f_flag & os.ST_RDONLY
    assert run.rc == 2, run
    refusal = run.results(GUARD)["web2"]
    assert refusal.get("failed") and "read-only" in refusal["msg"][-1], refusal
    assert refusal["msg"][-1].startswith("nothing written on web2: "), refusal
    assert fleet.snapshot("web2") == before
    assert run.stats["web1"]["failed"] == 0 and fleet.sysctl("web1", FIN) == "20", run


def test_unreachable_host_does_not_stop_the_fleet(clean):
    fleet = clean
    fleet.isolate("web2")
    try:
        run = fleet.playbook(PLAYBOOK, extra_vars={"tcp_tuning_hosts": "fleet", "tcp_tuning_profile": "web_frontend"})
    finally:
        fleet.restore("web2")
    assert run.rc == 4, run
    assert run.stats["web2"]["unreachable"] >= 1, run.stats
    summaries = run.results(SUMMARY)
    for host in fleet.hosts:
        if host == "web2":
            continue
        assert run.stats[host]["failed"] == 0, (host, run)
        assert summaries[host]["msg"][-1].startswith("%s: web_frontend applied" % host), summaries[host]
        assert fleet.sysctl(host, FIN) == "20", host
