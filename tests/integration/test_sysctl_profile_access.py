"""Read-only, write-only and rounded keys, over SSH on the fleet, with check mode predicting each run.

Read-only keys of a child network namespace (tcp_available_congestion_control, tcp_ehash_entries:
no write bit on their /proc/sys file) are assertions when they match, never written nor persisted,
and refuse the profile otherwise; a write-only key (route.flush) is refused. The neighbour timers
the kernel keeps in jiffies round what is written (with HZ=250, retrans_time_ms 1003 reads 1004,
anycast_delay 1 reads 0): the run counts that as applied, says so in check mode too, and the next
run reports no change. Every key is one of the host's own network namespace; the machine's
kernel.*, vm.* and fs.* values are compared before and after.
"""

import pytest
from harness import machine_sysctls

pytestmark = pytest.mark.integration

FIN = "net.ipv4.tcp_fin_timeout"
AVAILABLE = "net.ipv4.tcp_available_congestion_control"
EHASH = "net.ipv4.tcp_ehash_entries"
FLUSH = "net.ipv4.route.flush"
RETRANS = "net.ipv4.neigh.eth0.retrans_time_ms"
ANYCAST = "net.ipv4.neigh.eth0.anycast_delay"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-access.conf"

PLAY = """
- name: A profile with keys that are not plain settings
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: access
        settings: "{{ profile | default(omit) }}"
        state: "{{ profile_state | default('present') }}"
"""


@pytest.fixture
def host(fleet):
    name = fleet.hosts[0]
    fleet.reset([name])
    yield name
    fleet.reset([name])


def both(fleet, host, ok=True, **extra):
    extra["target"] = host
    check = fleet.playbook(PLAY, extra_vars=extra, check=True)
    real = fleet.playbook(PLAY, extra_vars=extra)
    assert (check.rc == 0) is ok and (real.rc == 0) is ok, (check, real)
    predicted, result = check.results("profile")[host], real.results("profile")[host]
    for field in ("changed", "keys", "file_changed", "msg"):
        assert predicted.get(field) == result.get(field), (field, predicted.get(field), result.get(field))
    return result


def test_read_only_keys_are_assertions_and_rounded_keys_converge(fleet, host):
    machine_before = machine_sysctls()
    original = dict((key, fleet.sysctl(host, key)) for key in (FIN, RETRANS, ANYCAST))
    asserted = {AVAILABLE: fleet.sysctl(host, AVAILABLE), EHASH: fleet.sysctl(host, EHASH)}
    assert None not in asserted.values() and None not in original.values()
    assert "w" not in fleet.sh(host, "stat -c %A /proc/sys/net/ipv4/tcp_ehash_entries").stdout
    profile = dict(asserted, **{FIN: 33, RETRANS: 1003, ANYCAST: 1})

    result = both(fleet, host, profile=profile)
    for key, value in asserted.items():
        entry = result["keys"][key]
        assert entry["status"] == "unchanged" and entry["persisted"] is None, entry
        assert "read-only" in entry["reason"] and "asserted" in entry["reason"]
        assert fleet.sysctl(host, key) == value
    text = fleet.read_file(host, DROPIN)
    assert AVAILABLE not in text and EHASH not in text
    # What the kernel kept is what the run (and check mode before it) said it would keep.
    for key in (RETRANS, ANYCAST):
        assert result["keys"][key]["after"] == fleet.sysctl(host, key), key
    if fleet.sysctl(host, RETRANS) == "1003":
        pytest.skip("this kernel's tick (HZ=1000) does not round 1003 ms")
    assert fleet.sysctl(host, RETRANS) != "1003" and "1003" in text

    again = both(fleet, host, profile=profile)
    assert again["changed"] is False and again["file_changed"] is False
    assert all(entry["status"] == "unchanged" for entry in again["keys"].values()), again["keys"]

    # The drop-in gives the same values at boot.
    live = dict((key, fleet.sysctl(host, key)) for key in (FIN, RETRANS, ANYCAST))
    fleet.reboot(host)
    assert dict((key, fleet.sysctl(host, key)) for key in (FIN, RETRANS, ANYCAST)) == live

    gone = both(fleet, host, profile_state="absent")
    assert gone["changed"] is True
    assert dict((key, fleet.sysctl(host, key)) for key in (FIN, RETRANS, ANYCAST)) == original
    assert machine_sysctls() == machine_before


def test_a_read_only_key_with_another_value_and_a_write_only_key_are_refused(fleet, host):
    before = fleet.snapshot(host)
    profile = {EHASH: 1024, FLUSH: 1, FIN: 33}
    result = both(fleet, host, ok=False, profile=profile)
    assert "2 problems" in result["msg"], result["msg"]
    assert "%s: is read-only here" % EHASH in result["msg"]
    assert "%s: is write-only here" % FLUSH in result["msg"]
    assert result["keys"][EHASH]["status"] == "refused" and result["keys"][FLUSH]["status"] == "refused"
    assert result["changed"] is False
    assert fleet.snapshot(host) == before
