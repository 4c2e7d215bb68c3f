# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NAT-facing detection: explicit choice, gateway rules from nft or iptables, the server heuristic."""

import os
import stat

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _nat

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "nat")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


class FakeRunner(object):
    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.outputs[os.path.basename(argv[0])]


def which_only(*names):
    return lambda name: "/usr/sbin/" + name if name in names else None


PUBLIC = [("ipv4", "0.0.0.0", 22), ("ipv6", "::", 443)]


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("False", False), ("yes", True), ("no", False),
    ("auto", "auto"), ("AUTO", "auto"), (None, "auto"),
])
def test_parse_nat_facing(value, expected):
    assert _nat.parse_nat_facing(value) == expected


def test_parse_nat_facing_refuses_nonsense():
    with pytest.raises(ValueError):
        _nat.parse_nat_facing("sometimes")


def test_explicit_choice_wins_and_probes_nothing():
    runner = FakeRunner({})
    for choice in (True, False):
        result = _nat.detect(choice, ip_forward="1", listeners=PUBLIC, active_opens=1,
                             passive_opens=1000, run=runner, which=which_only("nft"))
        assert result["nat_facing"] is choice
        assert result["nat_mode"] == "explicit"
    assert runner.calls == []


def test_nft_gateway_lists_every_nat_rule():
    assert _nat.nat_rules_from_nft(fixture("nft_gateway.json")) == [
        "masquerade rule in table ip nat chain postrouting",
        "snat rule in table ip nat chain POSTROUTING",
        "masquerade rule in table ip nat chain POSTROUTING",
    ]
    assert _nat.nat_rules_from_nft(fixture("nft_native_snat.json")) == [
        "snat rule in table inet nat chain srcnat"]
    assert _nat.nat_rules_from_nft(fixture("nft_filter_only.json")) == []


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"other": []}'])
def test_nft_garbage_is_an_error(text):
    with pytest.raises(ValueError):
        _nat.nat_rules_from_nft(text)


def test_iptables_save_rules():
    assert _nat.nat_rules_from_iptables_save(fixture("iptables_legacy_nat.txt")) == [
        "snat rule in iptables table nat chain POSTROUTING",
        "masquerade rule in iptables table nat chain POSTROUTING",
    ]
    assert _nat.nat_rules_from_iptables_save(fixture("iptables_legacy_empty.txt")) == []


def test_gateway_through_nft_with_lc_all_argv():
    runner = FakeRunner({"nft": (0, fixture("nft_gateway.json"), "")})
    result = _nat.detect("auto", ip_forward="1", listeners=[], run=runner, which=which_only("nft", "iptables-save"))
    assert result["nat_facing"] is True and result["nat_mode"] == "gateway"
    assert result["nat_evidence"][0] == "net.ipv4.ip_forward=1"
    assert "masquerade rule in table ip nat chain postrouting" in result["nat_evidence"]
    assert runner.calls == [["/usr/sbin/nft", "-j", "list", "ruleset"]]


def test_gateway_through_legacy_iptables_when_nft_is_missing():
    runner = FakeRunner({"iptables-save": (0, fixture("iptables_legacy_nat.txt"), "")})
    result = _nat.detect("auto", ip_forward="1", listeners=[], run=runner, which=which_only("iptables-save"))
    assert result["nat_mode"] == "gateway"
    assert runner.calls == [["/usr/sbin/iptables-save", "-t", "nat"]]


def test_failing_nft_falls_back_to_iptables_save():
    runner = FakeRunner({"nft": (1, "", "Operation not permitted"),
                         "iptables-save": (0, fixture("iptables_legacy_nat.txt"), "")})
    result = _nat.detect("auto", ip_forward="1", listeners=[], run=runner, which=which_only("nft", "iptables-save"))
    assert result["nat_mode"] == "gateway"


def test_forwarding_without_nat_rules_is_not_a_gateway():
    runner = FakeRunner({"nft": (0, fixture("nft_filter_only.json"), "")})
    result = _nat.detect("auto", ip_forward="1", listeners=[], run=runner, which=which_only("nft"))
    assert result["nat_facing"] is False
    assert "no masquerade or SNAT rule" in result["nat_evidence"][0]


def test_nat_rules_without_forwarding_are_not_read():
    runner = FakeRunner({"nft": (0, fixture("nft_gateway.json"), "")})
    result = _nat.detect("auto", ip_forward="0", listeners=[], run=runner, which=which_only("nft"))
    assert result["nat_facing"] is False
    assert runner.calls == []
    assert result["nat_evidence"][0] == "net.ipv4.ip_forward=0"


def test_no_tools_at_all_is_said():
    result = _nat.detect("auto", ip_forward="1", listeners=[], run=FakeRunner({}), which=which_only())
    assert "neither nft nor iptables-save" in result["nat_evidence"][0]


@pytest.mark.parametrize("listeners, active, passive, expected", [
    (PUBLIC, 10, 11, True),          # accepts more than it opens, on a public address
    (PUBLIC, 11, 11, False),         # boundary: equal is not "more"
    ([("ipv4", "127.0.0.1", 8080), ("ipv6", "::1", 8080), ("ipv6", "::ffff:127.0.0.1", 80)], 1, 1000, False),
    ([], 1, 1000, False),
    (PUBLIC, None, None, False),
])
def test_server_heuristic(listeners, active, passive, expected):
    result = _nat.detect("auto", ip_forward="0", listeners=listeners, active_opens=active, passive_opens=passive)
    assert result["nat_facing"] is expected
    assert result["nat_mode"] == ("server" if expected else "none")
    if expected:
        assert "0.0.0.0:22" in result["nat_evidence"][1] and "[::]:443" in result["nat_evidence"][1]
        assert "PassiveOpens 11 > ActiveOpens 10" in result["nat_evidence"][2]


def test_server_evidence_lists_a_mapped_ipv4_listener_without_brackets():
    listeners = [("ipv6", "10.0.0.1", 80), ("ipv6", "2001:db8::1", 443)]
    result = _nat.detect("auto", ip_forward="0", listeners=listeners, active_opens=1, passive_opens=2)
    assert result["nat_evidence"][1] == "listening on non-loopback addresses: 10.0.0.1:80, [2001:db8::1]:443"


def test_find_command_and_default_run(tmp_path):
    tool = tmp_path / "nft"
    tool.write_text("#!/bin/sh\necho \"$LC_ALL $1\"\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    assert _nat.find_command("nft", path=str(tmp_path)) == str(tool)
    assert _nat.find_command("surely-not-installed-anywhere", path=str(tmp_path)) is None
    assert _nat.default_run([str(tool), "-j"]) == (0, "C -j\n", "")
    rc, _out, err = _nat.default_run([str(tmp_path / "missing")])
    assert rc == 127 and err
