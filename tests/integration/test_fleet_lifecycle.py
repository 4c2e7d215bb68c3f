"""Reboot brings back what a host persisted (and nothing machine-wide); down leaves nothing."""

import os
import time

import pytest

from harness import load_fleet_module, machine_sysctls

pytestmark = pytest.mark.integration

# Ids no one's session uses (see the brief's fleet id table); override with NETFLEET_SCRATCH_FLEET_IDS.
SCRATCH_IDS = [int(i) for i in os.environ.get("NETFLEET_SCRATCH_FLEET_IDS", "9,8").split(",") if i]


def test_reboot_reapplies_persisted_net_keys_only(fleet):
    machine_before = machine_sysctls()
    swappiness = machine_before.get("vm.swappiness", "60")
    fresh_keepalive = fleet.sysctl("web2" if "web2" in fleet.hosts else "natgw",
                                   "net.ipv4.tcp_keepalive_time")
    persisted = (
        "net.ipv4.tcp_fin_timeout = 23\n"
        "net.core.somaxconn = 1234\n"
        "net/ipv4/tcp_max_tw_buckets = 7777\n"
        "-net.ipv4.no_such_key = 1\n"
        # Machine-wide keys: a boot of a namespace host must never write them.
        "vm.swappiness = %d\n" % ((int(swappiness) + 7) % 100)
    )
    try:
        run = fleet.playbook(
            "- hosts: web1\n"
            "  gather_facts: false\n"
            "  tasks:\n"
            "    - name: Persist keys\n"
            "      ansible.builtin.copy:\n"
            "        dest: /etc/sysctl.d/60-reboot-probe.conf\n"
            "        content: \"{{ text }}\"\n"
            "        mode: \"0644\"\n",
            extra_vars={"text": persisted})
        assert run.rc == 0, run
        fleet.set_sysctl("web1", "net.ipv4.tcp_keepalive_time", "4321")  # live only: lost on reboot
        assert fleet.sysctl("web1", "net.ipv4.tcp_fin_timeout") != "23"  # persisted, not applied yet

        started = time.monotonic()
        fleet.reboot("web1")
        elapsed = time.monotonic() - started

        assert fleet.sysctl("web1", "net.ipv4.tcp_fin_timeout") == "23"
        assert fleet.sysctl("web1", "net.core.somaxconn") == "1234"
        assert fleet.sysctl("web1", "net.ipv4.tcp_max_tw_buckets") == "7777"
        assert fleet.sysctl("web1", "net.ipv4.tcp_keepalive_time") == fresh_keepalive
        assert fleet.sh("web1", "hostname").stdout.strip() == "web1"
        assert fleet.list_dir("web1", "/etc/sysctl.d") == ["60-reboot-probe.conf"]
        run = fleet.adhoc("web1", "ansible.builtin.command", "cat /proc/sys/net/ipv4/tcp_fin_timeout")
        assert run.rc == 0, run
        assert run.results("ansible.builtin.command")["web1"]["stdout"] == "23"

        fleet.reboot("shadow")
        assert fleet.sysctl("shadow", "net.ipv4.tcp_fin_timeout") == "45"
        assert machine_sysctls() == machine_before
        assert elapsed < 10, "reboot took %.1fs" % elapsed
    finally:
        after = machine_sysctls()
        if after.get("vm.swappiness") != swappiness:  # only if the guard failed: put it back
            with open("/proc/sys/vm/swappiness", "w") as handle:
                handle.write(swappiness)
        fleet.reset(["web1"])
    assert fleet.list_dir("web1", "/etc/sysctl.d") == []
    assert fleet.sysctl("web1", "net.ipv4.tcp_fin_timeout") != "23"


# Files where the emulation this fleet used to run differed from systemd-sysctl.
TRICKY_FILES = {
    "10-set.conf": "net.ipv4.tcp_keepalive_intvl = 31\nnet.ipv4.tcp_keepalive_probes = 4\n",
    "20-cancel.conf": "-net.ipv4.tcp_keepalive_intvl\n- net.ipv4.tcp_syn_retries = 4\n",
    ".hidden.conf": "net.ipv4.tcp_fin_timeout = 29\n",
    "30-glob.conf": "net.ipv4.conf.*.arp_notify = 1\n-net.ipv4.conf.default.arp_notify\n-net.ipv4.conf.eth0.arp_notify\n",
}
TRICKY_KEYS = ("net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_syn_retries",
               "net.ipv4.tcp_fin_timeout", "net.ipv4.conf.all.arp_notify", "net.ipv4.conf.eth0.arp_notify")


