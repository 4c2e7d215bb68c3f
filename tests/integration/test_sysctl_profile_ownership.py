"""Two profiles on one host never fight over a key: one owner per key, moved only by take_over.

Apply A (fin_timeout 20, keepalive_time 600), then B (fin_timeout 30, keepalive_intvl 40). B is
refused unless it takes fin_timeout over; once it does, removing A then B, or B then A, leaves
each key as the remaining profile wants it and finally at its original value, and a reboot of
the fleet host (which re-applies its sysctl.d files as a boot does) gives the same values as live
at every step. Every check-mode run predicts exactly what the real run then does. Only keys of
the host's own network namespace are set; the machine's kernel.*, vm.* and fs.* are compared.
"""

import pytest
from harness import machine_sysctls

pytestmark = pytest.mark.integration

FIN = "net.ipv4.tcp_fin_timeout"
TIME = "net.ipv4.tcp_keepalive_time"
INTVL = "net.ipv4.tcp_keepalive_intvl"
KEYS = (FIN, TIME, INTVL)
A = {FIN: 20, TIME: 600}
B = {FIN: 30, INTVL: 40}

PLAY = """
- name: One profile
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: "{{ (name_for | default({}))[inventory_hostname] | default(profile_name) }}"
        settings: "{{ profile | default(omit) }}"
        state: "{{ profile_state | default('present') }}"
        take_over: "{{ take | default([]) }}"
"""
ORDERS = {"a": "b", "b": "a"}  # first removed -> second removed


def dropin(name):
    return "/etc/sysctl.d/99-zz-netfleet-tcp-%s.conf" % name


def values(fleet, host):
    return dict((key, fleet.sysctl(host, key)) for key in KEYS)


def both(fleet, hosts, ok=True, **extra):
    """Run check mode, then for real, on every host; assert they agree and return the real results."""
    extra["target"] = ",".join(hosts)
    check = fleet.playbook(PLAY, extra_vars=extra, check=True)
    real = fleet.playbook(PLAY, extra_vars=extra)
    assert (check.rc == 0) is ok and (real.rc == 0) is ok, (check, real)
    results = {}
    for host in hosts:
        predicted, result = check.results("profile")[host], real.results("profile")[host]
        for field in ("changed", "keys", "file_changed", "taken_over", "removed_files"):
            assert predicted.get(field) == result.get(field), (host, field, predicted.get(field), result.get(field))
        results[host] = result
    return results


def assert_boot_gives_live(fleet, hosts):
    for host in hosts:
        live = values(fleet, host)
        fleet.reboot(host)
        assert values(fleet, host) == live, host


@pytest.fixture
def hosts(fleet):
    """Two plain servers: the first removes A first, the second removes B first."""
    names = [fleet.hosts[0], fleet.hosts[3]]
    fleet.reset(names)
    yield names
    fleet.reset(names)


