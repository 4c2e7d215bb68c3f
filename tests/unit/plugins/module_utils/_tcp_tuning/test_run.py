# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_tuning over fake /proc and / trees: render on the host, guard before any change, apply, verify,
check mode, absent, and phases chosen one by one."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning import PHASES, Host, run_tuning
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc

FIN = "net.ipv4.tcp_fin_timeout"
RESERVED = "net.ipv4.ip_local_reserved_ports"
DROPIN = "etc/sysctl.d/99-zz-netfleet-tcp-tuning.conf"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "sysctl.d").mkdir(parents=True)
    (root / "var" / "lib").mkdir(parents=True)
    proc = build_proc(tmp_path, listeners=(("0.0.0.0", 22), ("0.0.0.0", 40000)))
    return proc, str(root)


def params(**extra):
    values = {"profile": ["web_frontend"], "group_overrides": {}, "host_overrides": {}, "id": "tuning",
              "state": "present", "persist": True, "path": None, "missing": "skip", "nat_facing": "false",
              "fail_on": "error", "phases": list(PHASES), "host_label": "web1", "state_dir": None,
              "lock_timeout": 5}
    values.update(extra)
    return values


def tune(tree, check_mode=False, **extra):
    proc, root = tree
    host = Host(proc=proc, root=root, check_mode=check_mode, which=lambda name: None)
    return run_tuning(params(state_dir=os.path.join(root, "var", "lib", "netfleet-tcp"), **extra), host)


def live(tree, key):
    with open(os.path.join(tree[0], "sys", *key.split("."))) as handle:
        return handle.read().strip()


def test_check_then_apply_then_again_then_absent(tree):
    before = live(tree, FIN)
    checked = tune(tree, check_mode=True)
    assert checked["changed"] is True and live(tree, FIN) == before
    assert checked["summary"].startswith("web1: ") and "nothing changed (check mode)" in checked["summary"]
    assert checked["mismatches"] == [] and checked["refusals"] == []
    applied = tune(tree)
    assert applied["changed"] is True and applied["mismatches"] == []
    assert live(tree, FIN) == str(applied["settings"][FIN])
    assert applied["summary"].startswith("web1: web_frontend applied: ")
    assert any(line.startswith(FIN + ": ") for line in applied["lines"])
    # Rendered on the host from its memory.
    assert "net.ipv4.tcp_max_tw_buckets" in applied["settings"], applied["settings"]
    again = tune(tree)
    assert again["changed"] is False and again["lines"] == []
    removed = tune(tree, state="absent")
    assert removed["changed"] is True and live(tree, FIN) == before
    assert removed["settings"] == {} and "profile removed" in removed["summary"]


def test_guard_refuses_before_any_change(tree):
    before = live(tree, FIN)
    result = tune(tree, nat_facing="true", host_overrides={"net.ipv4.tcp_tw_recycle": 1, FIN: 21})
    assert result["changed"] is False and result["keys"] == {}
    assert result["refusals"] and result["refusals"][0].startswith("tcp_tw_recycle refused on web1: NAT-facing")
    assert live(tree, FIN) == before
    assert not os.path.exists(os.path.join(tree[1], DROPIN))


def test_validate_and_guard_only_change_nothing(tree):
    before = live(tree, FIN)
    result = tune(tree, phases=["guard", "validate"], host_overrides={FIN: 21})
    assert result["phases"] == ["validate", "guard"]
    assert result["changed"] is False and result["settings"][FIN] == 21 and live(tree, FIN) == before
    assert "nothing applied" in result["summary"]


def test_verify_alone_reports_what_does_not_hold(tree):
    result = tune(tree, phases=["verify"], host_overrides={FIN: 21})
    assert any(line.startswith("%s on web1: re-read 60, expected 21" % FIN) for line in result["mismatches"])
    tune(tree, host_overrides={FIN: 21})
    result = tune(tree, phases=["verify"], host_overrides={FIN: 21})
    assert result["mismatches"] == []
    assert "none differs (apply phase not run)" in result["summary"]


def test_reserved_ports_come_from_the_host_listeners(tree):
    result = tune(tree, profile=["outbound_heavy"], phases=["validate"])
    assert result["settings"][RESERVED] == "40000", result["settings"]


def test_nothing_to_apply_with_no_profile(tree):
    result = tune(tree, profile=["none"])
    assert result["changed"] is False and result["settings"] == {}
    assert result["summary"] == "web1: nothing to apply (profile none and no overrides)"


def test_unknown_phase_and_profile_are_clear_errors(tree):
    with pytest.raises(NetfleetError, match="phases: unknown 'reboot'"):
        tune(tree, phases=["apply", "reboot"])
    with pytest.raises(NetfleetError, match="nosuch"):
        tune(tree, profile=["nosuch"])


def test_fail_on_reaches_the_apply(tree):
    """The guard and the apply judge with the same fail_on: never applies what the rules only report."""
    rmem = "net.ipv4.tcp_rmem"
    reported = tune(tree, fail_on="never", host_overrides={rmem: "6291456 131072 4096"})
    assert [item["id"] for item in reported["findings"] if item["severity"] == "error"] == ["triple-order"]
    assert reported["refusals"] == [] and reported["apply_error"] is None, reported["apply_error"]
    assert live(tree, rmem).split() == ["6291456", "131072", "4096"]
    refused = tune(tree, fail_on="error", host_overrides={rmem: "6291457 131072 4096"})
    assert ("tcp_rmem refused on web1 (tuning_fail_on: error): tcp_rmem is not in ascending order (min 6291457 > "
            "default 131072).") in " ".join(refused["refusals"]), refused["refusals"]
    assert refused["keys"] == {} and refused["apply_error"] is None
    assert live(tree, rmem).split() == ["6291456", "131072", "4096"]


def test_the_reread_after_a_removal_checks_the_drop_in_is_gone(tree):
    tune(tree)
    assert os.path.exists(os.path.join(tree[1], DROPIN))
    removed = tune(tree, state="absent")
    assert removed["mismatches"] == [] and not os.path.exists(os.path.join(tree[1], DROPIN))
    # A re-read that still finds the drop-in among the boot configuration's files says so.
    host = Host(proc=tree[0], root=tree[1], which=lambda name: None)
    with open(os.path.join(tree[1], DROPIN), "w") as handle:
        handle.write("net.ipv4.tcp_fin_timeout = 20\n")
    reread = host.reread({FIN: "20"}, drop_ins=True)
    assert reread == {"keys": {FIN: {"live": "60", "exists": True}},
                      "persisted": {"sources": ["/" + DROPIN]}}, reread


def test_the_nat_ruleset_is_read_once_per_execution(tree):
    calls = []

    def run_command(argv):
        calls.append(list(argv))
        return 0, "", ""
    proc, root = tree
    host = Host(proc=proc, root=root, run_command=run_command, which=lambda name: "/usr/sbin/" + name)
    assert host.run_command(["nft", "list", "ruleset"]) == (0, "", "")
    assert host.run_command(["nft", "list", "ruleset"]) == (0, "", "")
    assert host.run_command(["iptables-save"]) == (0, "", "")
    assert calls == [["nft", "list", "ruleset"], ["iptables-save"]]
