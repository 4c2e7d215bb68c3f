# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every value rule on both sides of its boundary, and the rule list itself."""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _rules

GIB = 1024 ** 3
CONTEXT = {
    "kernel_version": [6, 1, 0], "mem_total_bytes": 8 * GIB, "page_size": 4096, "nat_facing": False,
    "nat_evidence": [], "listen_ports": [22, 8080, 40000], "time_wait": 5000,
    "active_opens": 500, "passive_opens": 100,
}


def ids(values, context=None, focus=None):
    context = CONTEXT if context is None else context
    return [(item["id"], item["key"]) for item in _rules.evaluate(values, context, focus)]


def one(values, rule_id, context=None):
    context = CONTEXT if context is None else context
    found = [item for item in _rules.evaluate(values, context) if item["id"] == rule_id]
    assert len(found) == 1, found
    item = found[0]
    assert item["severity"] == _rules.rule(rule_id).severity
    assert item["message"] and item["remediation"]
    return item


def none_of(values, rule_id, context=None):
    context = CONTEXT if context is None else context
    assert [item for item in _rules.evaluate(values, context) if item["id"] == rule_id] == []


def test_rule_list_is_documented_and_stable():
    described = _rules.describe()
    seen = [item["id"] for item in described]
    assert len(seen) == len(set(seen))
    for item in described:
        assert item["severity"] in _rules.SEVERITIES
        assert item["title"] and len(item["description"]) > 30
        assert item["family"] in ("input", "value", "persisted", "pressure")
    assert {"key-missing", "tw-recycle-nat", "tcp-mem-above-ram", "persisted-shadows-desired"} <= set(seen)
    assert set(item["family"] for item in described) == set(_rules.FAMILIES)
    assert {"pressure-time-wait", "pressure-orphans", "pressure-ephemeral-ports",
            "pressure-accept-queue"} == set(_rules.ids("pressure"))


def test_finding_shape():
    item = _rules.finding("fin-timeout-low", "k.k", "1", "m", "r")
    assert item == {"id": "fin-timeout-low", "severity": "warning", "key": "k.k", "value": "1",
                    "message": "m", "remediation": "r"}


def test_empty_values_find_nothing():
    assert _rules.evaluate({}, CONTEXT) == []
    assert _rules.evaluate({}, {}) == []


# --- tcp_tw_recycle on live values -------------------------------------------------------

