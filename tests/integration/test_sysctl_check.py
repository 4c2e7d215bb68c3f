"""sysctl_check on the test fleet: NAT evidence, the shadowing file, a clean host, a pasted blog list.

Every run is followed by a snapshot of each host's net.* values, sysctl.d files and state dir,
compared with one taken before: the module must never change anything, in check mode or not.
Run with NETFLEET_FLEET_ID=3 (the check fleet).
"""

import pytest

pytestmark = pytest.mark.integration

SHADOW_FILE = "/etc/sysctl.d/99-zzz-local-override.conf"

PLAY = """
- name: Judge sysctl values
  hosts: "{{ target | default('fleet') }}"
  gather_facts: false
  tasks:
    - name: check
      netfleet.tcp.sysctl_check:
        settings: "{{ wanted | default(omit) }}"
        fail_on: "{{ fail_on | default('never') }}"
"""

# A list as tuning guides print it (the seeds copy it): wrong for almost every reason there is.
BLOG = {
    "net.ipv4.tcp_syncookies": 1,
    "net.ipv4.tcp_tw_reuse": 1,
    "net.ipv4.tcp_tw_recycle": 1,
    "net.ipv4.tcp_timestamps": 0,
    "net.ipv4.tcp_fin_timeout": 2,
    "net.ipv4.tcp_max_tw_buckets": 0,
    "net.ipv4.tcp_max_syn_backlog": 40240,
    "net.core.somaxconn": 4096,
    "net.ipv4.tcp_keepalive_time": 1200,
    "net.ipv4.ip_local_port_range": "1024 65000",
    "net.ipv4.tcp_mem": "94500000 915000000 927000000",
    "net.ipv4.tcp_max_orphans": 3276800,
    "net.ipv4.tcp_syn_retries": 2,
    "net.ipv4.tcp_synack_retries": 2,
    "net.ipv4.tcp_rmem": "87380 4096 16777216",
    "net.ipv4.tcp_sack": "on",
    "net.ipv4.tcp_window_scaling": '"1"',
}


def snapshots(fleet):
    return dict((host, fleet.snapshot(host)) for host in fleet.hosts)


def check(fleet, check_mode=False, **extra_vars):
    before = snapshots(fleet)
    run = fleet.playbook(PLAY, extra_vars=extra_vars or None, check=check_mode)
    assert snapshots(fleet) == before, "sysctl_check changed something on a host"
    assert run.rc == 0, run
    results = run.results("check")
    assert set(results) == set(fleet.hosts if extra_vars.get("target") is None else [extra_vars["target"]])
    for host, result in results.items():
        assert result.get("changed") is False, (host, result)
    return results


def ids(result):
    return sorted(set(item["id"] for item in result["findings"]))


@pytest.fixture(scope="module")
def clean_fleet(fleet):
    fleet.reset()
    yield fleet


def test_live_check_over_the_whole_fleet(clean_fleet):
    fleet = clean_fleet
    results = check(fleet)
    natgw = results["natgw"]["context"]
    assert natgw["nat_facing"] is True and natgw["nat_mode"] == "gateway"
    assert "net.ipv4.ip_forward=1" in natgw["nat_evidence"]
    assert any(item.startswith("masquerade rule in table ip nat chain") for item in natgw["nat_evidence"]), natgw
    shadow = results["shadow"]["keys"]["net.ipv4.tcp_fin_timeout"]
    assert shadow["persisted"] == "45" and shadow["persisted_file"] == SHADOW_FILE
    assert shadow["live"] == fleet.sysctl("shadow", "net.ipv4.tcp_fin_timeout")
    for host, result in results.items():
        assert result["context"]["initial_netns"] is False
        assert result["context"]["kernel"] and result["summary"]["keys_checked"] > 20
        # tcp_mem and friends exist only in the initial namespace: not judged, never "missing"
        assert "net.ipv4.tcp_mem" not in result["keys"]


def test_check_mode_reports_the_same(clean_fleet):
    real = check(clean_fleet)
    checked = check(clean_fleet, check_mode=True)
    for host in clean_fleet.hosts:
        assert checked[host]["findings"] == real[host]["findings"]
        assert checked[host]["keys"] == real[host]["keys"]


def test_shadowing_file_is_named_for_a_desired_value(clean_fleet):
    results = check(clean_fleet, wanted={"net.ipv4.tcp_fin_timeout": 30})
    shadowing = [item for item in results["shadow"]["findings"] if item["id"] == "persisted-shadows-desired"]
    assert len(shadowing) == 1 and SHADOW_FILE in shadowing[0]["message"], results["shadow"]["findings"]
    for host in clean_fleet.hosts:
        if host != "shadow":
            assert "persisted-shadows-desired" not in ids(results[host]), (host, results[host]["findings"])


def test_clean_host_with_a_clean_settings_set_finds_nothing(clean_fleet):
    fleet = clean_fleet
    wanted = {
        "net.ipv4.tcp_fin_timeout": fleet.sysctl("web1", "net.ipv4.tcp_fin_timeout"),
        "net.ipv4.tcp_rmem": fleet.sysctl("web1", "net.ipv4.tcp_rmem").replace(" ", "\t"),
        "net.ipv4.tcp_tw_reuse": int(fleet.sysctl("web1", "net.ipv4.tcp_tw_reuse")),
        "net.core.somaxconn": ">=128",
    }
    results = check(fleet, wanted=wanted, target="web1", fail_on="warning")
    web1 = results["web1"]
    assert web1["findings"] == [], web1["findings"]
    assert web1["summary"]["errors"] == web1["summary"]["warnings"] == web1["summary"]["infos"] == 0


