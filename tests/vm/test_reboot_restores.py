"""A profile with machine-wide keys, applied by the tcp_tuning role, survives real reboots of vm1
through systemd-sysctl; tcp_tuning_state: absent brings back the kernel's values, for good
(set-up: scenarios.apply_tuning).

Namespace hosts cannot hold these keys (tcp_mem, tcp_max_orphans, netdev_max_backlog exist
only in the initial network namespace), so this is where they are applied, persisted,
rebooted and restored for real.
"""

from scenarios import DROPIN, MACHINE_WIDE, TUNED, tune


def systemd_sysctl_state(vms):
    """systemd-sysctl.service as systemd saw it in the current boot."""
    shown = vms.ssh(TUNED, "systemctl show -p LoadState -p ActiveState -p Result -p ExecMainStatus "
                           "-p ExecMainStartTimestampMonotonic systemd-sysctl.service").stdout
    return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)


def assert_systemd_sysctl_ran(vms):
    state = systemd_sysctl_state(vms)
    assert state.get("LoadState") == "loaded", state  # not masked
    assert state.get("ActiveState") == "active" and state.get("Result") == "success", state
    assert state.get("ExecMainStatus") == "0" and int(state["ExecMainStartTimestampMonotonic"]) > 0, state


def test_machine_wide_keys_are_applied_live(first_reboot):
    tuning = first_reboot["tuning"]
    wanted, fresh = tuning["wanted"], tuning["fresh"]
    assert set(MACHINE_WIDE) <= set(wanted), wanted
    for key in MACHINE_WIDE:
        assert wanted[key] != fresh[key], "%s: the profile must differ from the boot value" % key
        assert key in tuning["dropin"]
    assert tuning["live"] == wanted


def test_a_real_reboot_restores_every_value_through_systemd_sysctl(vms, first_reboot):
    wanted, fresh = first_reboot["tuning"]["wanted"], first_reboot["tuning"]["fresh"]
    assert_systemd_sysctl_ran(vms)
    live = vms.sysctls(TUNED, wanted)
    assert live == wanted
    for key in MACHINE_WIDE:  # without systemd-sysctl the kernel's boot value would be there
        assert live[key] != fresh[key]


def test_absent_restores_the_originals_and_they_survive_a_reboot(vms, first_reboot):
    fresh = first_reboot["tuning"]["fresh"]
    keys = sorted(first_reboot["tuning"]["wanted"])
    run = tune(vms, TUNED, tcp_tuning_state="absent")
    assert run.rc == 0, run
    assert vms.ssh(TUNED, "test -e %s" % DROPIN, check=False).returncode == 1
    # The record holds what the first run found: the values of a fresh boot.
    assert vms.sysctls(TUNED, keys) == dict((key, fresh[key]) for key in keys)

    vms.reboot(TUNED)
    assert_systemd_sysctl_ran(vms)
    after = vms.sysctls(TUNED, keys)
    assert after == dict((key, fresh[key]) for key in keys)
