"""netfleet.tcp.audit_files: what it writes, atomically, and only when the content changes."""

import json
import os
import stat

import pytest

from ansible_collections.netfleet.tcp.plugins.action import audit_files as af
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit")


@pytest.fixture(scope="module")
def report():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        records = json.load(handle)
    return build_report(records, record_var=None, hosts=["web1", "natgw", "db1", "gone"],
                        generated_at="2026-11-21T05:00:00Z")


def test_schema_path_exists():
    assert os.path.isfile(af.SCHEMA_PATH)


def test_plan_all(report, tmp_path):
    files = dict(af.plan_files(report, str(tmp_path / "r"), ["markdown", "json", "junit"], True, str(tmp_path / "p")))
    names = sorted(os.path.relpath(path, str(tmp_path)) for path in files)
    assert names == ["p/db1.prom", "p/gone.prom", "p/natgw.prom", "p/web1.prom",
                     "r/audit.json", "r/audit.junit.xml", "r/audit.md", "r/audit_report.schema.json"]
    assert json.loads(files[str(tmp_path / "r" / "audit.json")].decode())["hosts"][3]["status"] == "failed"
    assert b'netfleet_tcp_audit_up{host="gone"} 0' in files[str(tmp_path / "p" / "gone.prom")]


def test_plan_subset(report, tmp_path):
    files = af.plan_files(report, str(tmp_path), ["junit"], True, None)
    assert [os.path.basename(path) for path, _data in files] == ["audit.junit.xml"]
    files = af.plan_files(report, str(tmp_path), ["json"], False, None)
    assert [os.path.basename(path) for path, _data in files] == ["audit.json"]


@pytest.mark.parametrize("host", ["../etc", "..", ".", "a/b", "/etc/passwd", "<b>x</b>", "web\n1", ""])
def test_plan_keeps_every_host_name_inside_the_prometheus_folder(report, tmp_path, host):
    # Host names are untrusted: a name that is a path gets a safe file name, never an error.
    bad = dict(report, hosts=[dict(report["hosts"][0], host=host), report["hosts"][1]])
    folder = str(tmp_path / "prom")
    files = af.plan_files(bad, None, [], False, folder)
    assert len(files) == 2
    for path, _data in files:
        assert os.path.dirname(path) == folder
        assert not os.path.basename(path).startswith(".")
    assert files[1][0] == os.path.join(folder, "%s.prom" % report["hosts"][1]["host"])
    assert files[0][0] != files[1][0]
    assert ('host="%s"' % host.replace("\n", "\\n")).encode() in files[0][1]


def test_safe_names_never_collide():
    names = ["a/b", "a_b", "a:b", "a b", "a\\b", "A/b"]
    paths = [af.prometheus_path("/p", name) for name in names]
    assert len(set(paths)) == len(names)
    assert af.prometheus_path("/p", "a_b") == "/p/a_b.prom"


def test_one_unrenderable_host_leaves_the_others(report, tmp_path):
    broken = dict(report["hosts"][0], status="ok", pressure=None)
    bad = dict(report, hosts=[broken, report["hosts"][1]])
    problems = []
    files = af.plan_files(bad, None, [], False, str(tmp_path), problems)
    assert [os.path.basename(path) for path, _data in files] == ["%s.prom" % report["hosts"][1]["host"]]
    assert len(problems) == 1 and repr(broken["host"]) in problems[0]
    with pytest.raises(TypeError):
        af.plan_files(bad, None, [], False, str(tmp_path))


def test_write_atomic(tmp_path):
    path = str(tmp_path / "a.prom")
    assert af.write_atomic(path, b"one\n", 0o644) is True
    assert open(path, "rb").read() == b"one\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert af.write_atomic(path, b"one\n", 0o644) is False
    assert af.write_atomic(path, b"one\n", 0o600) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert af.write_atomic(path, b"two\n", 0o644) is True
    assert open(path, "rb").read() == b"two\n"
    assert sorted(os.listdir(str(tmp_path))) == ["a.prom"]


def test_write_atomic_leaves_no_temp_on_error(tmp_path, monkeypatch):
    def boom(_src, _dst):
        raise OSError("disk full")

    monkeypatch.setattr(af.os, "replace", boom)
    with pytest.raises(OSError):
        af.write_atomic(str(tmp_path / "b"), b"x", 0o644)
    assert os.listdir(str(tmp_path)) == []


PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    records: "{{ lookup('file', '%(records)s') | from_json }}"
  tasks:
    - name: Build
      ansible.builtin.set_fact:
        fleet_report: "{{ records | netfleet.tcp.audit_report(record_var='', facts_var='', fail_on='warning') }}"
    - name: Write
      netfleet.tcp.audit_files:
        report: "{{ fleet_report }}"
        dest: "%(dest)s"
        formats: [markdown, json]
        prometheus_dir: "%(prom)s"
      register: written
    - name: Show
      ansible.builtin.debug:
        msg: "RESULT {{ written | to_json }}"
"""


def run_play(tmp_path, check):
    import subprocess
    import sys
    play = tmp_path / "play.yml"
    play.write_text(PLAY % {"records": os.path.abspath(os.path.join(FIXTURES, "records.json")),
                            "dest": tmp_path / "report", "prom": tmp_path / "prom"})
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, str(play)] + (["--check"] if check else [])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [item for item in proc.stdout.splitlines() if "RESULT " in item][0]
    return json.loads(json.loads(line.split(": ", 1)[1]).split("RESULT ", 1)[1])


def test_through_ansible_check_then_real(tmp_path):
    predicted = run_play(tmp_path, check=True)
    assert not os.path.exists(str(tmp_path / "report"))
    assert predicted["changed"] is True and len(predicted["written"]) == 3 + 3
    real = run_play(tmp_path, check=False)
    assert sorted(real["written"]) == sorted(predicted["written"])
    assert sorted(os.listdir(str(tmp_path / "report"))) == ["audit.json", "audit.md", "audit_report.schema.json"]
    assert sorted(os.listdir(str(tmp_path / "prom"))) == ["db1.prom", "natgw.prom", "web1.prom"]
    report = json.load(open(str(tmp_path / "report" / "audit.json")))
    assert report["gate"]["fail_on"] == "warning"
