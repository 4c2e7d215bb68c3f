"""sysctl_profile on the test fleet: a 15-key profile per host in one module execution each.

Every change runs four times (check, real, idempotent check, idempotent) and check must have
predicted the real run. Values are verified from inside each host, never through ansible.
Run with NETFLEET_FLEET_ID=4 (the profile fleet).
"""

import json

import pytest

pytestmark = pytest.mark.integration

NAME = "web"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-web.conf"
SHADOW_FILE = "/etc/sysctl.d/99-zzz-local-override.conf"
ACTION = "netfleet.tcp.sysctl_profile"

# 15 keys every child network namespace has (no tcp_mem, tcp_max_orphans, netdev_max_backlog),
# in the shapes users write: integers, a bound, a string with tabs, a list.
PROFILE = {
    "net.ipv4.tcp_fin_timeout": 30,
    "net.ipv4.tcp_tw_reuse": 1,
    "net.ipv4.tcp_keepalive_time": 600,
    "net.ipv4.tcp_keepalive_intvl": 30,
    "net.ipv4.tcp_keepalive_probes": 5,
    "net.ipv4.tcp_syn_retries": 4,
    "net.ipv4.tcp_synack_retries": 3,
    "net.ipv4.tcp_max_syn_backlog": ">=4096",
    "net.ipv4.tcp_max_tw_buckets": 262144,
    "net.ipv4.tcp_rmem": "4096\t131072   16777216",
    "net.ipv4.tcp_wmem": [4096, 65536, 16777216],
    "net.ipv4.ip_local_port_range": "10240 65001",
    "net.ipv4.tcp_slow_start_after_idle": 0,
    "net.ipv4.tcp_notsent_lowat": 131072,
    "net.core.somaxconn": 8192,
}
EXPECTED = {
    "net.ipv4.tcp_fin_timeout": "30",
    "net.ipv4.tcp_tw_reuse": "1",
    "net.ipv4.tcp_keepalive_time": "600",
    "net.ipv4.tcp_keepalive_intvl": "30",
    "net.ipv4.tcp_keepalive_probes": "5",
    "net.ipv4.tcp_syn_retries": "4",
    "net.ipv4.tcp_synack_retries": "3",
    "net.ipv4.tcp_max_syn_backlog": "4096",
    "net.ipv4.tcp_max_tw_buckets": "262144",
    "net.ipv4.tcp_rmem": "4096 131072 16777216",
    "net.ipv4.tcp_wmem": "4096 65536 16777216",
    "net.ipv4.ip_local_port_range": "10240 65001",
    "net.ipv4.tcp_slow_start_after_idle": "0",
    "net.ipv4.tcp_notsent_lowat": "131072",
    "net.core.somaxconn": "8192",
}

PLAY = """
- name: Apply the sysctl profile
  hosts: "{{ target | default('fleet') }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: "%s"
        settings: "{{ profile | default(omit) }}"
        state: "{{ profile_state | default('present') }}"
""" % NAME


def live(fleet, host, keys):
    return dict((key, fleet.sysctl(host, key)) for key in keys)


def executions(run, host):
    return len([r for r in run.all_results if r["host"] == host and r["action"] == ACTION])


def comparable(result):
    """What a check run must predict of a real run."""
    return dict((field, result.get(field)) for field in ("changed", "file", "file_changed", "keys", "diff",
                                                         "shadowed", "removed_files"))


def four_runs(fleet, extra_vars, hosts):
    """check, real, idempotent check, idempotent; returns the four runs after asserting the pattern."""
    check = fleet.playbook(PLAY, extra_vars=extra_vars, check=True, diff=True)
    assert check.rc == 0, check
    before_real = dict((host, fleet.snapshot(host)) for host in hosts)
    for host in hosts:
        assert before_real[host]["sysctl"] == fleet.snapshot(host)["sysctl"]
    real = fleet.playbook(PLAY, extra_vars=extra_vars, diff=True)
    assert real.rc == 0, real
    predicted = check.results("profile")
    done = real.results("profile")
    for host in hosts:
        assert executions(check, host) == 1 and executions(real, host) == 1
        assert comparable(predicted[host]) == comparable(done[host]), host
    again_check = fleet.playbook(PLAY, extra_vars=extra_vars, check=True)
    assert again_check.rc == 0, again_check
    settled = dict((host, fleet.snapshot(host)) for host in hosts)
    again = fleet.playbook(PLAY, extra_vars=extra_vars)
    assert again.rc == 0, again
    for host in hosts:
        assert again_check.results("profile")[host]["changed"] is False, host
        assert again.results("profile")[host]["changed"] is False, host
        assert fleet.snapshot(host) == settled[host], host
    return check, real, again_check, again


