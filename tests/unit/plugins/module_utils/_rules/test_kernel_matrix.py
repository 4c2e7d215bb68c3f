# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rule and kernel_defaults evaluated for the kernels fleets run, and this machine's.

Expected outcomes come from the sources the catalog and _rules/_boot cite:
79e9fed46038 (tcp_tw_reuse=2, 4.18), 4396e46187ca (tcp_tw_recycle removed, 4.12),
ef547f2ac16b (SYN queue capped by the listen() backlog, 4.4), 19f92a030ca6 (somaxconn
4096, 5.4), the tcp_max_syn_backlog divisor (ehash/128 from 5.4, /256 before),
a337531b942b (tcp_rmem[1] 131072, 4.20), 572be9bf9d0d (tcp_rmem[2] cap 32 MiB, 6.16),
a6d4f25888b8 (rmem_max/wmem_max 4 MiB, 6.18), 07f4c90062f8 (port parity, 4.2),
ccce324dabfe (linear SYN timeouts, 6.5), b66e91ccbc34 (tcp_mem from pages/16 instead of
pages/8, 4.2: the 4.1 and 4.2 trees), eea86af6b1e1 (SOCK_MIN_RCVBUF/SNDBUF, the floor of
rmem_max and wmem_max), and the releases that made each key per network namespace (listed
with the container tests below).
"""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _rules
from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import kernel_release, parse_kernel_release
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import render_profile
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import _boot

GIB = 1024 ** 3
MIB = 1024 ** 2
KERNELS = [(3, 10), (4, 9), (4, 14), (4, 19), (5, 4), (5, 10), (5, 15), (6, 1), (6, 6), (6, 12)]
THIS_MACHINE = tuple((parse_kernel_release(kernel_release()) or (6, 18))[:2])
MATRIX = sorted(set(KERNELS + [THIS_MACHINE]))

# A list carrying every kind of advice the rules judge; tcp_tw_recycle is set where it exists.
BAD_LIST = {
    "net.ipv4.tcp_max_tw_buckets": "5000",
    "net.core.somaxconn": "1024",
    "net.ipv4.tcp_mem": "16384 32768 65536",
    "fs.file-max": "51200",
    "net.ipv4.tcp_rmem": "4096 87380 16777216",
    "net.ipv4.tcp_wmem": "1024 4096 16777216",
    "net.core.rmem_max": "1048576",
    "net.core.rmem_default": "8388608",
    "net.ipv4.tcp_timestamps": "0",
    "net.ipv4.tcp_sack": "0",
    "net.ipv4.tcp_dsack": "0",
    "net.ipv4.tcp_syncookies": "1",
    "net.ipv4.tcp_max_syn_backlog": "8192",
    "net.ipv4.tcp_tw_reuse": "0",
    "net.core.netdev_max_backlog": "1",
    "net.ipv4.tcp_keepalive_time": "3",
    "net.ipv4.ip_local_port_range": "1024 65000",
    "net.ipv4.tcp_syn_retries": "2",
    "net.ipv4.tcp_fin_timeout": "3",
}


def context(kernel, mem=8 * GIB, page=4096, **extra):
    base = {"kernel_version": list(kernel) + [0], "mem_total_bytes": mem, "page_size": page,
            "nat_facing": False, "nat_mode": "explicit", "nat_evidence": [], "listen_ports": [],
            "time_wait": 0, "active_opens": 0, "passive_opens": 0}
    base.update(extra)
    return base


def expected_ids(kernel):
    """The rule ids BAD_LIST must raise on ``kernel``, from the sources above."""
    found = {"tw-buckets-lowers-boot", "tcp-mem-lowers-boot", "file-max-lowers-boot", "buffer-min-low",
             "buffer-initial-small", "buffer-default-oversized", "timestamps-off", "sack-off", "dsack-off",
             "netdev-backlog-tiny", "keepalive-aggressive", "port-range-service-ports", "retries-low",
             "fin-timeout-low", "syn-backlog-above-somaxconn"}
    if kernel >= (5, 4):
        found.add("somaxconn-lowers-boot")          # 1024 < 4096 only since 19f92a030ca6
    if kernel >= (4, 4):
        found.add("syn-backlog-no-effect")          # ef547f2ac16b
    if kernel >= (4, 18):
        found.add("tw-reuse-zero")                  # 0 turns off the default 2 (79e9fed46038)
    if kernel >= (4, 2):
        found.add("port-range-parity")              # 1024 and 65000 both even (07f4c90062f8)
    if kernel >= (6, 16):
        found.add("buffer-max-lowers-boot")         # 16 MiB < 32 MiB (572be9bf9d0d); 1 MiB < 4 MiB (a6d4f25888b8)
    if kernel < (4, 12):
        found.add("tw-recycle-on")                  # the key exists before 4396e46187ca
    return found


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_every_rule_on_every_kernel(kernel):
    values = dict(BAD_LIST)
    if kernel < (4, 12):
        values["net.ipv4.tcp_tw_recycle"] = "1"
    found = _rules.evaluate(values, context(kernel), listed=set(values))
    assert set(item["id"] for item in found) == expected_ids(kernel)
    for item in found:
        assert item["severity"] in _rules.SEVERITIES and item["message"] and item["remediation"], item
    for rule in _rules.RULES.values():
        assert rule.applies(list(kernel) + [0]) in (True, False)


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_syn_retries_timing(kernel):
    [item] = [item for item in _rules.evaluate({"net.ipv4.tcp_syn_retries": "2"}, context(kernel))
              if item["id"] == "retries-low"]
    # 2 retries: 1 + 2 + 4 s of exponential backoff; since 6.5 four linear 1 s timeouts come first
    seconds = 11 if kernel >= (6, 5) else 7
    assert "about %d seconds" % seconds in item["message"]


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_kernel_defaults_per_kernel(kernel):
    host = {"context": context(kernel, mem=8 * GIB), "keys": {}}
    settings = render_profile(host, "kernel_defaults")
    # 8 GiB, 4 KiB pages: 65536 ehash buckets
    assert settings["net.ipv4.tcp_max_tw_buckets"] == 32768
    assert settings["net.ipv4.tcp_max_orphans"] == 32768
    assert settings["net.ipv4.tcp_max_syn_backlog"] == (512 if kernel >= (5, 4) else 256)
    assert settings["net.core.somaxconn"] == (4096 if kernel >= (5, 4) else 128)
    assert settings["net.ipv4.tcp_tw_reuse"] == (2 if kernel >= (4, 18) else 0)
    if kernel >= (6, 16):
        rmem_max = 32 * MIB
    elif kernel >= (3, 4):
        rmem_max = 6 * MIB
    else:
        rmem_max = 4 * MIB
    assert settings["net.ipv4.tcp_rmem"] == "4096 %d %d" % (131072 if kernel >= (4, 20) else 87380, rmem_max)
    assert settings["net.ipv4.tcp_wmem"] == "4096 16384 %d" % (4 * MIB)
    # tcp_init_mem: free buffer pages / 16 since b66e91ccbc34 (4.2), / 8 before (3.10 tree)
    assert settings["net.ipv4.tcp_mem"] == ("98304 131072 196608" if kernel >= (4, 2) else "196608 262144 393216")
    for key in ("net.core.rmem_max", "net.core.wmem_max"):
        assert settings[key] == (4 * MIB if kernel >= (6, 18) else 212992)


def test_kernel_defaults_on_64k_pages():
    host = {"context": context((6, 12), mem=8 * GIB, page=65536), "keys": {}}
    settings = render_profile(host, "kernel_defaults")
    assert settings["net.ipv4.tcp_rmem"].split()[0] == "65536"
    assert settings["net.ipv4.tcp_wmem"].split()[0] == "65536"
    assert settings["net.ipv4.tcp_mem"] == "6144 8192 12288"


def test_boot_values_match_this_machine():
    # The running kernel's own values, where nothing changed them, are what _boot computes.
    import os
    from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import basic_context
    here = basic_context()
    mem, page, kernel = here["mem_total_bytes"], here["page_size"], THIS_MACHINE
    path = "/proc/sys/net/ipv4/tcp_rmem"
    if not os.path.exists(path):
        pytest.skip("no /proc/sys/net/ipv4 here")
    with open(path) as handle:
        live = [int(part) for part in handle.read().split()]
    computed = _boot.tcp_rmem(kernel, mem, page)
    assert live[0] == computed[0] and live[1] == computed[1]
    # the maximum comes from free buffer pages at boot, slightly below MemTotal
    assert live[2] <= computed[2]


def test_congestion_control_against_available_and_loadable():
    values = {"net.ipv4.tcp_congestion_control": "hybla"}
    base = context((6, 12), congestion_available=["bbr", "cubic", "reno"])

    def found(ctx):
        return [item["id"] for item in _rules.evaluate(values, ctx, listed=set(values))]
    assert found(dict(base, congestion_loadable=[])) == ["congestion-control-unavailable"]
    assert found(dict(base, congestion_loadable=["hybla", "htcp"])) == []
    assert found(dict(base, congestion_loadable=None)) == []   # cannot tell: no judgement
    assert found(dict(base, congestion_loadable=[], congestion_available=["hybla", "reno"])) == []


def test_read_congestion_from_a_proc_tree(tmp_path):
    from ansible_collections.netfleet.tcp.plugins.module_utils._rule_context import read_congestion
    proc, modules = tmp_path / "proc", tmp_path / "modules"
    (proc / "sys/net/ipv4").mkdir(parents=True)
    (proc / "sys/kernel").mkdir(parents=True)
    (proc / "sys/net/ipv4/tcp_available_congestion_control").write_text("reno cubic\n")
    (proc / "sys/kernel/osrelease").write_text("6.1.0-test\n")
    # no /proc/modules: a kernel without module support loads nothing
    assert read_congestion(str(proc), str(modules)) == (["cubic", "reno"], [])
    (proc / "modules").write_text("")
    assert read_congestion(str(proc), str(modules)) == (["cubic", "reno"], None)
    ipv4 = modules / "6.1.0-test" / "kernel" / "net" / "ipv4"
    ipv4.mkdir(parents=True)
    (ipv4 / "tcp_hybla.ko.xz").write_text("")
    (ipv4 / "tcp_bbr.ko").write_text("")
    (ipv4 / "udp_tunnel.ko").write_text("")
    assert read_congestion(str(proc), str(modules)) == (["cubic", "reno"], ["bbr", "hybla"])


def test_keys_outside_the_catalog_get_a_shape_check_against_their_live_value():
    live = {"vm.min_free_kbytes": "67584", "fs.file-nr": "2944 0 2037581", "kernel.core_pattern": "core"}
    ctx = context((6, 12), settings_live=live)

    def found(values):
        return [(item["id"], item["key"]) for item in _rules.evaluate(values, ctx, listed=set(values))
                if item["id"] == "value-shape-live"]
    assert found({"vm.min_free_kbytes": "total_system_memory*5%"}) == [("value-shape-live", "vm.min_free_kbytes")]
    assert found({"vm.min_free_kbytes": "65536"}) == []
    assert found({"fs.file-nr": "1 2"}) == [("value-shape-live", "fs.file-nr")]
    assert found({"kernel.core_pattern": "|/bin/x %p"}) == []   # a string key: any text
    assert found({"net.ipv4.tcp_fin_timeout": "x"}) == []      # catalog keys have their own checks


# --- namespace scope by kernel ------------------------------------------------------------
#
# Which catalogued keys a child network namespace (a container) has, per kernel, as read
# from net/ipv4/sysctl_net_ipv4.c and net/core/sysctl_net_core.c of the released trees
# 3.10, 4.4, 4.5, 4.6, 4.10, 4.11, 4.12, 4.13, 4.14, 4.15 and 6.11 (ipv4_net_table and
# netns_core_table hold the per-namespace keys): 0bbf87d852d2 (port range, 3.13),
# 122ff243f5f1 (reserved ports, 3.16), 13b287e8d1ca and siblings (keepalive, 4.5),
# merge 7158ce80dd2d (syn/synack retries, syncookies, orphan retries, fin timeout,
# notsent_lowat, 4.6), 56ab6b93007e (tw_reuse, 4.10), 1946e672c173 and fee83d097b16
# (tw_recycle, max_tw_buckets, max_syn_backlog, 4.11), merge 06fcb3b69fb8 (timestamps,
# sack, window_scaling, 4.13), 356d1833b638, 625357aa175c, b510f0d23a47 and the
# tcp_fastopen commit (4.15); tcp_mem was per namespace from 3.3 (3dc43e3e4d0b) to 3.12.

CHILD_OWN = {
    "3.10": ["net.core.somaxconn", "net.ipv4.ip_forward", "net.ipv4.tcp_mem"],
    "3.13": ["net.ipv4.ip_local_port_range"],
    "3.16": ["net.ipv4.ip_local_reserved_ports"],
    "4.5": ["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"],
    "4.6": ["net.ipv4.tcp_syn_retries", "net.ipv4.tcp_synack_retries", "net.ipv4.tcp_syncookies",
            "net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_notsent_lowat"],
    "4.10": ["net.ipv4.tcp_tw_reuse"],
    "4.11": ["net.ipv4.tcp_tw_recycle", "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_max_syn_backlog"],
    "4.13": ["net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack", "net.ipv4.tcp_window_scaling"],
    "4.15": ["net.ipv4.tcp_fastopen", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_rfc1337",
             "net.ipv4.tcp_slow_start_after_idle"],
    "6.14": ["net.ipv4.tcp_tw_reuse_delay"],
}
CHILD_GONE = {"3.13": ["net.ipv4.tcp_mem"], "4.12": ["net.ipv4.tcp_tw_recycle"]}
# A key added after the kernel in question is absent everywhere, not only in containers.
ADDED = {"net.ipv4.tcp_notsent_lowat": (3, 12), "net.ipv4.tcp_tw_reuse_delay": (6, 14)}


def _release(text):
    return tuple(int(part) for part in text.split("."))


def child_keys(kernel):
    """The catalogued keys a child network namespace has on ``kernel``, from the table above."""
    own = set()
    for since, keys in CHILD_OWN.items():
        if kernel >= _release(since):
            own.update(keys)
    for since, keys in CHILD_GONE.items():
        if kernel >= _release(since):
            own.difference_update(keys)
    return own


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_which_keys_a_container_has(kernel):
    from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _validate
    child = context(kernel, initial_netns=False)
    has = set(key for key in _catalog.keys() if _validate.key_exists(key, child, {}))
    # net.core buffer keys are read-only views of the host's value (6.11 on) or absent:
    # key_exists leaves them to the live read; they are judged by scope instead.
    buffers = set(key for key in _catalog.keys() if _catalog.CATALOG[key]["namespace"] == "global")
    expected = set(key for key in child_keys(kernel) if kernel >= ADDED.get(key, (0, 0)))
    assert has - buffers == expected


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_absence_in_a_container_names_the_release_and_this_kernel(kernel):
    from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _validate
    child = context(kernel, initial_netns=False)
    running = "%d.%d" % kernel
    for since, keys in CHILD_OWN.items():
        for key in keys:
            if kernel >= _release(since) or kernel < ADDED.get(key, (0, 0)) or key == "net.ipv4.tcp_mem":
                continue
            if key == "net.ipv4.tcp_tw_recycle" and kernel >= (4, 12):
                continue
            reason = _validate.absent_reason(key, child)
            assert "since Linux %s" % since in reason and "this host runs %s" % running in reason, (key, reason)
            assert _catalog.absence_reason(key, list(kernel) + [0], False).startswith("is per network namespace"), key
    if kernel >= (3, 13):
        assert "from Linux 3.3 until 3.13" in _validate.absent_reason("net.ipv4.tcp_mem", child)


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_kernel_defaults_in_a_container(kernel):
    # kernel_defaults judged in a child namespace: what the container has is restored, what
    # it lacks on this kernel is skipped with the reason, never written to the host.
    from ansible_collections.netfleet.tcp.plugins.module_utils._validate import validate_settings
    child = context(kernel, initial_netns=False)
    settings = render_profile({"context": child, "keys": {}}, "kernel_defaults")
    result = validate_settings(settings, child, {}, missing="skip")
    own = child_keys(kernel)
    for key in settings:
        if key in result["desired"]:
            assert key in own, key
        elif key in own:
            raise AssertionError("%s exists in a %d.%d container but was not restored: %s"
                                 % (key, kernel[0], kernel[1], result["skipped"].get(key)))
    assert result["refused"] == []


@pytest.mark.parametrize("kernel", MATRIX, ids=lambda kernel: "%d.%d" % kernel)
def test_socket_buffer_maxima_below_the_kernel_minimum_are_errors(kernel):
    # net/core/sysctl_net_core.c: proc_dointvec_minmax with extra1 = &min_rcvbuf / &min_sndbuf
    # (SOCK_MIN_RCVBUF 2304, SOCK_MIN_SNDBUF 4608 on 64-bit builds since eea86af6b1e1).
    from ansible_collections.netfleet.tcp.plugins.module_utils._validate import validate_settings
    settings = {"net.core.rmem_max": 1024, "net.core.wmem_max": 4096, "net.core.rmem_default": 2304}
    result = validate_settings(settings, context(kernel), {}, missing="skip")
    refused = dict((item["key"], item) for item in result["refused"])
    assert set(refused) == {"net.core.rmem_max", "net.core.wmem_max"}
    for item in refused.values():
        assert item["id"] == "value-shape" and "kernel refuses" in item["reason"]
    from ansible_collections.netfleet.tcp.plugins.module_utils import _rules
    assert _rules.rule("value-shape").severity == "error"
