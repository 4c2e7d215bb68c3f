"""The tuning role on the fleet: apply, idempotence, drift under --check, reboot, removal.

Every run is a real ansible-playbook over SSH (playbooks/tune.yml). Values are verified
directly on the hosts (fleet.sysctl / fleet.snapshot), never through ansible.
"""

import pytest

PLAYBOOK = "playbooks/tune.yml"
APPLY = "Apply the whole profile in one call"
# The role prints, per host, the findings, the per-key lines, then the summary (last line).
SUMMARY = "Show the outcome on this host, failing it when refused or not as wanted"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-tuning.conf"
FIN = "net.ipv4.tcp_fin_timeout"
KEEPALIVE = "net.ipv4.tcp_keepalive_time"


def tune(fleet, check=False, diff=False, limit=None, **extra):
    extra_vars = {"tcp_tuning_hosts": "fleet", "tcp_tuning_profile": "web_frontend"}
    extra_vars.update(extra)
    return fleet.playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=diff, limit=limit)


def snapshots(fleet):
    return dict((host, fleet.snapshot(host)) for host in fleet.hosts)


def host_files(snapshot):
    return {"sysctl": snapshot["sysctl"], "sysctl_d": snapshot["sysctl_d"]}


@pytest.fixture(scope="module")
def original(fleet):
    """The fleet as built, before any test of this module tuned it; reset again afterwards."""
    fleet.reset()
    yield snapshots(fleet)
    fleet.reset()


@pytest.fixture(scope="module")
def applied(fleet, original):
    """web_frontend applied to every host: check, real, idempotent check, idempotent real."""
    runs = {}
    runs["check"] = tune(fleet, check=True, diff=True)
    runs["after_check"] = snapshots(fleet)
    runs["real"] = tune(fleet)
    runs["check_again"] = tune(fleet, check=True, diff=True)
    runs["real_again"] = tune(fleet)
    return runs


def test_check_mode_predicts_and_changes_nothing(fleet, original, applied):
    run = applied["check"]
    assert run.rc == 0, run
    for host in fleet.hosts:
        assert host_files(applied["after_check"][host]) == host_files(original[host]), host
    predicted = run.results(APPLY)
    real = applied["real"].results(APPLY)
    assert sorted(predicted) == sorted(fleet.hosts)
    for host in fleet.hosts:
        assert predicted[host]["changed"], host
        for key, entry in real[host]["keys"].items():
            guess = predicted[host]["keys"][key]
            assert (guess["status"], guess["after"]) == (entry["status"], entry["after"]), (host, key)
    summaries = run.results(SUMMARY)
    for host in fleet.hosts:
        assert "nothing changed (check mode)" in summaries[host]["msg"][-1], summaries[host]


def test_profile_applied_everywhere_reports_changed(fleet, applied):
    run = applied["real"]
    assert run.rc == 0, run
    results = run.results(APPLY)
    for host in fleet.hosts:
        assert run.stats[host]["changed"] >= 1, (host, run.stats)
        assert run.stats[host]["failed"] == 0, run
        assert results[host]["changed"], host
        assert fleet.sysctl(host, FIN) == "20", host
        assert fleet.sysctl(host, KEEPALIVE) == "600", host
        dropin = fleet.read_file(host, DROPIN)
        assert dropin is not None and "net.ipv4.tcp_fin_timeout = 20" in dropin, host
        # tcp_max_orphans exists only in the initial namespace: skipped and listed, not dropped.
        assert results[host]["keys"]["net.ipv4.tcp_max_orphans"]["status"] == "skipped-missing"
        skip_warnings = [w for w in results[host].get("warnings", []) if "absent in this network namespace" in w]
        assert len(skip_warnings) == 1 and "net.ipv4.tcp_max_orphans (" in skip_warnings[0], results[host]
        summary = run.results(SUMMARY)[host]["msg"][-1]
        assert summary.startswith("%s: web_frontend applied: " % host), summary
        assert "net.ipv4.tcp_max_orphans" in summary, summary