def test_reboot_runs_systemd_sysctl_and_the_emulation_agrees(fleet, monkeypatch):
    fleet_module = load_fleet_module()
    if fleet_module.systemd_sysctl() is None:
        pytest.skip("systemd-sysctl is not installed here: reboots use the emulation")
    host = fleet_module.Fleet(fleet.id).host("web1")
    fresh = dict((key, fleet.sysctl("web1", key)) for key in TRICKY_KEYS)
    try:
        for name, text in TRICKY_FILES.items():
            with open(os.path.join(host.sysctl_dir, name), "w") as handle:
                handle.write(text)
        fleet.reboot("web1")
        with open(host.boot_log) as handle:
            log = handle.read()
        assert log.startswith(fleet_module.systemd_sysctl() + " net: rc=0"), log
        assert "systemd-sysctl eth0" in log, log  # udev's pass once eth0 exists
        real = dict((key, fleet.sysctl("web1", key)) for key in TRICKY_KEYS)
        assert real == dict(fresh, **{
            "net.ipv4.tcp_keepalive_probes": "4", "net.ipv4.tcp_syn_retries": "4",
            "net.ipv4.conf.all.arp_notify": "1"}), log

        monkeypatch.setenv("NETFLEET_FLEET_SYSCTL_LOADER", "emulation")
        fleet.reboot("web1")
        with open(host.boot_log) as handle:
            assert handle.read().startswith("emulation net:")
        assert dict((key, fleet.sysctl("web1", key)) for key in TRICKY_KEYS) == real
    finally:
        monkeypatch.delenv("NETFLEET_FLEET_SYSCTL_LOADER", raising=False)
        fleet.reset(["web1"])


def _claim_scratch_fleet(exclude):
    fleet_module = load_fleet_module()
    deadline = time.monotonic() + 120
    while True:
        for fid in SCRATCH_IDS:
            if fid != exclude:
                scratch = fleet_module.Fleet(fid)
                if scratch.claim():
                    return scratch
        if time.monotonic() > deadline:
            pytest.fail("no free scratch fleet id among %s" % SCRATCH_IDS)
        time.sleep(1)


def _live_processes_mentioning(*texts):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # already dead, waiting for init to reap it
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                cmdline = handle.read()
                if all(text.encode() in cmdline for text in texts):
                    found.append(int(entry))
        except (OSError, IndexError):
            continue
    return found


def test_up_is_reusable_and_down_leaves_nothing(fleet):
    scratch = _claim_scratch_fleet(exclude=fleet.id)
    machine_before = machine_sysctls()
    try:
        assert scratch.up(3) == "built"
        assert scratch.up(3) == "reused"
        assert scratch.healthy(3)
        # one sshd per host (its per-connection children also name the config: not counted).
        # A child forked for a connection carries the listener's title until it re-execs,
        # so healthy()'s own probes can show for a moment: settle before counting.
        deadline = time.monotonic() + 10
        while len(_live_processes_mentioning(scratch.dir + "/", "[listener]")) != 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_live_processes_mentioning(scratch.dir + "/", "[listener]")) == 3
        scratch.isolate("shadow")  # down must also clean up a host in this state
        scratch.down()
        scratch.down()  # idempotent
    finally:
        scratch.down()
    prefix = "nf%d-" % scratch.id
    assert [n for n in os.listdir("/run/netns") if n.startswith(prefix)] == []
    assert [n for n in os.listdir("/sys/class/net")
            if n.startswith("nfv%d-" % scratch.id) or n == "nfbr%d" % scratch.id] == []
    if os.path.isdir("/etc/netns"):
        assert [n for n in os.listdir("/etc/netns") if n.startswith(prefix)] == []
    assert _live_processes_mentioning(scratch.dir + "/") == []
    assert sorted(os.listdir(scratch.dir)) == ["ssh"]  # only the keys, kept for the next up
    assert machine_sysctls() == machine_before
    # The session fleet is untouched.
    run = fleet.adhoc("fleet", "ping")
    assert run.rc == 0, run
