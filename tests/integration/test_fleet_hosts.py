"""The test fleet's hosts behave like separate Linux hosts reached over SSH."""

import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLEET_SH = os.path.join(REPO, "tests", "fleet", "fleet.sh")

pytestmark = pytest.mark.integration


def _other_value(current_values, start=37):
    """A tcp_fin_timeout no host (nor the machine) has now, so a leak cannot pass unnoticed."""
    value = start
    while str(value) in current_values:
        value += 1
    return str(value)


def test_ansible_reaches_every_host_over_ssh(fleet):
    assert len(fleet.hosts) >= 3, "the acceptance needs at least 3 hosts; NETFLEET_FLEET_SIZE=%s" % len(
        fleet.hosts)
    run = fleet.adhoc("fleet", "ping")
    assert run.rc == 0, run
    assert sorted(run.stats) == sorted(fleet.hosts)
    for host, stats in run.stats.items():
        assert stats["ok"] == 1 and stats["unreachable"] == 0 and stats["failed"] == 0, (host, stats)
    assert {h: r["ping"] for h, r in run.results("ping").items()} == {h: "pong" for h in fleet.hosts}


def test_each_host_has_its_own_hostname(fleet):
    run = fleet.playbook(
        "- hosts: fleet\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Read the hostname\n"
        "      ansible.builtin.command: hostname\n"
        "      changed_when: false\n")
    assert run.rc == 0, run
    assert {h: r["stdout"] for h, r in run.results("Read the hostname").items()} == {
        h: h for h in fleet.hosts}
    for host in fleet.hosts:
        assert fleet.sh(host, "hostname").stdout.strip() == host


def test_inventory_groups(fleet):
    groups = fleet.groups
    assert groups["fleet"] == fleet.hosts
    assert groups["nat_gateways"] == ["natgw"]
    assert groups["shadowed"] == ["shadow"]
    assert "natgw" not in groups["servers"] and {"web1", "shadow"} <= set(groups["servers"])
    for index, host in enumerate(fleet.hosts):
        assert fleet.address(host) == "198.18.%d.%d" % (fleet.id, 11 + index)
    run = fleet.adhoc("fleet", "ansible.builtin.debug", "var=group_names")
    assert run.rc == 0, run
    seen = {h: sorted(r["group_names"]) for h, r in run.results("ansible.builtin.debug").items()}
    assert seen == {h: sorted(g for g in groups if h in groups[g]) for h in fleet.hosts}


def test_sysctl_written_on_one_host_stays_there(fleet):
    key, path = "net.ipv4.tcp_fin_timeout", "/proc/sys/net/ipv4/tcp_fin_timeout"
    with open(path) as handle:
        machine_before = handle.read().strip()
    others = [h for h in fleet.hosts if h != "web1"]
    before = {h: fleet.sysctl(h, key) for h in others}
    value = _other_value(set(before.values()) | {machine_before, fleet.sysctl("web1", key)})
    try:
        run = fleet.playbook(
            "- hosts: web1\n"
            "  gather_facts: false\n"
            "  tasks:\n"
            "    - name: Write the key live\n"
            "      ansible.builtin.shell: echo {{ value }} > /proc/sys/net/ipv4/tcp_fin_timeout\n",
            extra_vars={"value": int(value)})
        assert run.rc == 0, run
        assert run.stats["web1"]["changed"] == 1
        assert fleet.sysctl("web1", key) == value
        assert {h: fleet.sysctl(h, key) for h in others} == before
        with open(path) as handle:
            assert handle.read().strip() == machine_before
    finally:
        fleet.reset(["web1"])
    assert fleet.sysctl("web1", key) != value


