# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_settings: what passes, what is refused (and why), what is skipped."""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _validate
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlInputError

CONTEXT = {
    "kernel": "6.1.0-18-amd64", "kernel_version": [6, 1, 0], "initial_netns": True,
    "proc_sys_net_writable": True, "mem_total_bytes": 8 * 1024 ** 3, "page_size": 4096,
    "nat_facing": False, "nat_mode": "none", "nat_evidence": ["net.ipv4.ip_forward=0"],
    "listen_ports": [22], "time_wait": 10, "active_opens": 500, "passive_opens": 100,
    "sysctl_live": {"net.ipv4.tcp_timestamps": "1", "net.ipv4.tcp_tw_reuse": "2",
                    "net.core.somaxconn": "4096", "net.ipv4.tcp_max_syn_backlog": "1024"},
}
OLD_KERNEL = dict(CONTEXT, kernel="4.9.0-8-amd64", kernel_version=[4, 9, 0])
CHILD_NS = dict(CONTEXT, initial_netns=False)
NAT = dict(CONTEXT, nat_facing=True, nat_mode="gateway",
           nat_evidence=["net.ipv4.ip_forward=1", "masquerade rule in table ip nat chain postrouting"])


def validate(settings, context=None, live=None, missing="fail"):
    context = CONTEXT if context is None else context
    if live is None:
        live = dict((key, "0") for key in (settings or {}) if isinstance(key, str))
    return _validate.validate_settings(settings, context, live, missing)


def refused_ids(result):
    return dict((item["key"], item["id"]) for item in result["refused"])


def test_valid_values_are_normalised():
    result = validate({"net.ipv4.tcp_fin_timeout": 30, "net.ipv4.tcp_rmem": "4096\t131072  6291456",
                       "net.ipv4.tcp_wmem": [4096, "16384", 4194304], "net.ipv4.ip_local_port_range": "32768 60999"})
    assert result["refusals"] == [] and result["skipped"] == {}
    assert result["desired"] == {
        "net.ipv4.tcp_fin_timeout": {"value": "30", "bound": None},
        "net.ipv4.tcp_rmem": {"value": "4096 131072 6291456", "bound": None},
        "net.ipv4.tcp_wmem": {"value": "4096 16384 4194304", "bound": None},
        "net.ipv4.ip_local_port_range": {"value": "32768 60999", "bound": None},
    }


def test_bounds_pass_through():
    result = validate({"net.core.somaxconn": ">=4096", "net.ipv4.tcp_fin_timeout": "<= 30"})
    assert result["desired"]["net.core.somaxconn"] == {"value": None, "bound": (">=", 4096)}
    assert result["desired"]["net.ipv4.tcp_fin_timeout"] == {"value": None, "bound": ("<=", 30)}


@pytest.mark.parametrize("settings, rule_id", [
    ({"net.ipv4.tcp_rmem": ">=4096"}, "value-shape"),           # bound on a triple
    ({"net.core.somaxconn": ">=-5"}, "value-shape"),            # bound out of range
    ({"net.ipv4.tcp_sack": True}, "value-boolean"),
    ({"net.ipv4.tcp_sack": "on"}, "value-boolean"),
    ({"net.ipv4.tcp_sack": "Yes"}, "value-boolean"),
    ({"net.ipv4.tcp_rmem": [4096, False, 1]}, "value-boolean"),
    ({"net.ipv4.tcp_fin_timeout": '"30"'}, "value-quoted"),
    ({"net.ipv4.ip_local_port_range": "'1024 65000'"}, "value-quoted"),
    ({"net.ipv4.tcp_fin_timeout": "30\nkernel.panic=1"}, "value-invalid"),
    ({"net.ipv4.tcp_fin_timeout": "30=1"}, "value-invalid"),
    ({"net.ipv4.tcp_fin_timeout": ""}, "value-invalid"),
    ({"net.ipv4.tcp_fin_timeout": None}, "value-invalid"),
    ({"net.ipv4.tcp_fin_timeout": 1.5}, "value-invalid"),
    ({"net.ipv4.tcp_fin_timeout": 2 ** 70}, "value-invalid"),
    ({"net.ipv4.tcp_fin_timeout": -1}, "value-shape"),
    ({"net.ipv4.tcp_tw_reuse": 3}, "value-shape"),
    ({"net.ipv4.tcp_rmem": "4096 87380"}, "value-shape"),
    ({"../../etc/passwd": 1}, "key-invalid"),
    ({"/proc/sys/net/ipv4/tcp_fin_timeout": 1}, "key-invalid"),
    ({"net.ipv4.TCP_FIN_TIMEOUT": 1}, "key-invalid"),
    ({7: 1}, "key-invalid"),
])
def test_refusals_name_the_rule(settings, rule_id):
    result = validate(settings)
    assert list(refused_ids(result).values()) == [rule_id], result["refused"]
    assert result["desired"] == {}
    assert len(result["refusals"]) == 1 and result["refusals"][0][1]