@pytest.fixture
def clean_fleet(fleet):
    fleet.reset()
    yield fleet
    fleet.reset()


def test_profile_four_runs_reboot_and_absent(clean_fleet):
    fleet = clean_fleet
    hosts = fleet.hosts
    pristine = dict((host, fleet.snapshot(host)) for host in hosts)
    originals = dict((host, live(fleet, host, PROFILE)) for host in hosts)

    check, real, _again_check, _again = four_runs(fleet, {"profile": PROFILE}, hosts)
    done = real.results("profile")
    for host in hosts:
        assert done[host]["changed"] is True
        assert live(fleet, host, PROFILE) == EXPECTED, host
        text = fleet.read_file(host, DROPIN)
        assert text.startswith("# Managed by netfleet.tcp sysctl_profile, profile web\n"), text
        assert "Do not edit" in text
        for key, value in EXPECTED.items():
            assert "%s = %s\n" % (key, value) in text, (host, key)
            assert done[host]["keys"][key]["after"] == value
            assert done[host]["keys"][key]["persisted"] == value
        record = json.loads(fleet.read_file(host, "/var/lib/netfleet-tcp/sysctl_profile-web.json"))
        for key, value in record["originals"].items():
            assert originals[host][key] == value, (host, key)
        assert set(record["originals"]) == set(
            key for key in PROFILE if done[host]["keys"][key]["status"] == "changed")
        live_diff, file_diff = done[host]["diff"]
        assert "net.ipv4.tcp_fin_timeout = 30" in live_diff["after"]
        assert file_diff["after"] == text

    # The shadowing file on `shadow` is named, and nowhere else.
    for host in hosts:
        shadowed = done[host]["shadowed"]
        if host in fleet.groups["shadowed"]:
            assert [(item["key"], item["value"], item["file"], item["ours"]) for item in shadowed] == [
                ("net.ipv4.tcp_fin_timeout", "45", SHADOW_FILE, "30")], shadowed
            assert "systemd-sysctl" in shadowed[0]["loaders"]
            assert SHADOW_FILE in real.stdout + real.stderr, real
            assert any(SHADOW_FILE in str(w) for w in done[host]["warnings"]), done[host]
        else:
            assert shadowed == [], (host, shadowed)
            assert not any(SHADOW_FILE in str(w) for w in done[host].get("warnings", [])), host

    # A reboot brings the values back, from the drop-in (the later file still wins on `shadow`).
    for host in hosts:
        fleet.reboot(host)
        expected = dict(EXPECTED)
        if host in fleet.groups["shadowed"]:
            expected["net.ipv4.tcp_fin_timeout"] = "45"
        assert live(fleet, host, PROFILE) == expected, host

    # state=absent restores what the first run recorded and removes the drop-in, four runs again.
    for host in hosts:
        fleet.set_sysctl(host, "net.ipv4.tcp_fin_timeout", "30")  # on `shadow` the override won at boot
    check, real, _again_check, _again = four_runs(fleet, {"profile_state": "absent"}, hosts)
    for host in hosts:
        assert real.results("profile")[host]["changed"] is True
        assert real.results("profile")[host]["removed_files"] == [DROPIN]
        after = fleet.snapshot(host)
        assert after["sysctl"] == pristine[host]["sysctl"], host
        assert after["sysctl_d"] == pristine[host]["sysctl_d"], host
        assert set(after["state"]) <= {"sysctl_profile.lock"}, after["state"]
        assert live(fleet, host, PROFILE) == originals[host]


def test_kernel_refusal_halfway_rolls_back_key_by_key(clean_fleet):
    fleet = clean_fleet
    host = "web2" if "web2" in fleet.hosts else fleet.groups["servers"][0]
    # net.ipv4.ip_default_ttl is outside the catalog, so only its existence and format are checked;
    # the kernel takes 1..255 and answers 0 with EINVAL, after seven keys were already written.
    items = list(PROFILE.items())
    settings = dict(items[:7] + [("net.ipv4.ip_default_ttl", 0)] + items[7:])
    before = fleet.snapshot(host)
    keys_before = live(fleet, host, settings)
    run = fleet.playbook(PLAY, extra_vars={"profile": settings, "target": host})
    assert run.rc != 0, run
    result = run.results("profile")[host]
    assert result["failed"] is True
    assert "the kernel refused net.ipv4.ip_default_ttl = 0 (Invalid argument)" in result["msg"], result["msg"]
    assert result["failed_key"] == "net.ipv4.ip_default_ttl"
    changed_first = [key for key, _value in items[:7] if keys_before[key] != EXPECTED[key]]
    assert result["applied"] == changed_first and len(changed_first) >= 5, result
    assert result["restored"] == changed_first and result["unrestored"] == []
    assert result["changed"] is False
    assert result["keys"]["net.ipv4.ip_default_ttl"]["status"] == "refused"
    for key in settings:  # key by key, read inside the host
        assert fleet.sysctl(host, key) == keys_before[key], key
    after = fleet.snapshot(host)
    assert after["sysctl"] == before["sysctl"]
    assert after["sysctl_d"] == before["sysctl_d"]
    assert set(after["state"]) - set(before["state"]) <= {"sysctl_profile.lock"}
    # Without the bad key the same profile converges.
    run = fleet.playbook(PLAY, extra_vars={"profile": PROFILE, "target": host})
    assert run.rc == 0, run
    assert live(fleet, host, PROFILE) == EXPECTED


