# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regression tests for what the reliability suite found, one block per fix."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _sysctl_keys
from ansible_collections.netfleet.tcp.plugins.modules import sysctl_profile
from ansible_collections.netfleet.tcp.tests.unit.reliability.support import snapshot


# --- a trailing newline passed the name patterns ('$' matches before a final "\n"), so
# --- "web\n" wrote /etc/sysctl.d/99-zz-netfleet-tcp-web\n.conf and keys ending in "\n" were
# --- accepted as sysctl names.

@pytest.mark.parametrize("key", ["net.ipv4.tcp_fin_timeout\n", "net.ipv4.conf.eth0\n.rp_filter",
                                 "net.ipv4.conf.eth0/1\n.rp_filter"])
def test_a_trailing_newline_is_not_part_of_a_sysctl_name(key):
    assert _sysctl_keys.key_problem(key) is not None
    with pytest.raises(_sysctl_keys.SysctlInputError):
        _sysctl_keys.key_to_path(key, "/proc/sys")


def test_a_trailing_newline_is_not_part_of_a_profile_name():
    assert "may only hold" in _dropin.name_problem("web\n")
    assert _dropin.path_problem("/etc/sysctl.d/web.conf\n") is not None


def test_profile_named_with_a_trailing_newline_writes_nothing(fake_host, monkeypatch, capsys):
    monkeypatch.setattr(sysctl_profile, "PROC", fake_host["proc"])
    monkeypatch.setattr(sysctl_profile, "ROOT", fake_host["root"])
    before = snapshot(fake_host["base"])
    with patch_module_args({"name": "web\n", "nat_facing": "false", "settings": {"net.ipv4.tcp_fin_timeout": 30}}):
        with pytest.raises(SystemExit):
            sysctl_profile.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] is True and "profile name" in out["msg"]
    assert snapshot(fake_host["base"]) == before


# --- to_sysctl_conf: a header list holding a non-string crashed with a bare TypeError.

@pytest.mark.parametrize("header", [[1], ["managed", None], [["nested"]], [{"a": 1}]])
def test_to_sysctl_conf_names_a_header_line_that_is_not_text(header):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netfleet.tcp.plugins.filter.sysctl_conf import to_sysctl_conf

    with pytest.raises(AnsibleFilterError, match="to_sysctl_conf: header must be a string or a list of lines"):
        to_sysctl_conf({"net.ipv4.tcp_fin_timeout": 30}, header=header)


# --- tcp_pressure: ports.destinations that is not a list crashed with "'int' object is not iterable";
# --- like other unusable fields it is now read as holding nothing.

@pytest.mark.parametrize("destinations", [1, True, 2.5, "10.0.0.1:443", {"address": "10.0.0.1"}])
def test_tcp_pressure_reads_unusable_destinations_as_none(destinations):
    from ansible_collections.netfleet.tcp.plugins.filter.tcp_pressure import tcp_pressure_filter as tcp_pressure

    result = tcp_pressure({"states": {}, "limits": {}, "ports": {"usable_ports": 100, "destinations": destinations}})
    empty = tcp_pressure({"states": {}, "limits": {}, "ports": {"usable_ports": 100, "destinations": []}})
    assert result["ephemeral_ports"] == empty["ephemeral_ports"]


# --- tcp_profile / tcp_profile_plan: a profile given as a mapping or list item, a context whose
# --- listen_ports is not a list of ports, or a check result whose keys is not a mapping crashed
# --- with bare TypeErrors (unhashable type, int() of a character).

CONTEXT = {"mem_total_bytes": 8 << 30, "page_size": 4096, "listen_ports": [22], "kernel_version": [6, 1, 0]}


