"""Permissions and ownership on a fleet host after sysctl_profile ran, and nothing written elsewhere.

The drop-in is 0644 root:root, the state dir and its record and lock are private to root, no
temporary file is left, and a listing of the host's writable directories taken before and after
the apply differs only in the documented paths (the drop-in and the state dir). The audit report
folder and files on the controller are checked too.
Run with NETFLEET_FLEET_ID=7 (the reliability fleet).
"""

import json
import os
import stat

import pytest

pytestmark = pytest.mark.integration

DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-perm.conf"
STATE = "/var/lib/netfleet-tcp"
PLAY = """
- name: Apply a profile
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: perm
        settings:
          net.ipv4.tcp_fin_timeout: 33
          net.core.somaxconn: 1500
"""
# Directories a module running as root could write to by mistake; the fleet's own bookkeeping
# (other fleets' sysctl.d under /etc/netns, sshd pid files under /run) is not the host's.
WATCHED = ("/etc", "/var/lib", "/var/tmp", "/usr/local", "/run/sysctl.d", "/root", "/opt", "/srv")
LISTING = r"""
import json, os, sys
marker = os.stat(sys.argv[1]).st_mtime_ns
found = []
for top in sys.argv[2:]:
    for directory, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(directory, d) not in ("/etc/netns", "/root/.pyenv", "/root/.cache")]
        for name in dirs + names:
            path = os.path.join(directory, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if info.st_mtime_ns > marker or info.st_ctime_ns > marker:
                found.append(path)
print(json.dumps(sorted(found)))
"""


def stat_in(fleet, host, path):
    out = fleet.sh(host, "stat -c '%%a %%u %%g %%F' %s" % path).stdout.split()
    return int(out[0], 8), int(out[1]), int(out[2]), " ".join(out[3:])


def test_files_modes_owners_and_nothing_written_elsewhere(fleet):
    host = fleet.groups["servers"][0]
    fleet.reset([host])
    marker = "/tmp/.netfleet-reliability-marker-%s" % host
    fleet.sh(host, "touch %s && sleep 1.1" % marker)
    try:
        run = fleet.playbook(PLAY, extra_vars={"target": host})
        assert run.rc == 0, run
        written = json.loads(fleet.sh(host, "/usr/bin/python3 -c '%s' %s %s" % (
            LISTING.replace("'", "'\"'\"'"), marker, " ".join(WATCHED))).stdout)
    finally:
        fleet.sh(host, "rm -f %s" % marker, check=False)
    allowed = {"/etc/sysctl.d", DROPIN, STATE} | set(
        os.path.join(STATE, name) for name in ("sysctl_profile-perm.json", "sysctl_profile.lock"))
    assert set(written) <= allowed, sorted(set(written) - allowed)
    assert DROPIN in written
    assert stat_in(fleet, host, DROPIN) == (0o644, 0, 0, "regular file")
    mode, uid, _gid, kind = stat_in(fleet, host, STATE)
    assert kind == "directory" and uid == 0 and not mode & 0o022, oct(mode)
    assert stat_in(fleet, host, STATE + "/sysctl_profile-perm.json")[:2] == (0o600, 0)
    assert stat_in(fleet, host, STATE + "/sysctl_profile.lock")[:2] == (0o600, 0)
    leftovers = [n for n in fleet.list_dir(host, "/etc/sysctl.d") + fleet.list_dir(host, STATE)
                 if n.startswith(".") or n.endswith(".tmp")]
    assert leftovers == []
    remote_tmp = os.path.join(os.path.dirname(fleet.inventory), host, "tmp")
    assert [n for n in os.listdir(remote_tmp) if not n.startswith(".")] == [], os.listdir(remote_tmp)
    fleet.reset([host])


def test_audit_report_folder_and_files(fleet, tmp_path):
    report = tmp_path / "report"
    run = fleet.playbook("playbooks/audit.yml", extra_vars={
        "tcp_audit_report_dir": str(report), "tcp_audit_fail_on": "never", "tcp_audit_print_table": False})
    assert run.rc == 0, run
    assert not stat.S_IMODE(os.stat(str(report)).st_mode) & 0o022
    for name in os.listdir(str(report)):
        info = os.stat(str(report / name))
        assert not name.startswith("."), name            # no temporary file left behind
        assert not stat.S_IMODE(info.st_mode) & 0o022, (name, oct(info.st_mode))
