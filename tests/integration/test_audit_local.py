"""`make audit` on this machine: playbooks/audit.yml over a local connection, changing nothing.

Runs the playbook the way the Makefile does (``-i localhost, -c local``), with the default
report folder under ANSIBLE_HOME (netfleet_tcp/reports/, outside the collection), and checks the
table, the printed path, the report files, a recap of changed=0 (writing the report on the
controller changes no host) and that the machine's own net.* values and sysctl.d files are the
same afterwards; and
that error findings leave the exit code at 0 unless a gate is asked for with -e tcp_audit_fail_on. It
needs no test fleet, but lives here because it runs the real modules on the real machine.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(REPO, "roles", "tcp_audit", "files", "audit_report.schema.json")
BIN = os.path.dirname(sys.executable)
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")


def machine_net_sysctls():
    values = {}
    for root in ("/proc/sys/net/ipv4", "/proc/sys/net/core"):
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name)
            if not os.path.isfile(path):
                continue
            try:
                with open(path) as handle:
                    values[path] = " ".join(handle.read().split())
            except OSError:
                continue
    return values


def sysctl_files():
    files = {}
    for path in ["/etc/sysctl.conf"] + [p for d in SYSCTL_DIRS for p in sorted(glob.glob(d + "/*"))]:
        try:
            with open(path, "rb") as handle:
                files[path] = handle.read()
        except OSError:
            continue
    return files


def run_audit(*extra, env=None):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {}))
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter={{ ansible_playbook_python }}", "playbooks/audit.yml"]
    return subprocess.run(argv + list(extra), cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=600, check=False)


def test_make_audit_prints_the_table_and_the_path_and_changes_nothing(tmp_path):
    before = (machine_net_sysctls(), sysctl_files())
    home = tmp_path / "ansible-home"
    proc = run_audit("-e", "tcp_audit_fail_on=never", env={"ANSIBLE_HOME": str(home)})
    after = (machine_net_sysctls(), sysctl_files())
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert re.search(r"HOST\s+STATUS\s+KERNEL\s+NAT\s+ESTAB\s+TW\s+CW\s+FW2", proc.stdout), output[-4000:]
    assert re.search(r"^\s*\"localhost\s+ok\s+", proc.stdout, re.M), output[-4000:]
    match = re.search(r"report: (\S+/audit\.md)", proc.stdout)
    assert match, output[-4000:]
    folder = os.path.dirname(match.group(1))
    try:
        assert os.path.dirname(folder) == os.path.join(str(home), "netfleet_tcp", "reports")
        assert re.match(r"^audit-\d{8}T\d{6}Z$", os.path.basename(folder))
        with open(os.path.join(folder, "audit.json")) as handle:
            report = json.load(handle)
        with open(SCHEMA) as handle:
            jsonschema.Draft202012Validator(json.load(handle)).validate(report)
        assert [entry["host"] for entry in report["hosts"]] == ["localhost"]
        assert report["hosts"][0]["status"] == "ok"
        assert os.path.exists(os.path.join(folder, "audit.junit.xml"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert not os.path.exists(os.path.join(REPO, "playbooks", "reports"))
    assert re.search(r"^localhost\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", proc.stdout, re.M), output[-2000:]
    assert after[0] == before[0], "the machine's net.* values changed"
    assert after[1] == before[1], "the machine's sysctl configuration files changed"


def test_check_mode_works_the_same(tmp_path):
    proc = run_audit("--check", "-e", "tcp_audit_fail_on=never", "-e", "tcp_audit_report_dir=%s" % tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    with open(str(tmp_path / "audit.json")) as handle:
        assert json.load(handle)["hosts"][0]["status"] == "ok"


def test_error_findings_do_not_fail_the_local_audit_unless_a_gate_is_asked_for(tmp_path):
    # Pressure levels of 0 turn every measured ratio into a critical verdict: an error finding.
    levels = '{"tcp_audit_thresholds": {"time_wait": {"warning": 0, "critical": 0}}}'
    proc = run_audit("-e", levels, "-e", "tcp_audit_report_dir=%s" % (tmp_path / "report"))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    with open(str(tmp_path / "report" / "audit.json")) as handle:
        report = json.load(handle)
    assert report["hosts"][0]["summary"]["errors"] >= 1, report["hosts"][0]["findings"]
    assert re.search(r"localhost\s+ok\s+", proc.stdout), output[-4000:]
    assert "report: %s/audit.md" % (tmp_path / "report") in proc.stdout
    gated = run_audit("-e", levels, "-e", "tcp_audit_fail_on=error", "-e", "tcp_audit_report_dir=%s" % (tmp_path / "gate"))
    assert gated.returncode == 2, (gated.stdout + gated.stderr)[-4000:]
    assert re.search(r"localhost has findings at or above 'error': .*pressure-time-wait", gated.stdout), \
        gated.stdout[-4000:]