def test_one_owner_per_key_and_removal_in_either_order(fleet, hosts):
    machine_before = machine_sysctls()
    first = dict(zip(hosts, ORDERS))
    original = dict((host, values(fleet, host)) for host in hosts)
    for host in hosts:
        assert original[host][FIN] not in ("20", "30") and original[host][TIME] != "600"
        assert original[host][INTVL] != "40"

    both(fleet, hosts, profile_name="a", profile=A)
    for host in hosts:
        assert values(fleet, host) == {FIN: "20", TIME: "600", INTVL: original[host][INTVL]}

    # B without take_over: refused before anything changes, naming the key and its owner.
    before = dict((host, fleet.snapshot(host)) for host in hosts)
    for host, result in both(fleet, hosts, ok=False, profile_name="b", profile=B).items():
        assert FIN in result["msg"] and "profile 'a'" in result["msg"] and "take_over" in result["msg"]
        assert result["keys"][FIN]["status"] == "refused" and result["changed"] is False
        assert fleet.snapshot(host) == before[host]

    # B takes fin_timeout over: A's drop-in loses it, B's sets it; one file per key.
    for host, result in both(fleet, hosts, profile_name="b", profile=B, take=[FIN]).items():
        assert result["taken_over"] == [{"key": FIN, "from": "a", "file": dropin("a")}]
        assert values(fleet, host) == {FIN: "30", TIME: "600", INTVL: "40"}
        assert FIN not in fleet.read_file(host, dropin("a"))
        assert "%s = 30" % FIN in fleet.read_file(host, dropin("b"))
    assert_boot_gives_live(fleet, hosts)
    # A applied again as it was: refused, fin_timeout is B's now (no silent fight back).
    for result in both(fleet, hosts, ok=False, profile_name="a", profile=A).values():
        assert "profile 'b'" in result["msg"]

    both(fleet, hosts, name_for=first, profile_state="absent")
    for host in hosts:
        if first[host] == "a":
            expected = {FIN: "30", TIME: original[host][TIME], INTVL: "40"}
        else:
            expected = {FIN: original[host][FIN], TIME: "600", INTVL: original[host][INTVL]}
        assert values(fleet, host) == expected, (host, first[host])
        assert fleet.read_file(host, dropin(first[host])) is None
    assert_boot_gives_live(fleet, hosts)

    both(fleet, hosts, name_for=dict((host, ORDERS[first[host]]) for host in hosts), profile_state="absent")
    for host in hosts:
        assert values(fleet, host) == original[host], (host, first[host])
        assert fleet.read_file(host, dropin(ORDERS[first[host]])) is None
    assert_boot_gives_live(fleet, hosts)
    for host in hosts:
        assert values(fleet, host) == original[host]
        assert [name for name in fleet.snapshot(host)["state"] if name.endswith(".json")] == []
    assert machine_sysctls() == machine_before


ROLE_PLAY = """
- name: The tuning role
  hosts: "{{ target }}"
  gather_facts: false
  roles:
    - role: netfleet.tcp.tcp_tuning
"""
SHOWN = "Show the outcome on this host, failing it when refused or not as wanted"


def test_the_tuning_role_takes_a_key_over_only_when_told(fleet):
    """The role's profile meets a key profile A owns: refused, then taken over with
    tcp_tuning_take_over; removing the role's tuning, then A, brings every original back."""
    host = fleet.hosts[0]
    fleet.reset([host])
    try:
        machine_before = machine_sysctls()
        original = values(fleet, host)
        both(fleet, [host], profile_name="a", profile=A)
        tune = {"target": host, "tcp_tuning_profile": "none", "tcp_tuning_host_overrides": {FIN: 30},
                "tcp_tuning_nat_facing": "false"}
        before = fleet.snapshot(host)
        refused = fleet.playbook(ROLE_PLAY, extra_vars=tune)
        assert refused.rc != 0
        message = str(refused.results(SHOWN)[host].get("msg"))
        assert FIN in message and "'a'" in message and "take_over" in message, message
        assert fleet.snapshot(host) == before

        taken = fleet.playbook(ROLE_PLAY, extra_vars=dict(tune, tcp_tuning_take_over=[FIN]))
        assert taken.rc == 0, taken.stdout[-4000:]
        assert values(fleet, host) == {FIN: "30", TIME: "600", INTVL: original[INTVL]}
        assert FIN not in fleet.read_file(host, dropin("a"))
        assert "%s = 30" % FIN in fleet.read_file(host, dropin("tuning"))

        removed = fleet.playbook(ROLE_PLAY, extra_vars=dict(tune, tcp_tuning_state="absent"))
        assert removed.rc == 0, removed.stdout[-4000:]
        assert values(fleet, host) == {FIN: original[FIN], TIME: "600", INTVL: original[INTVL]}
        both(fleet, [host], profile_name="a", profile_state="absent")
        assert values(fleet, host) == original
        assert machine_sysctls() == machine_before
    finally:
        fleet.reset([host])