@pytest.mark.parametrize("host, profile, words", [
    ({"context": CONTEXT}, {"web_frontend": True}, "given by its name"),
    ({"context": CONTEXT}, [["web_frontend"]], "given by its name"),
    ({"context": dict(CONTEXT, listen_ports="22,80")}, "outbound_heavy", "list of port numbers"),
    ({"context": dict(CONTEXT, listen_ports=[True])}, "outbound_heavy", "list of port numbers"),
    ({"context": CONTEXT, "keys": [1]}, "outbound_heavy", "'keys' must be"),
])
@pytest.mark.parametrize("name", ["tcp_profile", "tcp_profile_plan"])
def test_tcp_profile_names_unusable_input(name, host, profile, words):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netfleet.tcp.plugins.filter.tcp_profile import FilterModule

    with pytest.raises(AnsibleFilterError, match="netfleet.tcp.%s: .*%s" % (name, words)):
        FilterModule().filters()[name](host, profile)


# --- /proc/net/tcp: a '-' in an address field escaped as struct.error, and '-050' read as port -80.

@pytest.mark.parametrize("field", ["-1234567:0050", "0100007F:-050", "0x00007F:0050", "0100007F:+050"])
def test_proc_net_tcp_line_with_a_signed_field_is_a_parse_error(field):
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net
    from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ParseError

    line = "   0: %s 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1" % field
    with pytest.raises(ParseError, match="kernel's layout|hex digits"):
        _proc_net.parse_proc_tcp_line(line, "ipv4", "/proc/net/tcp")


# --- state record: deeply nested JSON escaped json.loads as RecursionError.

def test_a_deeply_nested_record_is_a_record_error(tmp_path):
    from ansible_collections.netfleet.tcp.plugins.module_utils import _state_record

    (tmp_path / "sysctl_profile-web.json").write_text("[" * 200000)
    with pytest.raises(_state_record.StateRecordError, match="nested too deeply"):
        _state_record.load(str(tmp_path), "web")


# --- nft JSON: a rule whose "expr" is not a list crashed NAT detection with a TypeError.

@pytest.mark.parametrize("expr", [True, 1, "masquerade", {"masquerade": None}])
def test_nft_rule_with_unusable_expressions_is_skipped(expr):
    from ansible_collections.netfleet.tcp.plugins.module_utils import _nat

    text = json.dumps({"nftables": [{"rule": {"family": "ip", "table": "nat", "chain": "post", "expr": expr}},
                                    {"rule": {"family": "ip", "table": "nat", "chain": "post",
                                              "expr": [{"masquerade": None}]}}]})
    assert _nat.nat_rules_from_nft(text) == ["masquerade rule in table ip nat chain post"]


# --- sysctl.conf parser: a key made of separators only ("/ = 1") parsed as an assignment to the
# --- empty key, which render() then refused with a ValueError.

@pytest.mark.parametrize("text", ["/ = 1\n", "// = 1\n", "-/ = 1\n", "-/\n"])
def test_a_key_of_separators_only_is_an_invalid_line(text):
    from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_conf

    entries = _sysctl_conf.parse(text, "x.conf")
    assert [entry["kind"] for entry in entries] == ["invalid"]
    assert _sysctl_conf.render(entries) == ""


# --- a key starting with '-' passed validation, and to_sysctl_conf wrote "-net.ipv4.x = 1",
# --- which sysctl.d reads as net.ipv4.x with errors ignored.

def test_a_key_starting_with_a_dash_is_refused():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netfleet.tcp.plugins.filter.sysctl_conf import to_sysctl_conf

    assert "ignore errors" in _sysctl_keys.key_problem("-net.ipv4.tcp_fin_timeout")
    with pytest.raises(AnsibleFilterError, match="must not start with '-'"):
        to_sysctl_conf({"-net.ipv4.tcp_fin_timeout": 30})
    assert to_sysctl_conf([{"key": "net.ipv4.tcp_fin_timeout", "value": 30, "ignore_errors": True}]) == \
        "-net.ipv4.tcp_fin_timeout = 30\n"


# --- /proc/meminfo: a field that str.isdigit() accepts but int() refuses ('\u00b2') crashed.

def test_meminfo_skips_fields_int_cannot_read(tmp_path):
    from ansible_collections.netfleet.tcp.plugins.module_utils import _host_context

    (tmp_path / "meminfo").write_text("MemTotal: \u00b2 kB\nMemFree: 12 kB\n", encoding="utf-8")
    assert _host_context.meminfo(str(tmp_path)) == {"MemFree": 12 * 1024}
