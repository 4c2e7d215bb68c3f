"""The audit and the tuning role the way AWX and Automation Platform run them: through
ansible-runner, as a non-root user, with the collection installed read-only.

The collection is built from this checkout and installed (offline) into a folder owned by
root that the user cannot write; the runner's private data dir and the user's home belong
to the user (uid/gid 65534, ``nobody``, through setpriv). Checks: rc 0, the report under the
user's ANSIBLE_HOME as documented and printed, the tcp_audit summary in artifact_data, a
recap of changed=0, nothing written into the collection; the tuning playbook in check mode
the same way. Then the merge: an audit in serial batches writes one report per batch, and
netfleet.tcp.audit_merge turns them into one fleet report.
"""

import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
UID = GID = 65534


def _tree(path):
    listing = {}
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(top, name)
            info = os.lstat(full)
            listing[os.path.relpath(full, path)] = (info.st_size, info.st_mtime_ns)
    return listing


def _chown_tree(path):
    for top, dirs, files in os.walk(path):
        os.chown(top, UID, GID)
        for name in files:
            os.chown(os.path.join(top, name), UID, GID)


@pytest.fixture(scope="module")
def workspace(fleet):
    if not os.path.exists("/usr/bin/setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    if not os.access(os.path.join(BIN, "ansible-runner"), os.X_OK):
        pytest.skip("ansible-runner is not installed in %s (requirements/test.txt)" % BIN)
    try:
        pwd.getpwuid(UID)
    except KeyError:
        pytest.skip("no user with uid %d" % UID)
    root = tempfile.mkdtemp(prefix="netfleet-runner-")
    os.chmod(root, 0o755)
    build = os.path.join(root, "build")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path", build],
                   check=True, capture_output=True)
    collections = os.path.join(root, "collections")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p",
                    collections, glob.glob(os.path.join(build, "*.tar.gz"))[0]], check=True, capture_output=True)
    assert os.path.isfile(os.path.join(collections, "ansible_collections", "netfleet", "tcp", "MANIFEST.json"))
    for top, dirs, files in os.walk(collections):  # read-only for everyone, root included by intent
        for name in files:
            os.chmod(os.path.join(top, name), 0o444)
        os.chmod(top, 0o555)
    home = os.path.join(root, "home")
    os.makedirs(os.path.join(home, ".ssh"))
    key = os.path.join(home, ".ssh", "id_fleet")
    with open(fleet.inventory) as handle:
        fleet_key = re.search(r"ansible_ssh_private_key_file=(\S+)", handle.read()).group(1)
    shutil.copy(fleet_key, key)
    os.chmod(key, 0o600)
    _chown_tree(home)
    yield {"root": root, "collections": collections, "home": home, "key": key}
    for top, dirs, files in os.walk(collections):
        os.chmod(top, 0o755)
    if os.environ.get("NETFLEET_FLEET_KEEP") != "1":
        shutil.rmtree(root, ignore_errors=True)


def _private_data_dir(fleet, workspace, name, cmdline=""):
    pdd = os.path.join(workspace["root"], name)
    for sub in ("inventory", "env", "project"):
        os.makedirs(os.path.join(pdd, sub))
    with open(fleet.inventory) as handle:
        inventory = handle.read()
    inventory = re.sub(r"ansible_ssh_private_key_file=\S+", "ansible_ssh_private_key_file=%s" % workspace["key"],
                       inventory)
    with open(os.path.join(pdd, "inventory", "hosts"), "w") as handle:
        handle.write(inventory)
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": workspace["collections"],
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORKS": "10",
    }
    with open(os.path.join(pdd, "env", "envvars"), "w") as handle:
        json.dump(envvars, handle)
    if cmdline:
        with open(os.path.join(pdd, "env", "cmdline"), "w") as handle:
            handle.write(cmdline)
    _chown_tree(pdd)
    return pdd


def _runner(workspace, pdd, playbook):
    env = {
        "HOME": workspace["home"], "USER": "nobody", "LOGNAME": "nobody", "LANG": "C.UTF-8",
        "PATH": "%s:/usr/bin:/bin" % BIN, "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONWARNINGS": "ignore:DSA is deprecated",
    }
    argv = ["/usr/bin/setpriv", "--reuid=%d" % UID, "--regid=%d" % GID, "--clear-groups",
            os.path.join(BIN, "ansible-runner"), "run", pdd, "-p", playbook, "--ident", "job"]
    proc = subprocess.run(argv, env=env, cwd=pdd, capture_output=True, text=True, timeout=900, check=False)
    with open(os.path.join(pdd, "artifacts", "job", "command")) as handle:
        proc.stderr += "\n--- ansible-runner's command file ---\n" + handle.read()[:3000]
    with open(os.path.join(pdd, "artifacts", "job", "rc")) as handle:
        rc = int(handle.read().strip())
    stats = None
    for path in sorted(glob.glob(os.path.join(pdd, "artifacts", "job", "job_events", "*.json"))):
        with open(path) as handle:
            event = json.load(handle)
        if event.get("event") == "playbook_on_stats":
            stats = event["event_data"]
    return proc, rc, stats