def test_blog_list_gets_every_problem_in_one_run(clean_fleet):
    results = check(clean_fleet, wanted=BLOG)
    expected = {
        "tw-recycle-removed", "tw-reuse-no-timestamps", "key-missing", "triple-order", "port-range-parity",
        "fin-timeout-low", "retries-low", "syn-backlog-above-somaxconn", "value-boolean", "value-quoted",
    }
    for host, result in results.items():
        found = ids(result)
        # tcp_max_tw_buckets=0 is below any TIME_WAIT count but zero
        wanted = expected | ({"tw-buckets-below-current"} if result["context"]["time_wait"] else set())
        assert wanted <= set(found), (host, sorted(wanted - set(found)))
        # drift is returned apart from the judgement of the list
        assert "live-differs-desired" in set(item["id"] for item in result["drift"]), (host, result["drift"])
        assert "live-differs-desired" not in found
        for item in result["findings"]:
            assert item["message"] and item["remediation"], item
        missing = [item for item in result["findings"] if item["id"] == "key-missing"]
        assert set(item["key"] for item in missing) == {"net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans"}
        assert all("initial network namespace" in item["message"] for item in missing)
        assert result["summary"]["errors"] > 0
    assert "tw-recycle-nat" in ids(results["natgw"])
    assert "persisted-shadows-desired" in ids(results["shadow"])


def test_fail_on_error_fails_the_task_with_the_full_result(clean_fleet):
    fleet = clean_fleet
    before = snapshots(fleet)
    run = fleet.playbook(PLAY, extra_vars={"wanted": {"net.ipv4.tcp_sack": "yes"}, "fail_on": "error",
                                           "target": "web1"})
    assert snapshots(fleet) == before
    assert run.rc != 0 and run.stats["web1"]["failed"] == 1, run
    result = run.results("check")["web1"]
    assert "fail_on=error" in result["msg"] and ids(result) == ["value-boolean"]


# Advice the host decides: routing where nothing routes, a short retransmission life, a reset on
# every full accept queue, a port range below the first unprivileged port, a counter, a trigger.
HOST_AWARE = {
    "net.ipv4.ip_forward": 1,
    "net.ipv4.tcp_retries2": 5,
    "net.ipv4.tcp_abort_on_overflow": 1,
    "net.ipv4.ip_local_port_range": "500 65001",
    "fs.file-nr": "0 0 0",
    "net.ipv4.route.flush": 1,
}


def test_host_aware_checks_read_the_host_and_write_nothing(clean_fleet):
    results = check(clean_fleet, wanted=HOST_AWARE)
    for host, result in results.items():
        by_id = dict(((item["id"], item["key"]), item) for item in result["findings"])
        assert ("retries2-low", "net.ipv4.tcp_retries2") in by_id, (host, sorted(by_id))
        assert "12.6 s" in by_id[("retries2-low", "net.ipv4.tcp_retries2")]["message"]
        assert ("abort-on-overflow", "net.ipv4.tcp_abort_on_overflow") in by_id
        # the kernel refuses a range below ip_unprivileged_port_start (1024 on these hosts)
        privileged = by_id[("port-range-privileged", "net.ipv4.ip_local_port_range")]
        assert privileged["severity"] == "error" and "ip_unprivileged_port_start is 1024" in privileged["message"]
        assert by_id[("key-read-only", "fs.file-nr")]["severity"] == "error"
        assert by_id[("key-write-only", "net.ipv4.route.flush")]["severity"] == "info"
        assert ("key-missing", "net.ipv4.route.flush") not in by_id
        interfaces = [name for name in result["context"]["interfaces"] if name != "lo"]
        forward = by_id.get(("ip-forward-not-router", "net.ipv4.ip_forward"))
        if result["keys"]["net.ipv4.ip_forward"]["live"] == "1":
            assert forward is None, (host, forward)            # the NAT gateway already routes
        else:
            assert forward is not None, (host, interfaces)
            assert forward["severity"] == ("warning" if len(interfaces) <= 1 else "info"), (host, interfaces)
    assert results["natgw"]["keys"]["net.ipv4.ip_forward"]["live"] == "1"


def test_ip_forward_in_a_nat_list_and_machine_wide_conntrack(clean_fleet):
    # A list that also sizes connection tracking is for a host that routes: no ip_forward finding.
    # nf_conntrack_max is machine-wide (0444 in these network namespaces, where conntrack is loaded):
    # key-machine-wide's finding, never key-read-only.
    results = check(clean_fleet, wanted={"net.ipv4.ip_forward": 1, "net.netfilter.nf_conntrack_max": 1000000},
                    target="web1")
    found = set((item["id"], item["key"]) for item in results["web1"]["findings"])
    assert ("ip-forward-not-router", "net.ipv4.ip_forward") not in found, found
    assert ("key-read-only", "net.netfilter.nf_conntrack_max") not in found, found