def test_host_dependent_values_follow_the_host(fleet, applied):
    results = applied["real"].results(APPLY)
    for host in fleet.hosts:
        buckets = int(results[host]["keys"]["net.ipv4.tcp_max_tw_buckets"]["after"])
        meminfo = fleet.read_file(host, "/proc/meminfo")
        mem_total = int([line.split()[1] for line in meminfo.splitlines()
                         if line.startswith("MemTotal:")][0]) * 1024
        # The TCP established hash as tcp_init sizes it (alloc_large_system_hash, scale 17, at
        # most 512 Ki buckets): the profile sizes the cap from memory (MemTotal/64/256) but keeps
        # it between the kernel's default (half the hash) and the hash itself.
        pages = -(-mem_total // 4096 // 256) * 256
        ehash = min(1 << max(0, (pages >> 5) - 1).bit_length(), 512 * 1024)
        budget = mem_total // 64 // 256 // 1024 * 1024
        assert buckets == min(max(budget, ehash // 2), ehash), (host, buckets, ehash)
        assert fleet.sysctl(host, "net.ipv4.tcp_max_tw_buckets") == str(buckets)


def test_shadowing_file_is_named(fleet, applied):
    result = applied["real"].results(APPLY)["shadow"]
    assert any("99-zzz-local-override.conf" in warning for warning in result.get("warnings", [])), result


def test_second_run_changes_nothing(fleet, applied):
    check = applied["check_again"]
    assert check.rc == 0, check
    for host, result in check.results(APPLY).items():
        assert result["lines"] == [], (host, result)
    for host, result in check.results(SUMMARY).items():
        assert result["msg"][-1].startswith("%s: no drift from web_frontend" % host), result
    run = applied["real_again"]
    assert run.rc == 0, run
    for host in fleet.hosts:
        assert run.stats[host]["changed"] == 0, (host, run.stats)


def test_check_reports_exactly_the_key_changed_by_hand(fleet, applied):
    fleet.set_sysctl("web2", KEEPALIVE, "7200")
    try:
        before = snapshots(fleet)
        run = tune(fleet, check=True, diff=True)
        after = snapshots(fleet)
    finally:
        fleet.set_sysctl("web2", KEEPALIVE, "600")
    assert run.rc == 0, run
    assert after == before
    predicted = run.results(APPLY)
    lines = dict((host, result["lines"]) for host, result in predicted.items())
    # Only the live value drifted: the drop-in already holds 600 and must not be said to change.
    assert lines["web2"] == [
        "%s: live 7200, wanted 600; %s already persists 600 (only the live value would change)"
        % (KEEPALIVE, DROPIN)]
    for host in fleet.hosts:
        if host != "web2":
            assert lines[host] == [], (host, lines[host])
    for host in fleet.hosts:
        changed = sorted(k for k, e in predicted[host]["keys"].items() if e["status"] == "changed")
        assert changed == ([KEEPALIVE] if host == "web2" else []), (host, changed)
        assert predicted[host]["file_changed"] is False, (host, predicted[host])
    summaries = run.results(SUMMARY)
    assert sorted(summaries) == sorted(fleet.hosts)
    # What the role prints: the findings, the drifted key, the summary.
    assert summaries["web2"]["msg"][:-1] == predicted["web2"]["finding_lines"] + lines["web2"], summaries["web2"]
    assert summaries["web2"]["msg"][-1].startswith(
        "web2: 1 drifted from web_frontend (%s); nothing changed (check mode)" % KEEPALIVE)
    assert "-%s = 7200" % KEEPALIVE in run.stdout and "+%s = 600" % KEEPALIVE in run.stdout


def test_reboot_brings_the_profile_back(fleet, applied):
    expected = dict((key, entry["after"]) for key, entry in
                    applied["real"].results(APPLY)["web1"]["keys"].items()
                    if entry["status"] in ("changed", "unchanged"))
    fleet.reboot("web1")
    for key, value in expected.items():
        assert fleet.sysctl("web1", key) == value, key
    run = tune(fleet, check=True, limit="web1")
    assert run.rc == 0, run
    assert run.results(SUMMARY)["web1"]["msg"][-1].startswith("web1: no drift"), run


def test_state_absent_restores_the_previous_values(fleet, original, applied):
    run = tune(fleet, tcp_tuning_state="absent")
    assert run.rc == 0, run
    for host in fleet.hosts:
        assert run.stats[host]["changed"] >= 1, (host, run.stats)
        assert DROPIN.rsplit("/", 1)[1] not in fleet.list_dir(host, "/etc/sysctl.d"), host
        now = fleet.snapshot(host)
        assert host_files(now) == host_files(original[host]), host
    again = tune(fleet, tcp_tuning_state="absent")
    assert again.rc == 0, again
    for host in fleet.hosts:
        assert again.stats[host]["changed"] == 0, (host, again.stats)
