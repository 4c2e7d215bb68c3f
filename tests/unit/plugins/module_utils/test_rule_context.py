# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather_context over fake /proc trees, and once over this machine's own /proc."""

from ansible_collections.netfleet.tcp.plugins.module_utils import _rule_context as _check
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc

FIELDS = {"kernel", "kernel_version", "initial_netns", "proc_sys_net_writable", "mem_total_bytes", "page_size",
          "nat_facing", "nat_mode", "nat_evidence", "listen_ports", "time_wait", "active_opens",
          "passive_opens", "congestion_available", "congestion_loadable", "interfaces", "sysctl_live"}


def no_commands(name):
    return None


def test_context_from_a_fake_tree(tmp_path):
    proc = build_proc(tmp_path, listeners=[("0.0.0.0", 22), ("127.0.0.1", 5432)], active=40, passive=900,
                      time_wait=1234)
    context = _check.gather_context(proc=proc, which=no_commands)
    assert set(context) == FIELDS
    assert context["kernel"] == "6.1.0-18-amd64" and context["kernel_version"] == [6, 1, 0]
    assert context["initial_netns"] is True
    assert context["mem_total_bytes"] == 8039600 * 1024
    assert context["listen_ports"] == [22, 5432]
    assert context["time_wait"] == 1234
    assert (context["active_opens"], context["passive_opens"]) == (40, 900)
    assert context["nat_facing"] is True and context["nat_mode"] == "server"
    assert context["sysctl_live"]["net.ipv4.tcp_rmem"] == "4096 131072 6291456"
    assert context["sysctl_live"]["net.ipv4.tcp_tw_recycle"] is None
    assert context["interfaces"] == ["eth0", "lo"]


def test_child_namespace_tree(tmp_path):
    proc = build_proc(tmp_path, drop=("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog"),
                      listeners=[], active=3, passive=0)
    context = _check.gather_context(proc=proc, nat_facing="false", which=no_commands)
    assert context["initial_netns"] is False
    assert context["nat_facing"] is False and context["nat_mode"] == "explicit"
    assert context["listen_ports"] == []


def test_gateway_detection_runs_the_injected_command(tmp_path):
    proc = build_proc(tmp_path, sysctls={"net.ipv4.ip_forward": "1"}, listeners=[])
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, '{"nftables": [{"rule": {"family": "ip", "table": "nat", "chain": "post", "expr": [{"masquerade": null}]}}]}', ""

    context = _check.gather_context(proc=proc, run=run, which=lambda name: "/sbin/" + name)
    assert context["nat_mode"] == "gateway"
    assert context["nat_evidence"] == ["net.ipv4.ip_forward=1", "masquerade rule in table ip nat chain post"]
    assert calls == [["/sbin/nft", "-j", "list", "ruleset"]]


def test_missing_census_files_give_none(tmp_path):
    proc = build_proc(tmp_path)
    for name in ("snmp", "sockstat"):
        (tmp_path / "proc" / "net" / name).unlink()
    context = _check.gather_context(proc=proc, which=no_commands)
    assert context["time_wait"] is None and context["active_opens"] is None


def test_this_machine():
    context = _check.gather_context(nat_facing=False)
    assert set(context) == FIELDS
    assert context["mem_total_bytes"] > 0 and context["page_size"] > 0
    assert isinstance(context["listen_ports"], list)
    assert "lo" in context["interfaces"]    # /proc/net/dev of the namespace the test runs in


def test_listeners_on_this_machine_include_our_own(tmp_path):
    import socket
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert ("ipv4", "127.0.0.1", port) in _check.read_listeners("/proc")
    finally:
        server.close()


def test_listeners_fall_back_to_proc_when_netlink_fails(tmp_path):
    proc = build_proc(tmp_path, listeners=[("10.0.0.1", 443)])

    class Broken(object):
        def dump(self, *args, **kwargs):
            raise EnvironmentError("no netlink here")

    assert _check.read_listeners(proc, diag=Broken()) == [("ipv4", "10.0.0.1", 443)]


def test_listeners_of_an_unparsable_proc_net_tcp_are_none(tmp_path):
    proc = build_proc(tmp_path, listeners=[("10.0.0.1", 443)])
    with open(str(tmp_path / "proc" / "net" / "tcp"), "a") as handle:
        handle.write("   1: 0100000A:zz 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1001 1\n")
    assert _check.read_listeners(proc) == []
    assert _check.gather_context(proc=proc, which=no_commands)["listen_ports"] == []


def test_interfaces_unreadable_is_none(tmp_path):
    proc = build_proc(tmp_path, interfaces=None)
    assert _check.read_interfaces(proc) is None
    assert _check.read_interfaces(build_proc(tmp_path / "one", interfaces=("lo", "wg0", "eth0"))) == ["eth0", "lo", "wg0"]


def _modules_tree(tmp_path, release, dep_lines=None, files=()):
    base = tmp_path / "modules" / release
    base.mkdir(parents=True)
    if dep_lines is not None:
        (base / "modules.dep").write_text("".join(line + "\n" for line in dep_lines))
    for relative in files:
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return str(tmp_path / "modules")


def test_congestion_loadable_from_modules_dep_includes_updates_and_extra(tmp_path):
    proc = build_proc(tmp_path, sysctls={"net.ipv4.tcp_available_congestion_control": "reno cubic"})
    (tmp_path / "proc" / "modules").write_text("")
    modules = _modules_tree(tmp_path, "6.1.0-18-amd64", dep_lines=[
        "kernel/net/ipv4/tcp_bbr.ko.xz:", "updates/dkms/tcp_brutal.ko:", "extra/tcp_hybla.ko.zst:",
        "kernel/net/ipv4/tcp_diag.ko: kernel/net/ipv4/inet_diag.ko", "kernel/fs/ext4/ext4.ko:"])
    available, loadable = _check.read_congestion(proc, modules=modules)
    assert available == ["cubic", "reno"]
    assert loadable == ["bbr", "brutal", "hybla"]     # tcp_diag is no algorithm


def test_congestion_nothing_loadable_when_modules_are_disabled_or_absent(tmp_path):
    proc = build_proc(tmp_path, sysctls={"kernel.modules_disabled": "1"})
    (tmp_path / "proc" / "modules").write_text("")
    modules = _modules_tree(tmp_path, "6.1.0-18-amd64", files=["kernel/net/ipv4/tcp_bbr.ko"])
    assert _check.read_congestion(proc, modules=modules)[1] == []
    other = build_proc(tmp_path / "nomod")
    assert _check.read_congestion(other, modules=modules)[1] == []      # no /proc/modules: no module support
    plain = build_proc(tmp_path / "plain")
    (tmp_path / "plain" / "proc" / "modules").write_text("")
    assert _check.read_congestion(plain, modules=modules)[1] == ["bbr"]  # no modules.dep: the directory
    assert _check.read_congestion(plain, modules=str(tmp_path / "none"))[1] is None
