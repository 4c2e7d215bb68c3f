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
        "tcp_tuning_hosts": "fleet", "tcp_tuning_profile": "web_frontend", "tcp_tuning_host_overrides": overrides})
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


STATE_PLAY = """
- name: A profile with its record in a given state dir
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: stack
        settings: "{{ profile | default(omit) }}"
        state: "{{ profile_state | default('present') }}"
        state_dir: "{{ state_dir | default('/var/lib/netfleet-tcp') }}"
        path: "{{ dropin | default(omit) }}"
"""
CHECK_PLAY = """
- name: Judge the host
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: check
      netfleet.tcp.sysctl_check:
        settings: {net.ipv4.tcp_fin_timeout: 33}
        fail_on: never
"""
FIN = "net.ipv4.tcp_fin_timeout"
RESERVED = "net.ipv4.ip_local_reserved_ports"


def stack(fleet, host, check=False, **extra):
    extra["target"] = host
    return fleet.playbook(STATE_PLAY, extra_vars=extra, check=check)


def test_a_record_is_refused_in_another_namespace_sharing_the_state_dir(clean_fleet):
    fleet = clean_fleet
    first, other = fleet.hosts[0], fleet.hosts[-1]
    shared = "/tmp/netfleet-tcp-shared-state-%s" % fleet.id
    fleet.sh(first, "rm -rf %s && mkdir -m 0700 %s" % (shared, shared))
    try:
        assert fleet.sh(other, "test -d %s" % shared, check=False).returncode == 0, "the fleet shares /tmp"
        original = fleet.sysctl(first, FIN)
        run = stack(fleet, first, state_dir=shared, profile={FIN: 33})
        assert run.rc == 0, run
        record = fleet.sh(first, "cat %s/sysctl_profile-stack.json" % shared).stdout
        other_before = fleet.snapshot(other)
        for state, check in (("absent", True), ("absent", False), ("present", True), ("present", False)):
            run = stack(fleet, other, check=check, state_dir=shared, profile_state=state, profile={FIN: 34})
            assert run.rc != 0, (state, check, run)
            message = run.results("profile")[other]["msg"]
            assert "was taken in a child network namespace" in message and fleet.address(first) in message
            assert fleet.address(other) in message, message
            assert fleet.snapshot(other) == other_before
            assert fleet.sh(first, "cat %s/sysctl_profile-stack.json" % shared).stdout == record
        assert fleet.sysctl(first, FIN) == "33"
        # The same namespace after a reboot (a fresh namespace with the same addresses) still restores.
        fleet.reboot(first)
        assert fleet.sysctl(first, FIN) == "33"
        run = stack(fleet, first, state_dir=shared, profile_state="absent")
        assert run.rc == 0, run
        assert fleet.sysctl(first, FIN) == original
        assert fleet.sh(first, "test -e %s/sysctl_profile-stack.json" % shared, check=False).returncode != 0
    finally:
        fleet.sh(first, "rm -rf %s" % shared)


def test_absent_restores_an_empty_original(clean_fleet):
    fleet = clean_fleet
    host = fleet.hosts[0]
    assert fleet.sysctl(host, RESERVED) == ""
    run = stack(fleet, host, profile={RESERVED: "8080,9000-9001", FIN: 33})
    assert run.rc == 0, run
    assert fleet.sysctl(host, RESERVED) == "8080,9000-9001"
    check = stack(fleet, host, check=True, profile_state="absent")
    real = stack(fleet, host, profile_state="absent")
    assert check.rc == 0 and real.rc == 0, real
    assert check.results("profile")[host]["keys"] == real.results("profile")[host]["keys"]
    assert real.results("profile")[host]["keys"][RESERVED]["after"] == ""
    assert fleet.sysctl(host, RESERVED) == ""
    assert "sysctl_profile-stack.json" not in fleet.snapshot(host)["state"]


@pytest.mark.parametrize("check", [True, False])
def test_a_drop_in_that_would_mask_a_distribution_file_is_refused(clean_fleet, check):
    fleet = clean_fleet
    host = fleet.hosts[0]
    if "99-protect-links.conf" not in fleet.sh(host, "ls /usr/lib/sysctl.d").stdout.split():
        pytest.skip("this machine ships no /usr/lib/sysctl.d/99-protect-links.conf")
    before = fleet.snapshot(host)
    run = stack(fleet, host, check=check, profile={FIN: 33}, dropin="/etc/sysctl.d/99-protect-links.conf")
    assert run.rc != 0, run
    assert "it would mask /usr/lib/sysctl.d/99-protect-links.conf" in run.results("profile")[host]["msg"]
    assert fleet.snapshot(host) == before
    run = stack(fleet, host, check=check, profile={FIN: 33}, dropin="/etc/sysctl.d/98-netfleet-own.conf")
    assert run.rc == 0, run
    placement = run.results("profile")[host]["placement"]
    assert placement["before"] == "/usr/lib/sysctl.d/99-protect-links.conf", placement


def test_a_fifo_or_dev_zero_conf_is_a_finding_not_a_hang(clean_fleet):
    fleet = clean_fleet
    host = fleet.hosts[0]
    fleet.sh(host, "mkfifo /etc/sysctl.d/50-fifo.conf && ln -s /dev/zero /etc/sysctl.d/51-zero.conf")
    check = fleet.playbook(CHECK_PLAY, extra_vars={"target": host})
    assert check.rc == 0, check
    found = [f["message"] for f in check.results("check")[host]["findings"]
             if f["id"] == "persisted-unreadable"]
    assert any("/etc/sysctl.d/50-fifo.conf" in message and "FIFO" in message for message in found), found
    assert any("/etc/sysctl.d/51-zero.conf" in message and "device" in message for message in found), found
    run = stack(fleet, host, profile={FIN: 33})
    assert run.rc == 0, run
    assert fleet.sysctl(host, FIN) == "33"