def test_hostile_profile_changes_nothing_on_any_host(clean_fleet):
    fleet = clean_fleet
    hosts = fleet.hosts
    before = dict((host, fleet.snapshot(host)) for host in hosts)
    settings = dict(PROFILE)
    settings.update({
        "net.ipv4.tcp_timestamps": "yes",
        "../../proc/sys/kernel/core_pattern": "|/bin/false",
        "net.ipv4.tcp_fin_timeout": "30\nkernel.core_pattern = |/bin/false",
    })
    run = fleet.playbook(PLAY, extra_vars={"profile": settings})
    assert run.rc != 0
    for host, result in run.results("profile").items():
        assert result["failed"] is True and result["changed"] is False
        for key in ("net.ipv4.tcp_timestamps", "../../proc/sys/kernel/core_pattern", "net.ipv4.tcp_fin_timeout"):
            assert key in result["msg"], (host, key)
    for host in hosts:
        assert fleet.snapshot(host) == before[host], host


def test_two_runs_at_once_never_interleave(clean_fleet):
    import threading

    fleet = clean_fleet
    host = fleet.groups["servers"][0]
    profiles = {
        "a": dict((key, value) for key, value in EXPECTED.items()),
        "b": dict(EXPECTED, **{"net.ipv4.tcp_fin_timeout": "20", "net.ipv4.tcp_keepalive_time": "300",
                               "net.ipv4.tcp_syn_retries": "5", "net.core.somaxconn": "2048"}),
    }
    runs = {}
    pristine = live(fleet, host, EXPECTED)

    def apply(label):
        runs[label] = fleet.playbook(PLAY, extra_vars={"profile": profiles[label], "target": host})

    threads = [threading.Thread(target=apply, args=(label,)) for label in profiles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for label, run in runs.items():
        assert run.rc == 0, run
    values = live(fleet, host, EXPECTED)
    assert values in (profiles["a"], profiles["b"]), values
    # Each run saw the host either untouched or with the other profile complete, never half of it.
    for label, run in runs.items():
        other = profiles["b" if label == "a" else "a"]
        seen = dict((key, entry["before"]) for key, entry in run.results("profile")[host]["keys"].items())
        assert seen in (pristine, other), (label, seen)
    winner = "a" if values == profiles["a"] else "b"
    text = fleet.read_file(host, DROPIN)
    for key, value in profiles[winner].items():
        assert "%s = %s\n" % (key, value) in text, (key, text)


def test_tw_recycle_guards_on_a_kernel_without_the_key(clean_fleet):
    fleet = clean_fleet
    host = fleet.groups["servers"][0]
    gateway = fleet.groups["nat_gateways"][0]
    assert fleet.sysctl(host, "net.ipv4.tcp_tw_recycle") is None  # removed in Linux 4.12
    settings = {"net.ipv4.tcp_tw_recycle": 0, "net.ipv4.tcp_fin_timeout": 30}
    run = fleet.playbook(PLAY, extra_vars={"profile": settings, "target": host})
    assert run.rc == 0, run
    result = run.results("profile")[host]
    assert result["keys"]["net.ipv4.tcp_tw_recycle"]["status"] == "skipped-missing"
    assert "tcp_tw_recycle" not in fleet.read_file(host, DROPIN)
    before = dict((name, fleet.snapshot(name)) for name in (host, gateway))
    run = fleet.playbook(PLAY, extra_vars={"profile": {"net.ipv4.tcp_tw_recycle": 1, "net.ipv4.tcp_fin_timeout": 20},
                                           "target": "%s,%s" % (host, gateway)})
    assert run.rc != 0
    for name, result in run.results("profile").items():
        assert result["failed"] is True
        assert result["keys"]["net.ipv4.tcp_tw_recycle"]["status"] == "refused"
        assert fleet.snapshot(name) == before[name], name
    assert "NAT" in run.results("profile")[gateway]["keys"]["net.ipv4.tcp_tw_recycle"]["reason"]