def test_audit_runs_as_non_root_with_a_read_only_install(fleet, workspace):
    before = _tree(workspace["collections"])
    pdd = _private_data_dir(fleet, workspace, "audit")
    proc, rc, stats = _runner(workspace, pdd, "netfleet.tcp.audit")
    output = proc.stdout + proc.stderr
    assert rc == 0 and proc.returncode == 0, output[-6000:]
    reports = os.path.join(workspace["home"], ".ansible", "netfleet_tcp", "reports")
    folders = glob.glob(os.path.join(reports, "audit-*"))
    assert len(folders) == 1, (folders, output[-3000:])
    folder = folders[0]
    assert re.match(r"^audit-\d{8}T\d{6}Z$", os.path.basename(folder))
    assert "report: %s/audit.md" % folder in proc.stdout
    for name in ("audit.md", "audit.json", "audit.junit.xml", "audit.html"):
        assert os.stat(os.path.join(folder, name)).st_uid == UID, name
    with open(os.path.join(folder, "audit.json")) as handle:
        report = json.load(handle)
    assert [entry["host"] for entry in report["hosts"]] == fleet.hosts
    summary = stats["artifact_data"]["tcp_audit"]
    assert summary["report_dir"] == folder
    assert summary["report_files"] == ["audit.md", "audit.json", "audit.junit.xml", "audit.html",
                                       "audit_report.schema.json"]
    assert summary["run_id"] == report["run_id"]
    assert summary["totals"] == report["totals"]
    assert summary["totals"]["ok"] == len(fleet.hosts)
    assert summary["gate"]["fail_on"] == "never" and summary["gate"]["failed"] is False
    assert stats["changed"] == {}, stats["changed"]
    assert sorted(stats["ok"]) == sorted(fleet.hosts)
    assert _tree(workspace["collections"]) == before, "something was written into the installed collection"


def test_tuning_check_runs_as_non_root_with_a_read_only_install(fleet, workspace):
    snapshot = fleet.snapshot("web1")
    cmdline = "--check --diff -e tcp_tuning_profile=web_frontend -e tcp_tuning_hosts=web1"
    pdd = _private_data_dir(fleet, workspace, "tune", cmdline=cmdline)
    proc, rc, stats = _runner(workspace, pdd, "netfleet.tcp.tune")
    assert rc == 0, (proc.stdout + proc.stderr)[-6000:]
    assert "drifted from web_frontend" in proc.stdout or "no drift" in proc.stdout, proc.stdout[-3000:]
    assert sorted(stats["ok"]) == ["web1"] and stats["failures"] == {}
    assert fleet.snapshot("web1") == snapshot


def test_serial_batches_merge_into_one_fleet_report(fleet, tmp_path):
    base = tmp_path / "batches"
    play = """\
- name: Audit in batches
  hosts: fleet
  gather_facts: false
  serial: 2
  vars:
    tcp_audit_fail_on: never
    tcp_audit_print_table: false
    tcp_audit_report_dir: "%s/batch-{{ ansible_play_batch | join('-') }}"
  roles:
    - role: netfleet.tcp.tcp_audit
""" % base
    run = fleet.playbook(play)
    assert run.rc == 0, run
    batches = ["batch-" + "-".join(fleet.hosts[start:start + 2]) for start in range(0, len(fleet.hosts), 2)]
    assert sorted(os.listdir(str(base))) == sorted(batches)
    audited = []
    for name in batches:
        with open(str(base / name / "audit.json")) as handle:
            report = json.load(handle)
        audited.append(sorted(e["host"] for e in report["hosts"] if e["status"] == "ok"))
    # The first batch audited its own hosts and lists the later ones as not audited (yet).
    assert audited[0] == sorted(fleet.hosts[:2])
    assert sorted(set(sum(audited, []))) == sorted(fleet.hosts)
    merged_dir = tmp_path / "fleet"
    merge = fleet.playbook("playbooks/audit_merge.yml", inventory="localhost,",
                           extra_vars={"tcp_audit_merge_from": str(base), "tcp_audit_report_dir": str(merged_dir)})
    assert merge.rc == 0, merge
    with open(str(merged_dir / "audit.json")) as handle:
        merged = json.load(handle)
    assert [entry["host"] for entry in merged["hosts"]] == fleet.hosts
    assert all(entry["status"] == "ok" for entry in merged["hosts"])
    assert merged["totals"]["ok"] == len(fleet.hosts) and merged["totals"]["failed"] == 0
    assert "merged from %d reports" % len(batches) in merged["title"]
    assert os.path.isfile(str(merged_dir / "audit.md"))
