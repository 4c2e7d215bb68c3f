"""sysctl_profile and the tuning role on the fleet, as an attacker or an unlucky operator uses them.

Scope: every fleet host is a child network namespace of this machine, where /proc/sys is writable: a
kernel.*, vm.*, fs.* or initial-namespace net.* key written there changes the whole machine. The
settings below use the machine's own current values, so even a run that wrongly wrote them would
leave the machine as it was; the machine's kernel.*, vm.* and fs.* values are compared before and
after anyway, and each host's net.* values, sysctl.d and state dir must not change either.
"""

import pytest
from harness import machine_sysctls

pytestmark = pytest.mark.integration

ACTION = "netfleet.tcp.sysctl_profile"
MACHINE_KEYS = ("kernel.panic", "kernel.core_pattern", "vm.swappiness", "fs.protected_symlinks")
INIT_NET_KEYS = ("net.ipv4.tcp_mem", "net.core.rmem_max", "net.core.netdev_max_backlog",
                 "net.ipv4.tcp_max_orphans")

PLAY = """
- name: Apply a profile with keys beyond the network namespace
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: scope
        settings: "{{ profile }}"
        allow_machine_wide: "{{ allowed | default([]) }}"
        fail_on: "{{ gate | default('error') }}"
"""


def machine_value(key):
    with open("/proc/sys/" + key.replace(".", "/")) as handle:
        return " ".join(handle.read().split())


@pytest.fixture
def clean_fleet(fleet):
    fleet.reset()
    yield fleet
    fleet.reset()


@pytest.mark.parametrize("check", [True, False])
def test_machine_wide_and_initial_namespace_keys_are_refused_in_a_namespace(clean_fleet, check):
    fleet = clean_fleet
    host = fleet.hosts[0]
    machine_before = machine_sysctls()
    host_before = fleet.snapshot(host)
    profile = dict((key, machine_value(key)) for key in MACHINE_KEYS + INIT_NET_KEYS)
    profile["net.ipv4.tcp_fin_timeout"] = 33
    run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": profile,
                                           "allowed": list(MACHINE_KEYS)}, check=check)
    assert run.rc != 0, run
    result = run.results("profile")[host]
    assert result["failed"] is True and result["changed"] is False
    for key in MACHINE_KEYS:
        assert key in result["msg"], key
        assert result["keys"][key]["status"] == "refused", key
        assert "child network namespace" in result["keys"][key]["reason"], key
    for key in INIT_NET_KEYS:
        assert key in result["msg"], key
        assert "initial network namespace" in result["keys"][key]["reason"], key
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["status"] != "changed"
    assert fleet.sysctl(host, "net.ipv4.tcp_fin_timeout") == host_before["sysctl"]["net.ipv4.tcp_fin_timeout"]
    assert fleet.snapshot(host) == host_before
    assert machine_sysctls() == machine_before


def test_tuning_role_overrides_cannot_reach_the_machine(clean_fleet):
    fleet = clean_fleet
    host = fleet.hosts[0]
    machine_before = machine_sysctls()
    before = fleet.snapshot(host)
    overrides = {"kernel.panic": machine_value("kernel.panic"), "vm.swappiness": machine_value("vm.swappiness")}
    run = fleet.playbook("playbooks/tune.yml", limit=host, extra_vars={
        "tuning_hosts": "fleet", "tuning_profile": "web_frontend", "tuning_host_overrides": overrides})
    assert run.rc != 0, run
    text = run.stdout + run.stderr
    for key in overrides:
        assert key in text, key
    assert "child network namespace" in text
    assert not [r for r in run.all_results if r["action"] == ACTION and r["result"].get("changed")]
    assert fleet.snapshot(host) == before
    assert machine_sysctls() == machine_before


@pytest.mark.parametrize("check", [True, False])
def test_the_module_refuses_what_its_rules_call_errors(clean_fleet, check):
    fleet = clean_fleet
    host = fleet.hosts[0]
    before = fleet.snapshot(host)
    profile = {"net.ipv4.ip_local_port_range": "40000 40000", "net.ipv4.tcp_rmem": "8192 4096 1000",
               "net.ipv4.tcp_fin_timeout": 33}
    run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": profile}, check=check)
    assert run.rc != 0, run
    result = run.results("profile")[host]
    assert result["failed"] is True and result["changed"] is False
    for key, rule in (("net.ipv4.ip_local_port_range", "port-range-order"), ("net.ipv4.tcp_rmem", "triple-order")):
        assert key in result["msg"] and rule in result["msg"], key
        assert result["keys"][key]["status"] == "refused", key
    assert "2 problems" in result["msg"]
    assert fleet.snapshot(host) == before
