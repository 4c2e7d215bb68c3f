"""What the reboot tests set up on the VMs before the one reboot they share (conftest.py's
``first_reboot`` fixture reboots vm1 and vm2 at once: under software emulation a boot takes
minutes, so the tier boots as few times as it can)."""

PLAYBOOK = "playbooks/tune.yml"
APPLY = "Apply the whole profile in one call"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-tuning.conf"

# vm1: a profile with machine-wide keys (test_reboot_restores.py)
TUNED = "vm1"
MACHINE_WIDE = ("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog")

# vm2: shadowing and masking (test_boot_precedence.py)
PRECEDENCE = "vm2"
FIN, KEEPALIVE, SYN = "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_syn_retries"
VENDOR = "/usr/lib/sysctl.d/60-vendor-net.conf"
MASK = "/run/sysctl.d/60-vendor-net.conf"
SHADOW = "/etc/sysctl.d/99-zzz-local-override.conf"
MASK_UNIT = "/etc/systemd/system/netfleet-test-run-mask.service"
# /run is a tmpfs: a file there exists at boot only when something puts it there before
# systemd-sysctl runs (a generator, an early unit), as this unit does.
MASK_UNIT_TEXT = """[Unit]
Description=Mask the vendor sysctl file from /run, before systemd-sysctl reads it
DefaultDependencies=no
Before=systemd-sysctl.service

[Service]
Type=oneshot
ExecStart=/bin/mkdir -p /run/sysctl.d
ExecStart=/bin/ln -sfn /dev/null %s

[Install]
WantedBy=sysinit.target
""" % MASK
PREDICT = "Predict the boot"
CHECK = """
- hosts: %s
  gather_facts: false
  tasks:
    - name: %s
      netfleet.tcp.sysctl_check:
        settings: {"%s": 20, "%s": 600, "%s": 6}
        fail_on: never
""" % (PRECEDENCE, PREDICT, FIN, KEEPALIVE, SYN)


def tune(vms, host, **extra):
    extra_vars = {"tcp_tuning_hosts": host}
    extra_vars.update(extra)
    return vms.playbook(PLAYBOOK, extra_vars=extra_vars)


def tune_both(vms):
    """One tuning run for both VMs (each guest is slow; they work in parallel), profiles per host:
    vm1 high_throughput (tcp_mem, netdev_max_backlog) plus half the boot's tcp_max_orphans,
    vm2 web_frontend."""
    orphans = int(vms.fresh[TUNED]["net.ipv4.tcp_max_orphans"]) // 2
    inventory = vms.inventory(host_vars={
        TUNED: {"tcp_tuning_profile": "high_throughput",
                "tcp_tuning_host_overrides": {"net.ipv4.tcp_max_orphans": orphans}},
        PRECEDENCE: {"tcp_tuning_profile": "web_frontend"},
    })
    run = vms.playbook(PLAYBOOK, extra_vars={"tcp_tuning_hosts": "vms"}, inventory=inventory)
    assert run.rc == 0, run
    return run


def apply_tuning(vms, run):
    """What the run did on vm1, read back."""
    fresh = vms.fresh[TUNED]
    result = run.results(APPLY)[TUNED]
    wanted = dict((key, item["after"]) for key, item in result["keys"].items()
                  if item["status"] != "skipped-missing")
    live = vms.sysctls(TUNED, wanted)
    dropin = vms.ssh(TUNED, "cat %s" % DROPIN).stdout
    return {"run": run, "wanted": wanted, "fresh": fresh, "live": live, "dropin": dropin}


def _put(vms, path, text):
    vms.ssh(PRECEDENCE, "mkdir -p $(dirname %s) && cat > %s <<'EOF'\n%sEOF" % (path, path, text))


def prepare_precedence(vms):
    """Next to web_frontend's drop-in (tune_both): a later /etc file shadowing its fin_timeout,
    a vendor file in /usr/lib masked from /run; then sysctl_check's prediction of the boot."""
    _put(vms, VENDOR, "%s = 3\n%s = 1800\n" % (SYN, KEEPALIVE))
    _put(vms, SHADOW, "%s = 45\n" % FIN)
    _put(vms, MASK_UNIT, MASK_UNIT_TEXT)
    vms.ssh(PRECEDENCE, "systemctl enable --quiet netfleet-test-run-mask.service && "
                        "systemctl start netfleet-test-run-mask.service")
    check = vms.playbook(CHECK)
    assert check.rc == 0, check
    return {"predicted": check.results(PREDICT)[PRECEDENCE], "fresh": vms.fresh[PRECEDENCE]}