def test_every_offending_key_is_named_at_once():
    result = validate({"net.ipv4.tcp_sack": "yes", "net.ipv4.tcp_fin_timeout": "x", "net.core.somaxconn": 1024,
                       "bad..key": 1})
    assert sorted(key for key, _reason in result["refusals"]) == [
        "bad..key", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_sack"]
    assert list(result["desired"]) == ["net.core.somaxconn"]


def test_keys_outside_the_catalog_get_format_checks_only():
    result = validate({"net.ipv4.conf.eth0/100.rp_filter": 2, "vm.swappiness": "10"})
    assert set(result["desired"]) == {"net.ipv4.conf.eth0/100.rp_filter", "vm.swappiness"}


def test_absent_key_fails_or_skips_with_the_kernel_version():
    live = {"net.ipv4.tcp_tw_reuse_delay": None}
    result = validate({"net.ipv4.tcp_tw_reuse_delay": 100}, live=live)
    assert refused_ids(result) == {"net.ipv4.tcp_tw_reuse_delay": "key-missing"}
    assert "added in Linux 6.14; this host runs 6.1" in result["refusals"][0][1]
    result = validate({"net.ipv4.tcp_tw_reuse_delay": 100}, live=live, missing="skip")
    assert result["refusals"] == [] and "6.14" in result["skipped"]["net.ipv4.tcp_tw_reuse_delay"]


def test_unknown_absent_key_is_reported_as_such():
    result = validate({"net.ipv4.tcp_made_up": 1}, live={"net.ipv4.tcp_made_up": None})
    assert "no such key under /proc/sys" in result["refusals"][0][1]
    assert "6.1" in result["refusals"][0][1]


@pytest.mark.parametrize("key", ["net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog"])
def test_initial_namespace_only_keys_in_a_child_namespace(key):
    value = "1 2 3" if key == "net.ipv4.tcp_mem" else 1000
    result = validate({key: value}, context=CHILD_NS, live={key: None})
    assert refused_ids(result) == {key: "key-missing"}
    assert "initial network namespace" in result["refusals"][0][1]
    assert "on the host itself" in result["refused"][0]["remediation"]
    # The catalog alone knows it when live values were not read.
    result = validate({key: value}, context=CHILD_NS, live={}, missing="skip")
    assert key in result["skipped"]


def test_machine_wide_key_is_read_only_in_a_child_namespace():
    result = validate({"net.core.rmem_max": 16777216}, context=CHILD_NS, live={"net.core.rmem_max": "212992"})
    assert refused_ids(result) == {"net.core.rmem_max": "key-missing"}
    assert "machine-wide" in result["refusals"][0][1]
    result = validate({"net.core.rmem_max": 16777216}, context=CONTEXT, live={"net.core.rmem_max": "212992"})
    assert result["refusals"] == []


def test_tw_recycle_one_is_refused_on_a_nat_facing_host_at_any_version():
    result = validate({"net.ipv4.tcp_tw_recycle": 1}, context=dict(NAT, kernel_version=[4, 9, 0]),
                      live={"net.ipv4.tcp_tw_recycle": "0"})
    assert refused_ids(result) == {"net.ipv4.tcp_tw_recycle": "tw-recycle-nat"}
    assert "masquerade rule in table ip nat chain postrouting" in result["refusals"][0][1]


def test_tw_recycle_one_on_a_nat_facing_host_without_the_key_gets_both_reasons():
    result = validate({"net.ipv4.tcp_tw_recycle": 1}, context=NAT, live={"net.ipv4.tcp_tw_recycle": None})
    [refused] = result["refused"]
    assert [item["id"] for item in refused["findings"]] == ["tw-recycle-removed", "tw-recycle-nat"]
    assert len(result["refusals"]) == 1
    assert "removed in Linux 4.12" in result["refusals"][0][1] and "NAT-facing" in result["refusals"][0][1]


def test_tw_recycle_one_is_refused_where_removed_even_with_missing_skip():
    result = validate({"net.ipv4.tcp_tw_recycle": 1}, live={"net.ipv4.tcp_tw_recycle": None}, missing="skip")
    assert refused_ids(result) == {"net.ipv4.tcp_tw_recycle": "tw-recycle-removed"}
    assert "4.12" in result["refusals"][0][1] and "6.1" in result["refusals"][0][1]


def test_tw_recycle_one_passes_on_an_old_kernel_only_where_nat_is_ruled_out():
    # listening on :22 with ip_forward=0 does not rule NAT out: the guard fails closed
    result = validate({"net.ipv4.tcp_tw_recycle": 1}, context=OLD_KERNEL, live={"net.ipv4.tcp_tw_recycle": "0"})
    assert [key for key, _reason in result["refusals"]] == ["net.ipv4.tcp_tw_recycle"]
    assert "cannot be ruled out" in result["refusals"][0][1]
    explicit = dict(OLD_KERNEL, nat_mode="explicit", nat_evidence=["nat_facing=false given explicitly"])
    result = validate({"net.ipv4.tcp_tw_recycle": 1}, context=explicit, live={"net.ipv4.tcp_tw_recycle": "0"})
    assert result["refusals"] == []
    assert result["desired"]["net.ipv4.tcp_tw_recycle"]["value"] == "1"
    assert [item["id"] for item in result["findings"]] == ["tw-recycle-on"]


@pytest.mark.parametrize("missing", ["fail", "skip"])
def test_tw_recycle_zero_where_removed_is_satisfied(missing):
    result = validate({"net.ipv4.tcp_tw_recycle": 0}, live={"net.ipv4.tcp_tw_recycle": None}, missing=missing)
    assert result["refusals"] == [] and result["desired"] == {}
    assert "4.12" in result["skipped"]["net.ipv4.tcp_tw_recycle"]
    assert [item["id"] for item in result["findings"]] == ["tw-recycle-obsolete"]


def test_tw_recycle_zero_is_desired_where_it_exists():
    result = validate({"net.ipv4.tcp_tw_recycle": 0}, context=OLD_KERNEL, live={"net.ipv4.tcp_tw_recycle": "1"})
    assert result["desired"]["net.ipv4.tcp_tw_recycle"]["value"] == "0"


def test_findings_judge_desired_values_over_live_ones():
    # desired timestamps=0 makes the live tcp_tw_reuse=1 inert: reported although reuse is not desired
    context = dict(CONTEXT, sysctl_live=dict(CONTEXT["sysctl_live"], **{"net.ipv4.tcp_tw_reuse": "1"}))
    result = validate({"net.ipv4.tcp_timestamps": 0}, context=context, live={"net.ipv4.tcp_timestamps": "1"})
    # (tcp_timestamps=0 is also judged on its own: timestamps-off)
    assert [item["id"] for item in result["findings"]] == ["tw-reuse-no-timestamps", "timestamps-off"]
    # ... and fixing it in the same set clears it
    result = validate({"net.ipv4.tcp_timestamps": 1, "net.ipv4.tcp_tw_reuse": 1}, context=context, live={})
    assert result["findings"] == []


def test_findings_ignore_keys_outside_the_desired_set():
    context = dict(CONTEXT, sysctl_live=dict(CONTEXT["sysctl_live"], **{"net.ipv4.tcp_fin_timeout": "1"}))
    assert validate({"net.core.somaxconn": 8192}, context=context)["findings"] == []


def test_bound_findings_use_the_value_that_would_apply():
    context = dict(CONTEXT)
    result = validate({"net.ipv4.tcp_max_syn_backlog": ">=8192"}, context=context,
                      live={"net.ipv4.tcp_max_syn_backlog": "1024"})
    assert [item["id"] for item in result["findings"]] == ["syn-backlog-above-somaxconn"]
    result = validate({"net.ipv4.tcp_max_syn_backlog": ">=512"}, context=context,
                      live={"net.ipv4.tcp_max_syn_backlog": "1024"})
    assert result["findings"] == []


def test_bad_arguments():
    with pytest.raises(SysctlInputError):
        validate({}, missing="ignore")
    result = validate(["net.ipv4.tcp_fin_timeout"])
    assert result["refusals"][0][0] == "settings"
    assert validate(None)["desired"] == {}


def test_planned_values():
    desired = {"a.b": {"value": "1", "bound": None}, "c.d": {"value": None, "bound": (">=", 10)},
               "e.f": {"value": None, "bound": ("<=", 10)}}
    values = _validate.planned_values(desired, {"sysctl_live": {"x.y": "5"}}, {"c.d": "20", "e.f": "20"})
    assert values == {"x.y": "5", "a.b": "1", "c.d": "20", "e.f": "10"}
