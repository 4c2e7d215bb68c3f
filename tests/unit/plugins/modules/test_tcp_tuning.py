"""The tcp_tuning and tcp_audit module edges: arguments, check mode, failing on a refusal with the result."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.modules import tcp_audit, tcp_tuning
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc

FIN = "net.ipv4.tcp_fin_timeout"


@pytest.fixture
def fake_host(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "etc" / "sysctl.d").mkdir(parents=True)
    proc = build_proc(tmp_path)
    for module in (tcp_tuning, tcp_audit):
        monkeypatch.setattr(module, "PROC", proc)
        monkeypatch.setattr(module, "ROOT", str(root))
    return tmp_path


def run_module(module, args, capsys):
    args = dict(args)
    args.setdefault("nat_facing", "false")
    with patch_module_args(args):
        with pytest.raises(SystemExit) as caught:
            module.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


def live(fake_host):
    return (fake_host / "proc" / "sys" / "net" / "ipv4" / "tcp_fin_timeout").read_text().strip()


def test_check_mode_then_apply(fake_host, capsys):
    args = {"profile": "web_frontend", "host_label": "web1",
            "state_dir": str(fake_host / "root" / "var" / "lib" / "netfleet-tcp")}
    code, checked = run_module(tcp_tuning, dict(args, _ansible_check_mode=True, _ansible_diff=True), capsys)
    assert code == 0 and checked["changed"] is True and live(fake_host) == "60", checked
    assert checked["diff"] and checked["phases"] == ["validate", "guard", "apply", "verify"]
    code, applied = run_module(tcp_tuning, args, capsys)
    assert code == 0 and applied["changed"] is True and live(fake_host) == "20", applied
    assert applied["summary"].startswith("web1: web_frontend applied: ")


def test_refusal_fails_with_the_whole_result(fake_host, capsys):
    code, out = run_module(tcp_tuning, {"profile": "none", "nat_facing": "true", "host_label": "natgw",
                                        "host_overrides": {"net.ipv4.tcp_tw_recycle": 1, FIN: 21}}, capsys)
    assert code == 1 and out["failed"] is True
    assert out["msg"].startswith("tcp_tw_recycle refused on natgw: ") and out["refusals"], out
    assert out["keys"] == {} and live(fake_host) == "60"


def test_bad_profile_is_a_clear_error(fake_host, capsys):
    code, out = run_module(tcp_tuning, {"profile": "nosuch"}, capsys)
    assert code == 1 and "nosuch" in out["msg"] and "refusals" not in out


def test_audit_census_judgement_and_profile_in_one_execution(fake_host, capsys, monkeypatch):
    calls = []

    def census(**kwargs):
        calls.append(kwargs)
        return {"states": {"established": 1}}

    monkeypatch.setattr(tcp_audit, "run_audit", _with_census(tcp_audit.run_audit, census))
    code, out = run_module(tcp_audit, {"detail": ["ports"]}, capsys)
    assert code == 0 and out["changed"] is False
    assert out["ansible_facts"]["tcp_state"] == {"states": {"established": 1}}
    assert calls == [{"detail": ["ports"], "top": 10, "source": "auto"}]
    assert out["profile_check"] == {"skipped": True} and "findings" in out["check"]
    code, out = run_module(tcp_audit, {"profile": "web_frontend"}, capsys)
    assert code == 0 and out["settings"][FIN] == 20
    assert out["profile_check"]["keys"][FIN]["desired"] == "20"


def _with_census(run_audit, census):
    def run(params, **kwargs):
        return run_audit(params, census=census, **kwargs)
    return run


def test_audit_top_below_one_is_refused(fake_host, capsys):
    code, out = run_module(tcp_audit, {"top": 0}, capsys)
    assert code == 1 and out["msg"] == "top must be 1 or more, got 0"


def test_audit_counts_every_namespace_when_asked(fake_host):
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_audit import run_audit
    seen = []

    def namespaces(**kwargs):
        seen.append(kwargs)
        return [{"name": "initial:1"}], {"scanned": 1}

    result = run_audit({"namespaces": "all", "detail": []}, proc=tcp_audit.PROC, root=tcp_audit.ROOT,
                       which=lambda name: None, census=lambda **kwargs: {"states": {}}, namespaces=namespaces)
    assert result["tcp_state"]["namespaces"] == [{"name": "initial:1"}]
    assert result["tcp_state"]["namespace_scan"] == {"scanned": 1}
    assert seen[0]["current_facts"] is result["tcp_state"]
