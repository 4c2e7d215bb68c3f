# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules that read the host: retransmission time, accept-queue overflow, forwarding, the
unprivileged port start, mode bits; each evaluated for the kernels fleets run and this machine's.

Expected outcomes come from the sources the rules cite: net/ipv4/tcp_timer.c
tcp_model_timeout (200 ms doubling to the 120 s maximum RTO; tcp_rto_max_ms since 6.15),
4548b683b781 (ip_unprivileged_port_start and its check in ipv4_local_port_range, 4.11),
fs/proc/proc_sysctl.c test_perm (mode bits hold for root), ip-sysctl.rst ip_forward.
"""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _catalog_scope, _rules
from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import kernel_release, parse_kernel_release
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import timers
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check

GIB = 1024 ** 3
KERNELS = [(3, 10), (4, 9), (4, 14), (4, 19), (5, 4), (5, 10), (5, 15), (6, 1), (6, 6), (6, 12)]
THIS_MACHINE = tuple((parse_kernel_release(kernel_release()) or (6, 18))[:2])
MATRIX = sorted(set(KERNELS + [THIS_MACHINE]))
FORWARD = "net.ipv4.ip_forward"


def context(kernel, **extra):
    base = {"kernel_version": list(kernel) + [0], "mem_total_bytes": 8 * GIB, "page_size": 4096,
            "nat_facing": False, "nat_mode": "explicit", "nat_evidence": [], "listen_ports": [],
            "time_wait": 0, "active_opens": 0, "passive_opens": 0}
    base.update(extra)
    return base


def found(values, ctx, rule_id=None):
    items = _rules.evaluate(values, ctx, listed=set(values))
    return [item for item in items if rule_id is None or item["id"] == rule_id]


# --- retransmission time ------------------------------------------------------------------------

@pytest.mark.parametrize("retries, milliseconds", [(0, 200), (5, 12600), (8, 102200), (9, 204600), (15, 924600)])
def test_model_timeout_is_the_kernels(retries, milliseconds):
    # ilog2(120000 / 200) = 9 doubling steps, then 120 s per retry; ip-sysctl.rst gives 924.6 s for 15
    assert timers.model_timeout_ms(retries) == milliseconds


def test_model_timeout_follows_tcp_rto_max_ms():
    # a 5 s maximum RTO: ilog2(5000 / 200) = 4 doubling steps (6.2 s), then 5 s per retry
    assert timers.model_timeout_ms(5, rto_max_ms=5000) == 6200 + 5000


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_retries2_below_rfc1122_on_every_kernel(kernel):
    [item] = found({"net.ipv4.tcp_retries2": "5"}, context(kernel), "retries2-low")
    assert item["severity"] == "warning"
    assert "about 12.6 s" in item["message"] and "924.6 s" in item["message"]
    assert "102.2 s" in item["remediation"]
    assert not found({"net.ipv4.tcp_retries2": "8"}, context(kernel), "retries2-low")
    assert not found({"net.ipv4.tcp_retries2": "15"}, context(kernel), "retries2-low")


def test_retries2_with_a_lower_rto_max():
    [item] = found({"net.ipv4.tcp_retries2": "5", "net.ipv4.tcp_rto_max_ms": "5000"}, context((6, 18)),
                   "retries2-low")
    assert "about 11.2 s" in item["message"]


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_abort_on_overflow_on_every_kernel(kernel):
    [item] = found({"net.ipv4.tcp_abort_on_overflow": "1"}, context(kernel), "abort-on-overflow")
    assert item["severity"] == "warning" and "reset" in item["message"]
    assert not found({"net.ipv4.tcp_abort_on_overflow": "0"}, context(kernel), "abort-on-overflow")


def test_orphan_retries_message_gives_the_time():
    [item] = found({"net.ipv4.tcp_orphan_retries": "1"}, context((6, 1)), "retries-low")
    assert "about 0.6 s" in item["message"] and "about 102.2 s" in item["message"]


# --- the first unprivileged port ----------------------------------------------------------------

@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_port_range_below_1024_per_kernel(kernel):
    [item] = found({"net.ipv4.ip_local_port_range": "500 65001"}, context(kernel), "port-range-privileged")
    if kernel >= (4, 11):
        # the live (here: default) ip_unprivileged_port_start makes the kernel refuse it
        assert item["severity"] == "error" and "refuses" in item["message"] and "1024" in item["message"]
    else:
        assert item["severity"] == "warning" and "has no ip_unprivileged_port_start" in item["message"]


def test_port_range_against_the_live_unprivileged_start():
    ctx = context((6, 1))
    lowered = {"net.ipv4.ip_local_port_range": "500 65001", "net.ipv4.ip_unprivileged_port_start": "0"}
    [item] = found(lowered, ctx, "port-range-privileged")
    assert item["severity"] == "warning" and "ip_unprivileged_port_start is 0 here" in item["message"]
    # a range from 500 is then judged for the service ports it covers too
    assert found(lowered, ctx, "port-range-service-ports")
    raised = {"net.ipv4.ip_local_port_range": "1500 65001", "net.ipv4.ip_unprivileged_port_start": "2048"}
    [item] = found(raised, ctx, "port-range-privileged")
    assert item["severity"] == "error" and "ip_unprivileged_port_start is 2048 here" in item["message"]
    assert "'2048 65001'" in item["remediation"]
    assert not found({"net.ipv4.ip_local_port_range": "32768 60999",
                      "net.ipv4.ip_unprivileged_port_start": "1024"}, ctx, "port-range-privileged")


# --- forwarding ---------------------------------------------------------------------------------

def forwarding(kernel, interfaces, live="0", listed=(FORWARD,)):
    return context(kernel, sysctl_live={FORWARD: live}, interfaces=list(interfaces),
                   settings_live=dict((key, None) for key in listed))


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_ip_forward_severity_follows_the_hosts_interfaces(kernel):
    values = {FORWARD: "1"}
    [item] = found(values, forwarding(kernel, ["lo"]), "ip-forward-not-router")
    assert item["severity"] == "warning" and "no interface besides loopback" in item["message"]
    [item] = found(values, forwarding(kernel, ["lo", "eth0"]), "ip-forward-not-router")
    assert item["severity"] == "warning" and "only eth0 besides loopback" in item["message"]
    [item] = found(values, forwarding(kernel, ["lo", "eth0", "wg0"]), "ip-forward-not-router")
    assert item["severity"] == "info" and "eth0, wg0" in item["message"]


@pytest.mark.parametrize("listed, values", [
    ((FORWARD, "net.bridge.bridge-nf-call-iptables"), {"net.bridge.bridge-nf-call-iptables": "1"}),
    ((FORWARD, "net.ipv6.conf.all.forwarding"), {"net.ipv6.conf.all.forwarding": "1"}),
    ((FORWARD, "net.netfilter.nf_conntrack_max"), {"net.netfilter.nf_conntrack_max": "1000000"}),
], ids=["kubernetes", "vpn", "nat"])
def test_ip_forward_in_a_list_for_a_routing_role_is_fine(listed, values):
    values = dict(values, **{FORWARD: "1"})
    assert not found(values, forwarding((6, 1), ["lo"], listed=listed), "ip-forward-not-router")


def test_ip_forward_silent_when_the_host_already_routes_or_cannot_tell():
    values = {FORWARD: "1"}
    assert not found(values, forwarding((6, 1), ["lo"], live="1"), "ip-forward-not-router")
    assert not found(values, context((6, 1), sysctl_live={FORWARD: "0"}, interfaces=None,
                                     settings_live={FORWARD: None}), "ip-forward-not-router")
    assert not found({FORWARD: "0"}, forwarding((6, 1), ["lo"]), "ip-forward-not-router")
    # ip_forward=1 the host already has, judged without a list: nothing
    assert not _rules.evaluate({FORWARD: "1"}, forwarding((6, 1), ["lo"], live="1"))


# --- mode bits ----------------------------------------------------------------------------------

def test_read_only_keys_are_refused_and_machine_wide_ones_left_to_key_machine_wide():
    modes = {"fs.file-nr": 0o444, "net.netfilter.nf_conntrack_max": 0o444, "net.ipv4.tcp_fin_timeout": 0o644}
    ctx = context((6, 1), initial_netns=True, settings_modes=modes)
    items = found({}, ctx, "key-read-only")
    assert [(item["key"], item["severity"]) for item in items] == [
        ("fs.file-nr", "error"), ("net.netfilter.nf_conntrack_max", "error")]
    assert "mode 0444" in items[0]["message"]
    # in a child network namespace nf_conntrack_max is one machine-wide value (0444 there):
    # key-machine-wide reports it; fs.file-nr is read-only everywhere
    ctx = context((6, 1), initial_netns=False, settings_modes=modes)
    assert [item["key"] for item in found({}, ctx, "key-read-only")] == ["fs.file-nr"]


def test_this_machines_read_only_and_write_only_keys(tmp_path):
    # Real /proc: fs.file-nr is 0444 and net.ipv4.route.flush 0200 on every kernel; nothing is written.
    if not os.path.exists("/proc/sys/net/ipv4/route/flush"):
        pytest.skip("no /proc/sys/net/ipv4/route/flush here")
    result = run_check(settings={"fs.file-nr": "0 0 0", "net.ipv4.route.flush": 1}, root=str(tmp_path),
                       missing="skip", nat_facing="false")
    by_key = dict((item["key"], item) for item in result["findings"]
                  if item["id"] in ("key-read-only", "key-write-only", "key-missing"))
    assert by_key["net.ipv4.route.flush"]["id"] == "key-write-only"
    assert by_key["net.ipv4.route.flush"]["severity"] == "info"
    assert "key-missing" not in [item["id"] for item in result["findings"] if item["key"] == "net.ipv4.route.flush"]
    assert by_key["fs.file-nr"]["id"] == "key-read-only" and by_key["fs.file-nr"]["severity"] == "error"


# --- the catalog's new knobs ----------------------------------------------------------------------

NEW_KEYS = ["net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
            "net.netfilter.nf_conntrack_tcp_timeout_close_wait", "net.netfilter.nf_conntrack_tcp_timeout_fin_wait",
            "net.ipv4.netfilter.ip_conntrack_max", "net.ipv4.tcp_mtu_probing", "net.core.optmem_max",
            "net.ipv4.tcp_moderate_rcvbuf", "net.ipv4.tcp_no_metrics_save", "net.ipv4.tcp_syn_linear_timeouts",
            "net.ipv4.tcp_child_ehash_entries", "net.ipv4.ip_autobind_reuse", "net.ipv4.tcp_retries2",
            "net.ipv4.tcp_abort_on_overflow", "net.ipv4.ip_unprivileged_port_start"]


@pytest.mark.parametrize("key", NEW_KEYS)
def test_new_knobs_are_catalogued_with_sources(key):
    entry = _catalog.knob(key)
    assert entry is not None and entry["sources"]
    assert _catalog.shape_problem(key, _catalog.default_text(key)) is None


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_new_knobs_exist_per_kernel(kernel):
    version = "%d.%d" % kernel
    assert _catalog.exists_on_kernel("net.ipv4.netfilter.ip_conntrack_max", version) is (kernel < (4, 9))
    assert _catalog.exists_on_kernel("net.ipv4.ip_unprivileged_port_start", version) is (kernel >= (4, 11))
    assert _catalog.exists_on_kernel("net.ipv4.ip_autobind_reuse", version) is (kernel >= (5, 7))
    assert _catalog.exists_on_kernel("net.ipv4.tcp_child_ehash_entries", version) is (kernel >= (6, 1))
    assert _catalog.exists_on_kernel("net.ipv4.tcp_syn_linear_timeouts", version) is (kernel >= (6, 5))
    if kernel >= (4, 9):
        assert "removed in Linux 4.9" in _catalog.absence_reason("net.ipv4.netfilter.ip_conntrack_max", version)


def test_conntrack_scope_and_values():
    assert _catalog_scope.key_scope("net.netfilter.nf_conntrack_max")[0] == _catalog_scope.INIT
    assert _catalog_scope.key_scope("net.netfilter.nf_conntrack_tcp_timeout_time_wait")[0] == _catalog_scope.NETNS
    # optmem_max became per namespace with f5769faeec36 (6.8)
    assert _catalog_scope.key_scope("net.core.optmem_max", "6.1")[0] == _catalog_scope.INIT
    assert _catalog_scope.key_scope("net.core.optmem_max", "6.8")[0] == _catalog_scope.NETNS
    assert _catalog.default_text("net.netfilter.nf_conntrack_tcp_timeout_time_wait") == "120"
    assert _catalog.default_text("net.netfilter.nf_conntrack_tcp_timeout_close_wait") == "60"
    assert _catalog.shape_problem("net.ipv4.tcp_mtu_probing", "3") is not None
    assert _catalog.shape_problem("net.ipv4.tcp_child_ehash_entries", str(16 * 1024 * 1024 + 1)) is not None


def test_a_key_in_both_catalog_files_is_refused():
    entry = dict(_catalog.CATALOG["net.ipv4.tcp_fin_timeout"])
    with pytest.raises(ValueError, match="catalogued twice"):
        _catalog._add_entries([entry])


# --- optmem_max and receive autotuning ------------------------------------------------------------

@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_optmem_lowers_the_boot_value_from_6_8(kernel):
    # 4944566706b2 (6.8): 20480 -> 131072; the 40960 of older lists raised it before and lowers it since
    items = found({"net.core.optmem_max": "40960"}, context(kernel), "optmem-lowers-boot")
    if kernel >= (6, 8):
        [item] = items
        assert item["severity"] == "warning" and "131072" in item["message"]
    else:
        assert items == []
        [item] = found({"net.core.optmem_max": "10240"}, context(kernel), "optmem-lowers-boot")
        assert "20480" in item["message"]
    assert not found({"net.core.optmem_max": "4194304"}, context(kernel), "optmem-lowers-boot")


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_receive_autotuning_off_on_every_kernel(kernel):
    [item] = found({"net.ipv4.tcp_moderate_rcvbuf": "0"}, context(kernel), "rcvbuf-autotuning-off")
    assert item["severity"] == "warning" and "tcp_rmem[1]" in item["message"]
    assert not found({"net.ipv4.tcp_moderate_rcvbuf": "1"}, context(kernel), "rcvbuf-autotuning-off")
