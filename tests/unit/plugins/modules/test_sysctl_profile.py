"""The sysctl_profile module edge: arguments, check and diff mode, fail_json with the partial result."""

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.modules import sysctl_profile

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "sysctl_profile",
                       "proc_sys_child_netns.json")
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-web.conf"


@pytest.fixture
def fake_host(tmp_path, monkeypatch):
    proc = tmp_path / "proc"
    root = tmp_path / "root"
    with open(FIXTURE) as handle:
        values = json.load(handle)
    for key, value in values.items():
        if key.startswith("_"):
            continue
        path = proc.joinpath("sys", *key.split("."))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    (proc / "meminfo").write_text("MemTotal:        8000000 kB\n")
    (root / "etc" / "sysctl.d").mkdir(parents=True)
    monkeypatch.setattr(sysctl_profile, "PROC", str(proc))
    monkeypatch.setattr(sysctl_profile, "ROOT", str(root))
    return tmp_path


def run_module(args, capsys):
    args = dict(args)
    args.setdefault("nat_facing", "false")
    with patch_module_args(args):
        with pytest.raises(SystemExit) as caught:
            sysctl_profile.main()
    out = json.loads(capsys.readouterr().out)
    return caught.value.code, out


def read(fake_host, relative):
    path = fake_host / relative
    return path.read_text() if path.exists() else None


def test_apply_check_diff_and_idempotence(fake_host, capsys):
    args = {"name": "web", "settings": {"net.ipv4.tcp_fin_timeout": 30, "net.ipv4.tcp_rmem": "4096 87380 6291456"}}
    code, checked = run_module(dict(args, _ansible_check_mode=True, _ansible_diff=True), capsys)
    assert code == 0 and checked["changed"] is True
    assert read(fake_host, "proc/sys/net/ipv4/tcp_fin_timeout") == "60\n"
    assert not (fake_host / "root" / "var").exists()
    assert [d["after_header"] for d in checked["diff"]] == ["live values (/proc/sys)", DROPIN]
    code, applied = run_module(dict(args, _ansible_diff=True), capsys)
    assert code == 0 and applied["changed"] is True
    assert applied["keys"] == checked["keys"] and applied["diff"] == checked["diff"]
    assert read(fake_host, "proc/sys/net/ipv4/tcp_fin_timeout") == "30\n"
    assert "net.ipv4.tcp_fin_timeout = 30" in read(fake_host, "root" + DROPIN)
    code, again = run_module(dict(args, _ansible_check_mode=True), capsys)
    assert again["changed"] is False
    code, again = run_module(args, capsys)
    assert again["changed"] is False
    code, removed = run_module({"name": "web", "state": "absent"}, capsys)
    assert code == 0 and removed["changed"] is True
    assert read(fake_host, "proc/sys/net/ipv4/tcp_fin_timeout") == "60\n"
    assert read(fake_host, "root" + DROPIN) is None


def test_yaml_boolean_nat_facing_is_accepted(fake_host, capsys):
    code, out = run_module({"name": "web", "settings": {"net.ipv4.tcp_fin_timeout": 30}, "nat_facing": True,
                            "_ansible_check_mode": True}, capsys)
    assert code == 0, out


def test_refusal_fails_with_every_key_and_changes_nothing(fake_host, capsys):
    code, out = run_module({"name": "web", "settings": {
        "net.ipv4.tcp_fin_timeout": "30\nkernel.modprobe = /tmp/x", "net.ipv4.tcp_timestamps": True,
        "net.ipv4.tcp_keepalive_time": 600}}, capsys)
    assert code == 1 and out["failed"] is True and out["changed"] is False
    assert "net.ipv4.tcp_fin_timeout" in out["msg"] and "net.ipv4.tcp_timestamps" in out["msg"]
    assert out["keys"]["net.ipv4.tcp_timestamps"]["status"] == "refused"
    assert out["keys"]["net.ipv4.tcp_keepalive_time"]["status"] == "unchanged"
    assert read(fake_host, "proc/sys/net/ipv4/tcp_keepalive_time") == "7200\n"
    assert not (fake_host / "root" / "var").exists()


def test_settings_are_required_for_present(fake_host, capsys):
    code, out = run_module({"name": "web"}, capsys)
    assert code == 1 and "settings" in out["msg"]


def test_persist_false_leaves_the_file_and_warns_without_failing(fake_host, capsys):
    run_module({"name": "web", "settings": {"net.ipv4.tcp_fin_timeout": 30}}, capsys)
    code, out = run_module({"name": "web", "settings": {"net.ipv4.tcp_fin_timeout": 20}, "persist": False}, capsys)
    assert code == 0 and out["changed"] is True and out["file"] is None
    assert "warnings" not in out or isinstance(out["warnings"], list)  # module.warn, not a result field
    assert "net.ipv4.tcp_fin_timeout = 30" in read(fake_host, "root" + DROPIN)
    assert read(fake_host, "proc/sys/net/ipv4/tcp_fin_timeout") == "20\n"


def test_keys_skipped_as_absent_raise_one_warning(fake_host, capsys, warned):
    settings = {"net.ipv4.tcp_max_orphans": 65536, "net.ipv4.tcp_mem": "94000 125000 188000",
                "net.ipv4.tcp_fin_timeout": 30, "net.ipv4.tcp_tw_recycle": 0}
    for check_mode in (True, False):
        del warned[:]
        code, out = run_module({"name": "web", "settings": settings, "missing": "skip",
                                "_ansible_check_mode": check_mode}, capsys)
        assert code == 0, out
        assert len(warned) == 1, warned
        assert warned[0].startswith("skipped 2 keys absent in this network namespace or kernel")
        assert "net.ipv4.tcp_max_orphans (" in warned[0] and "net.ipv4.tcp_mem (" in warned[0]
        assert "tcp_tw_recycle" not in warned[0]
        assert out["keys"]["net.ipv4.tcp_max_orphans"]["status"] == "skipped-missing"
    del warned[:]
    code, out = run_module({"name": "web", "settings": {"net.ipv4.tcp_tw_recycle": 0, "net.ipv4.tcp_fin_timeout": 30},
                            "missing": "skip"}, capsys)
    assert code == 0 and warned == [], warned
    assert "tw-recycle-obsolete" in [f["id"] for f in out["findings"]]