def test_files_in_sysctl_d_and_state_dir_are_per_host(fleet):
    probe = "50-fleet-probe.conf"
    try:
        run = fleet.playbook(
            "- hosts: web1\n"
            "  gather_facts: false\n"
            "  tasks:\n"
            "    - name: Persist a key\n"
            "      ansible.builtin.copy:\n"
            "        dest: /etc/sysctl.d/" + probe + "\n"
            "        content: \"net.ipv4.tcp_fin_timeout = 31\\n\"\n"
            "        mode: \"0644\"\n"
            "    - name: Write the state dir\n"
            "      ansible.builtin.copy:\n"
            "        dest: /var/lib/netfleet-tcp/probe.json\n"
            "        content: \"{}\\n\"\n"
            "        mode: \"0644\"\n")
        assert run.rc == 0, run
        assert fleet.read_file("web1", "/etc/sysctl.d/" + probe) == "net.ipv4.tcp_fin_timeout = 31\n"
        assert probe in fleet.list_dir("web1", "/etc/sysctl.d")
        assert fleet.list_dir("web1", "/var/lib/netfleet-tcp") == ["probe.json"]
        for host in fleet.hosts:
            if host != "web1":
                assert probe not in fleet.list_dir(host, "/etc/sysctl.d"), host
                assert fleet.read_file(host, "/etc/sysctl.d/" + probe) is None, host
                assert fleet.list_dir(host, "/var/lib/netfleet-tcp") == [], host
        assert not os.path.exists("/etc/sysctl.d/" + probe), "leaked onto the machine"
        assert not os.path.exists("/var/lib/netfleet-tcp/probe.json"), "leaked onto the machine"
        snap = fleet.snapshot("web1")
        assert snap["sysctl_d"] == {probe: "net.ipv4.tcp_fin_timeout = 31\n"}
        assert snap["state"] == {"probe.json": "{}\n"}
    finally:
        fleet.reset(["web1"])
    assert fleet.list_dir("web1", "/etc/sysctl.d") == []
    assert fleet.list_dir("web1", "/var/lib/netfleet-tcp") == []


def test_shadow_host_has_the_late_override(fleet):
    assert fleet.list_dir("shadow", "/etc/sysctl.d") == ["99-zzz-local-override.conf"]
    assert "net.ipv4.tcp_fin_timeout = 45" in fleet.read_file(
        "shadow", "/etc/sysctl.d/99-zzz-local-override.conf")
    assert fleet.sysctl("shadow", "net.ipv4.tcp_fin_timeout") == "45"
    assert sorted(["99-zz-netfleet-tcp-web.conf", "99-zzz-local-override.conf"])[-1] == (
        "99-zzz-local-override.conf")


def _masquerade_rules(nft_json):
    rules = []
    for item in json.loads(nft_json)["nftables"]:
        rule = item.get("rule")
        if rule and rule["family"] == "ip" and rule["table"] == "nat" and rule["chain"] == "postrouting":
            if any("masquerade" in expr for expr in rule["expr"]):
                rules.append(rule)
    return rules


def test_nat_gateway_masquerades_and_forwards(fleet):
    def check():
        run = fleet.adhoc("natgw", "ansible.builtin.command", "nft -j list ruleset")
        assert run.rc == 0, run
        assert len(_masquerade_rules(run.results("ansible.builtin.command")["natgw"]["stdout"])) == 1
        assert fleet.sysctl("natgw", "net.ipv4.ip_forward") == "1"

    check()
    for host in fleet.hosts:
        if host != "natgw":
            assert _masquerade_rules(fleet.sh(host, "nft -j list ruleset").stdout) == [], host
    fleet.reboot("natgw")
    check()


def test_isolated_host_is_unreachable_while_others_answer(fleet):
    target = fleet.hosts[-1] if fleet.hosts[-1] not in ("web1", "natgw", "shadow") else "web1"
    try:
        fleet.isolate(target)
        run = fleet.adhoc("fleet", "ping")
        assert run.rc != 0, run
        assert run.stats[target]["unreachable"] == 1, run
        for host in fleet.hosts:
            if host != target:
                assert run.stats[host]["ok"] == 1 and run.stats[host]["unreachable"] == 0, run
    finally:
        fleet.restore(target)
    run = fleet.adhoc(target, "ping")
    assert run.rc == 0, run


def test_fleet_sh_exec_and_status(fleet):
    env = dict(os.environ, NETFLEET_FLEET_ID=str(fleet.id))
    status = subprocess.run([FLEET_SH, "status", "--json"], env=env, stdout=subprocess.PIPE,  # pylint: disable=subprocess-run-check
                            universal_newlines=True)
    assert status.returncode == 0
    rows = json.loads(status.stdout)["hosts"]
    assert [r["name"] for r in rows] == fleet.hosts
    assert all(r["ssh"] and r["netns"] and r["sshd_pid"] for r in rows), rows
    hostname = subprocess.run([FLEET_SH, "exec", "shadow", "--", "hostname"], env=env,  # pylint: disable=subprocess-run-check
                              stdout=subprocess.PIPE, universal_newlines=True)
    assert (hostname.returncode, hostname.stdout.strip()) == (0, "shadow")
    listing = subprocess.run([FLEET_SH, "exec", "shadow", "--", "ls", "/etc/sysctl.d"], env=env,  # pylint: disable=subprocess-run-check
                             stdout=subprocess.PIPE, universal_newlines=True)
    assert listing.stdout.split() == ["99-zzz-local-override.conf"]