def test_live_tw_recycle_on_nat_facing_host():
    context = dict(CONTEXT, nat_facing=True, nat_evidence=["net.ipv4.ip_forward=1", "masquerade rule in table ip nat chain post"])
    item = one({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-nat", context)
    assert "masquerade rule in table ip nat chain post" in item["message"]
    none_of({"net.ipv4.tcp_tw_recycle": "0"}, "tw-recycle-nat", context)
    # NAT ruled out (nat_facing=false given): no refusal, but a warning where the key exists
    ruled_out = dict(CONTEXT, kernel_version=[4, 9, 0], nat_facing=False, nat_mode="explicit")
    none_of({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-nat", ruled_out)
    assert "4396e46187ca" in _rules.rule("tw-recycle-on").description
    one({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-on", ruled_out)


def test_tw_recycle_guard_fails_closed():
    # An internet-facing reverse proxy opens at least as many connections as it accepts: the
    # old heuristic called it "not NAT-facing". NAT is not ruled out, so 1 is refused.
    proxy = dict(CONTEXT, kernel_version=[4, 9, 0], nat_facing=False, nat_mode="none",
                 nat_evidence=["net.ipv4.ip_forward=0", "opens at least as many connections as it accepts "
                               "(ActiveOpens 900, PassiveOpens 800)"])
    item = one({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-nat", proxy)
    assert "cannot be ruled out" in item["message"]
    unknown = dict(proxy, nat_evidence=["net.ipv4.ip_forward=unknown", "connection counters unavailable"])
    one({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-nat", unknown)
    # no listener but loopback and no forwarding: ruled out, a warning only
    quiet = dict(proxy, nat_evidence=["net.ipv4.ip_forward=0", "no TCP listener on a non-loopback address"])
    none_of({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-nat", quiet)
    one({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-on", quiet)
    none_of({"net.ipv4.tcp_tw_recycle": "1"}, "tw-recycle-on", dict(quiet, kernel_version=[4, 12, 0]))


def test_guard_removed_kernel():
    no_nat = dict(CONTEXT, nat_mode="explicit")  # nat_facing=false given: NAT ruled out
    [item] = _rules.tw_recycle_guards("1", no_nat, exists=False)
    assert item["id"] == "tw-recycle-removed" and "6.1" in item["message"]
    assert _rules.tw_recycle_guards("0", no_nat, exists=False) == []
    assert _rules.tw_recycle_guards("1", no_nat, exists=True) == []
    # without evidence that rules NAT out, the guard fails closed
    assert [item["id"] for item in _rules.tw_recycle_guards("1", CONTEXT, exists=True)] == ["tw-recycle-nat"]


def test_guard_gives_every_reason_at_once():
    context = dict(CONTEXT, nat_facing=True, nat_evidence=["net.ipv4.ip_forward=1"])
    assert [item["id"] for item in _rules.tw_recycle_guards("1", context, exists=False)] == [
        "tw-recycle-removed", "tw-recycle-nat"]


# --- tcp_tw_reuse ---------------------------------------------------------------------------

@pytest.mark.parametrize("reuse, timestamps, fires", [
    ("1", "0", True), ("2", "0", True), ("0", "0", False), ("1", "1", False), ("1", "2", False), ("1", None, False),
])
def test_tw_reuse_without_timestamps(reuse, timestamps, fires):
    values = {"net.ipv4.tcp_tw_reuse": reuse}
    if timestamps is not None:
        values["net.ipv4.tcp_timestamps"] = timestamps
    if fires:
        item = one(values, "tw-reuse-no-timestamps")
        assert "tcp_timestamps=1" in item["remediation"]
    else:
        none_of(values, "tw-reuse-no-timestamps")


@pytest.mark.parametrize("active, passive, fires", [
    (20, 80, True),      # exactly 80 % accepted
    (21, 79, False),     # just below
    (2, 97, False),      # under 100 connections in all: too little to judge
    (3, 97, True),
    (None, 97, False),
])
def test_tw_reuse_on_accepting_host(active, passive, fires):
    context = dict(CONTEXT, active_opens=active, passive_opens=passive)
    values = {"net.ipv4.tcp_tw_reuse": "1"}
    if fires:
        assert "PassiveOpens %d" % passive in one(values, "tw-reuse-accepting-host", context)["message"]
    else:
        none_of(values, "tw-reuse-accepting-host", context)
    none_of({"net.ipv4.tcp_tw_reuse": "2"}, "tw-reuse-accepting-host", dict(CONTEXT, active_opens=0, passive_opens=1000))


# --- memory -----------------------------------------------------------------------------------

def test_tcp_mem_boundary():
    pages = 8 * GIB // 4096
    none_of({"net.ipv4.tcp_mem": "1 2 %d" % pages}, "tcp-mem-above-ram")
    item = one({"net.ipv4.tcp_mem": "1 2 %d" % (pages + 1)}, "tcp-mem-above-ram")
    assert "pages x 4096 bytes" in item["message"] and "8.0 GiB" in item["message"]
    assert "look like bytes" not in item["message"]


def test_tcp_mem_written_in_bytes_is_called_out():
    item = one({"net.ipv4.tcp_mem": "94500000 915000000 927000000"}, "tcp-mem-above-ram")
    assert "look like bytes" in item["message"]
    assert "'23071 223388 226318'" in item["remediation"]


def test_tcp_mem_needs_memory_figures():
    none_of({"net.ipv4.tcp_mem": "1 2 999999999999"}, "tcp-mem-above-ram", dict(CONTEXT, mem_total_bytes=None))
    none_of({"net.ipv4.tcp_mem": "1 2"}, "tcp-mem-above-ram")


def test_orphans_boundary():
    fitting = 8 * GIB // (64 * 1024)
    none_of({"net.ipv4.tcp_max_orphans": str(fitting)}, "orphans-above-ram")
    item = one({"net.ipv4.tcp_max_orphans": str(fitting + 1)}, "orphans-above-ram")
    assert "at most %d" % fitting in item["remediation"]


@pytest.mark.parametrize("key", ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_mem"])
def test_triples_ordered(key):
    none_of({key: "4096 4096 4096"}, "triple-order")
    none_of({key: "4096 87380 6291456"}, "triple-order")
    assert "'4096 87380 6291456'" in one({key: "87380 4096 6291456"}, "triple-order", dict(CONTEXT, mem_total_bytes=None))["remediation"]
    assert one({key: "4096 6291456 87380"}, "triple-order", dict(CONTEXT, mem_total_bytes=None))["key"] == key


# --- ports -------------------------------------------------------------------------------------

def test_port_range_order():
    item = one({"net.ipv4.ip_local_port_range": "40000 40000"}, "port-range-order", dict(CONTEXT, listen_ports=[]))
    assert "one ephemeral port" in item["message"]
    assert "refuses" in one({"net.ipv4.ip_local_port_range": "40001 40000"}, "port-range-order")["message"]
    none_of({"net.ipv4.ip_local_port_range": "40000 40001"}, "port-range-order")


def test_port_range_privileged():
    one({"net.ipv4.ip_local_port_range": "1023 65000"}, "port-range-privileged")
    none_of({"net.ipv4.ip_local_port_range": "1024 65000"}, "port-range-privileged")


def test_port_range_parity():
    item = one({"net.ipv4.ip_local_port_range": "1024 65000"}, "port-range-parity")
    assert "'1024 65001'" in item["remediation"]
    assert "'1025 65534'" in one({"net.ipv4.ip_local_port_range": "1025 65535"}, "port-range-parity")["remediation"]
    none_of({"net.ipv4.ip_local_port_range": "1024 65535"}, "port-range-parity")
    none_of({"net.ipv4.ip_local_port_range": "32768 60999"}, "port-range-parity")


def test_port_range_covering_listeners_lists_them():
    item = one({"net.ipv4.ip_local_port_range": "1024 65535"}, "port-range-listeners")
    assert "ports 8080,40000" in item["message"]
    assert "'8080,40000'" in item["remediation"]
    # reserved ports are fine, and the proposal keeps what is already reserved
    item = one({"net.ipv4.ip_local_port_range": "1024 65535", "net.ipv4.ip_local_reserved_ports": "8080,9000-9001"},
               "port-range-listeners")
    assert "port 40000 " in item["message"] and "'8080,9000-9001,40000'" in item["remediation"]
    none_of({"net.ipv4.ip_local_port_range": "1024 65535", "net.ipv4.ip_local_reserved_ports": "8080,40000"},
            "port-range-listeners")
    # boundaries of the range itself
    none_of({"net.ipv4.ip_local_port_range": "40001 60999"}, "port-range-listeners")
    one({"net.ipv4.ip_local_port_range": "40000 60999"}, "port-range-listeners")
    one({"net.ipv4.ip_local_port_range": "30000 40000"}, "port-range-listeners")
    none_of({"net.ipv4.ip_local_port_range": "30000 39999"}, "port-range-listeners")
    none_of({"net.ipv4.ip_local_port_range": "1024 65535"}, "port-range-listeners", dict(CONTEXT, listen_ports=[]))


# --- TIME_WAIT, FIN_WAIT2, retries, backlog ---------------------------------------------------------

def test_tw_buckets_below_current():
    item = one({"net.ipv4.tcp_max_tw_buckets": "4999"}, "tw-buckets-below-current")
    assert "5000 sockets in TIME_WAIT" in item["message"] and "at least 10000" in item["remediation"]
    none_of({"net.ipv4.tcp_max_tw_buckets": "5000"}, "tw-buckets-below-current")
    none_of({"net.ipv4.tcp_max_tw_buckets": "1"}, "tw-buckets-below-current", dict(CONTEXT, time_wait=None))


def test_fin_timeout():
    one({"net.ipv4.tcp_fin_timeout": "9"}, "fin-timeout-low")
    assert "1 second " in one({"net.ipv4.tcp_fin_timeout": "1"}, "fin-timeout-low")["message"]
    none_of({"net.ipv4.tcp_fin_timeout": "10"}, "fin-timeout-low")


@pytest.mark.parametrize("key", ["net.ipv4.tcp_syn_retries", "net.ipv4.tcp_synack_retries"])
def test_syn_and_synack_retries(key):
    assert one({key: "2"}, "retries-low")["key"] == key
    assert "about 3 seconds" in one({key: "1"}, "retries-low")["message"]
    none_of({key: "3"}, "retries-low")


def test_orphan_retries():
    one({"net.ipv4.tcp_orphan_retries": "1"}, "retries-low")
    one({"net.ipv4.tcp_orphan_retries": "2"}, "retries-low")
    none_of({"net.ipv4.tcp_orphan_retries": "0"}, "retries-low")
    none_of({"net.ipv4.tcp_orphan_retries": "3"}, "retries-low")


def test_syn_backlog_above_somaxconn():
    item = one({"net.ipv4.tcp_max_syn_backlog": "4097", "net.core.somaxconn": "4096"}, "syn-backlog-above-somaxconn")
    assert "at least 4097" in item["remediation"]
    none_of({"net.ipv4.tcp_max_syn_backlog": "4096", "net.core.somaxconn": "4096"}, "syn-backlog-above-somaxconn")
    none_of({"net.ipv4.tcp_max_syn_backlog": "40240"}, "syn-backlog-above-somaxconn")


# --- focus ---------------------------------------------------------------------------------------------

def test_focus_keeps_findings_that_involve_a_focused_key():
    values = {"net.ipv4.tcp_tw_reuse": "1", "net.ipv4.tcp_timestamps": "0", "net.ipv4.tcp_fin_timeout": "5",
              "net.ipv4.tcp_max_syn_backlog": "8192", "net.core.somaxconn": "128"}
    # tcp_timestamps=0 is also judged on its own (timestamps-off), and somaxconn=128 is below
    # the 4096 kernels boot with since 5.4 (somaxconn-lowers-boot; an unknown kernel counts as current).
    assert ids(values, focus={"net.ipv4.tcp_timestamps"}) == [("tw-reuse-no-timestamps", "net.ipv4.tcp_tw_reuse"),
                                                              ("timestamps-off", "net.ipv4.tcp_timestamps")]
    assert ids(values, focus={"net.core.somaxconn"}) == [("syn-backlog-above-somaxconn", "net.ipv4.tcp_max_syn_backlog"),
                                                         ("somaxconn-lowers-boot", "net.core.somaxconn")]
    assert ids(values, focus={"net.ipv4.tcp_fin_timeout"}) == [("fin-timeout-low", "net.ipv4.tcp_fin_timeout")]
    assert ids(values, focus=set()) == []
    assert len(ids(values)) == 5


def test_malformed_values_are_left_to_the_shape_rule():
    values = {"net.ipv4.tcp_fin_timeout": "soon", "net.ipv4.tcp_mem": "1 2", "net.ipv4.ip_local_port_range": "x y"}
    assert _rules.evaluate(values, CONTEXT) == []


def test_human_bytes():
    assert _rules.human_bytes(512) == "512 bytes"
    assert _rules.human_bytes(8 * GIB) == "8.0 GiB"
    assert _rules.human_bytes(3 * 1024 ** 4 + 1) == "3.0 TiB"
