# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl_check module edge: arguments, fail_on, check mode, and that it changes nothing."""

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.modules import sysctl_check
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc, write


@pytest.fixture
def fake_host(tmp_path, monkeypatch):
    proc = build_proc(tmp_path, listeners=[])
    root = tmp_path / "root"
    write(str(root / "etc" / "sysctl.d" / "99-zzz-local-override.conf"), "net.ipv4.tcp_fin_timeout = 45\n")
    monkeypatch.setattr(sysctl_check, "PROC", proc)
    monkeypatch.setattr(sysctl_check, "ROOT", str(root))
    return tmp_path


def run_module(args, capsys):
    args = dict(args)
    args.setdefault("nat_facing", "false")
    with patch_module_args(args):
        with pytest.raises(SystemExit) as caught:
            sysctl_check.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


def snapshot(base):
    files = {}
    for directory, _dirs, names in os.walk(str(base)):
        for name in names:
            path = os.path.join(directory, name)
            with open(path) as handle:
                files[path] = (handle.read(), os.stat(path).st_mtime_ns)
    return files


def test_reports_drift_and_the_shadowing_file(fake_host, capsys):
    code, result = run_module({"settings": {"net.ipv4.tcp_fin_timeout": 30}, "fail_on": "never"}, capsys)
    assert code == 0 and result["changed"] is False
    found = dict((item["id"], item) for item in result["findings"])
    assert "/etc/sysctl.d/99-zzz-local-override.conf" in found["persisted-shadows-desired"]["message"]
    assert result["keys"]["net.ipv4.tcp_fin_timeout"] == {
        "live": "60", "persisted": "45", "persisted_file": "/etc/sysctl.d/99-zzz-local-override.conf",
        "desired": "30", "in_catalog": True, "exists": True}
    assert set(result) >= {"findings", "drift", "keys", "context", "persisted", "summary"}
    assert result["context"]["nat_mode"] == "explicit"


def test_fail_on_levels(fake_host, capsys):
    code, result = run_module({}, capsys)                      # only drift against the file: no finding
    assert code == 0 and result["drift"] and result["summary"]["drift"] == 1
    assert result["summary"]["warnings"] == result["summary"]["errors"] == 0
    code, result = run_module({"fail_on": "warning"}, capsys)  # drift is the host's state: never gated
    assert code == 0 and "failed" not in result
    code, result = run_module({"settings": {"net.ipv4.tcp_fin_timeout": 5}, "fail_on": "warning"}, capsys)
    assert code == 1 and result["failed"] is True and "fail_on=warning" in result["msg"]
    assert result["findings"] and result["keys"] and result["drift"]   # the full result comes with the failure
    code, result = run_module({"settings": {"net.ipv4.tcp_sack": "on"}}, capsys)
    assert code == 1 and [item["id"] for item in result["findings"]][0] == "value-boolean"


def test_yaml_booleans_reach_the_module_as_booleans(fake_host, capsys):
    code, result = run_module({"settings": {"net.ipv4.tcp_window_scaling": True}, "fail_on": "never"}, capsys)
    assert [item["id"] for item in result["findings"] if item["severity"] == "error"] == ["value-boolean"]


def test_nat_facing_true_from_a_yaml_boolean(fake_host, capsys):
    code, result = run_module({"nat_facing": True, "fail_on": "never"}, capsys)
    assert code == 0 and result["context"]["nat_facing"] is True


def test_check_mode_runs_in_full_and_changes_nothing(fake_host, capsys):
    before = snapshot(fake_host)
    code, checked = run_module({"_ansible_check_mode": True, "fail_on": "never",
                                "settings": {"net.core.somaxconn": 8192}}, capsys)
    code2, real = run_module({"fail_on": "never", "settings": {"net.core.somaxconn": 8192}}, capsys)
    assert code == code2 == 0
    assert checked["findings"] == real["findings"] and checked["keys"] == real["keys"]
    assert snapshot(fake_host) == before


def test_keys_option(fake_host, capsys):
    code, result = run_module({"keys": ["net.ipv4.tcp_fin_timeout"], "fail_on": "never"}, capsys)
    assert list(result["keys"]) == ["net.ipv4.tcp_fin_timeout"]


def test_bad_option_values(fake_host, capsys):
    code, result = run_module({"fail_on": "sometimes"}, capsys)
    assert code == 1 and "fail_on" in result["msg"]


def test_missing_skip_reports_absent_keys_as_info_and_passes_the_gate(tmp_path, monkeypatch, capsys):
    # A child network namespace: the initial-namespace keys have no file.
    proc = build_proc(tmp_path, listeners=[], drop=("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans"))
    monkeypatch.setattr(sysctl_check, "PROC", proc)
    monkeypatch.setattr(sysctl_check, "ROOT", str(tmp_path / "root"))
    settings = {"net.ipv4.tcp_max_orphans": 262144, "net.ipv4.tcp_fin_timeout": 30}
    code, result = run_module({"settings": settings}, capsys)
    assert code == 1 and "1 error" in result["msg"]             # missing: fail (the default)
    missing = [item for item in result["findings"] if item["id"] == "key-missing"]
    assert [item["severity"] for item in missing] == ["error"]
    code, result = run_module({"settings": settings, "missing": "skip", "keys": ["net.ipv4.tcp_mem"]}, capsys)
    assert code == 0, result
    missing = dict((item["key"], item) for item in result["findings"] if item["id"] == "key-missing")
    assert set(missing) == {"net.ipv4.tcp_max_orphans", "net.ipv4.tcp_mem"}
    assert all(item["severity"] == "info" and "skipped (missing: skip)" in item["message"]
               for item in missing.values())
    assert result["summary"]["errors"] == 0 and result["summary"]["infos"] >= 2
    assert result["keys"]["net.ipv4.tcp_max_orphans"]["desired"] is None
    assert result["keys"]["net.ipv4.tcp_max_orphans"]["exists"] is False
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["desired"] == "30"   # the others are judged
    assert any(item["id"] == "live-differs-desired" for item in result["drift"])
    code, result = run_module({"missing": "sometimes"}, capsys)
    assert code == 1 and "missing" in result["msg"]
