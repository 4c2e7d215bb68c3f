# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_check, sysctl_profile (check mode), the tuning role's verify and the audit report agree.

Each case runs through the four public entry points on one fake host whose live value is
``live``: the sysctl_check module, the sysctl_profile module under --check, the
tcp_profile_verify filter over sysctl_check's result, and the audit report built from
a record holding that result. All four must say the same thing: the wanted value is
already what the kernel holds, or it is not.
"""

import copy
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.filter.tcp_profile import tcp_profile_verify
from ansible_collections.netfleet.tcp.plugins.modules import sysctl_check, sysctl_profile
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import host_entry
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc

RECORDS = os.path.join(os.path.dirname(__file__), "..", "fixtures", "audit", "records.json")

# (key, live value as the kernel prints it, wanted value, the kernel already holds it)
CASES = [
    ("net.ipv4.ip_local_reserved_ports", "8080-8081", "8080,8081", True),
    ("net.ipv4.ip_local_reserved_ports", "8080-8081", "8080,8082", False),
    ("net.ipv4.tcp_fin_timeout", "30", "030", False),      # octal: the kernel would set 24
    ("net.ipv4.tcp_fin_timeout", "24", "030", True),
    ("net.ipv4.tcp_fin_timeout", "30", "0x1e", True),
    ("net.ipv4.tcp_fin_timeout", "31", "0x1e", False),
    ("net.ipv4.tcp_rmem", "4096\t131072\t6291456", "4096 131072  6291456", True),
    ("net.ipv4.tcp_rmem", "4096\t131072\t6291456", "4096\t131072\t6291457", False),
    ("net.core.somaxconn", "4096", ">=1024", True),
    ("net.core.somaxconn", "4096", ">=8192", False),
    ("net.core.somaxconn", "4096", "<=8192", True),
    ("net.core.somaxconn", "4096", "<=1024", False),
]
IDS = ["%s:%r-vs-%r" % (key.rsplit(".", 1)[1], live, wanted) for key, live, wanted, _same in CASES]


@pytest.fixture
def host(tmp_path, monkeypatch):
    def build(key, live):
        proc = build_proc(tmp_path, sysctls={key: live}, listeners=[])
        root = tmp_path / "root"
        (root / "etc" / "sysctl.d").mkdir(parents=True, exist_ok=True)
        for module in (sysctl_check, sysctl_profile):
            monkeypatch.setattr(module, "PROC", proc)
            monkeypatch.setattr(module, "ROOT", str(root))
        return tmp_path
    return build


def run(module, args, capsys, check_mode=False):
    args = dict(args, nat_facing="false")
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def check_says(result, key):
    return not any(item["id"] == "live-differs-desired" and item["key"] == key for item in result["drift"])


def profile_says(result, key):
    assert "failed" not in result, result.get("msg")
    return result["keys"][key]["status"] == "unchanged"


def verify_says(check, key, wanted):
    return tcp_profile_verify(check, {key: wanted}, "host1") == []


def audit_says(check, key):
    with open(RECORDS) as handle:
        record = copy.deepcopy(json.load(handle)["web1"])
    record["check"] = check
    entry = host_entry("host1", record)
    return key not in [item["key"] for item in entry["drifted_keys"]]


@pytest.mark.parametrize("key,live,wanted,same", CASES, ids=IDS)
def test_all_four_agree(host, capsys, key, live, wanted, same):
    host(key, live)
    check = run(sysctl_check, {"settings": {key: wanted}, "fail_on": "never"}, capsys)
    profile = run(sysctl_profile, {"name": "agree", "settings": {key: wanted}}, capsys, check_mode=True)
    verdicts = {
        "sysctl_check": check_says(check, key),
        "sysctl_profile": profile_says(profile, key),
        "tcp_profile_verify": verify_says(check, key, wanted),
        "audit_report": audit_says(check, key),
    }
    assert verdicts == dict((name, same) for name in verdicts)


@pytest.mark.parametrize("wanted,kernel", [("030", "24"), ("0x1e", "30"), ("010240 65001", "4256 65001")])
def test_leading_zero_and_hex_show_and_persist_what_the_kernel_holds(host, capsys, warned, wanted, kernel):
    key = "net.ipv4.ip_local_port_range" if " " in wanted else "net.ipv4.tcp_fin_timeout"
    base = host(key, "32768\t60999" if " " in wanted else "60")
    profile = run(sysctl_profile, {"name": "radix", "settings": {key: wanted}, "_ansible_diff": True}, capsys,
                  check_mode=True)
    assert profile["keys"][key]["after"] == kernel
    assert "%s = %s\n" % (key, kernel) in profile["diff"][0]["after"]
    assert "%s = %s\n" % (key, kernel) in profile["diff"][1]["after"]
    assert wanted not in profile["diff"][1]["after"]
    check = run(sysctl_check, {"settings": {key: wanted}, "fail_on": "never"}, capsys)
    assert check["keys"][key]["desired"] == kernel
    rule = "value-hex" if wanted.startswith("0x") else "value-leading-zero"
    assert [item["severity"] for item in check["findings"] if item["id"] == rule] == [
        "info" if rule == "value-hex" else "warning"]
    if rule == "value-leading-zero":
        assert any("it would set %s" % kernel.split()[0] in warning for warning in warned), warned
    profile = run(sysctl_profile, {"name": "radix", "settings": {key: wanted}}, capsys)
    dropin = (base / "root" / "etc" / "sysctl.d" / "99-zz-netfleet-tcp-radix.conf").read_text()
    assert "%s = %s\n" % (key, kernel) in dropin and wanted not in dropin
