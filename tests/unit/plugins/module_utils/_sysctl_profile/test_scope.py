"""Key scope: nothing beyond the current network stack is written without an explicit opt-in.

A fake /proc (sys tree, meminfo) and root per test; the machine's own /proc/sys is never touched.
"""

import json
import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog_scope, _validate
from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "sysctl_profile",
                       "proc_sys_child_netns.json")
# What only the initial namespace registers: their presence makes the fake host an initial namespace.
INITIAL = {"net.core.netdev_max_backlog": "1000", "net.ipv4.tcp_mem": "190000\t253000\t380000"}
MACHINE = {"kernel.panic": "0", "kernel.core_pattern": "core", "vm.swappiness": "60",
           "fs.protected_symlinks": "1"}


def make_host(tmp_path, initial):
    values = json.load(open(FIXTURE))
    values.update(MACHINE)
    if initial:
        values.update(INITIAL)
    proc = tmp_path / "proc"
    for key, value in values.items():
        if key.startswith("_"):
            continue
        path = proc.joinpath("sys", *key.split("."))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    (proc / "meminfo").write_text("MemTotal:        8000000 kB\n")
    (tmp_path / "root" / "etc" / "sysctl.d").mkdir(parents=True)
    return str(proc), str(tmp_path / "root")


def tree(tmp_path):
    found = {}
    for directory, _dirs, files in os.walk(str(tmp_path)):
        for name in files:
            path = os.path.join(directory, name)
            found[path] = open(path).read()
    return found


def run(proc, root, settings, check=False, **params):
    params.update(name="web", nat_facing="false", state_dir="/var/lib/netfleet-tcp", settings=settings)
    return engine.run(params, proc=proc, root=root, check_mode=check)


@pytest.mark.parametrize("key,scope", [
    ("kernel.core_pattern", "machine"), ("vm.swappiness", "machine"), ("fs.file-max", "machine"),
    ("net.ipv4.tcp_mem", "init"), ("net.core.rmem_max", "init"), ("net.core.netdev_max_backlog", "init"),
    ("net.ipv4.tcp_fin_timeout", "netns"), ("net.core.somaxconn", "netns"), ("net.ipv4.tcp_timestamps", "netns"),
])
def test_scope_of_keys(key, scope):
    assert _catalog_scope.key_scope(key)[0] == scope


@pytest.mark.parametrize("key,since", [
    ("net.ipv4.tcp_tw_reuse", "4.10"), ("net.ipv4.tcp_max_tw_buckets", "4.11"),
    ("net.ipv4.tcp_max_syn_backlog", "4.11"), ("net.ipv4.tcp_timestamps", "4.13"), ("net.ipv4.tcp_rmem", "4.15"),
    ("net.ipv4.tcp_fastopen", "4.15"), ("net.ipv4.tcp_fin_timeout", "4.6"), ("net.ipv4.tcp_keepalive_time", "4.5"),
])
def test_keys_made_per_namespace_late_are_machine_wide_on_older_kernels(key, since):
    major, minor = (int(part) for part in since.split("."))
    assert _catalog_scope.key_scope(key, "%d.%d.0-1-amd64" % (major, minor - 1))[0] == "init"
    assert _catalog_scope.key_scope(key, [major, minor, 0])[0] == "netns"
    assert since in _catalog_scope.key_scope(key, (major, minor - 1, 9))[1]


def test_every_per_netns_since_key_is_catalogued_as_per_namespace():
    for key in _catalog_scope.PER_NETNS_SINCE:
        entry = _catalog_scope.CATALOG.get(key)
        assert entry is not None and entry["namespace"] == "netns", key


@pytest.mark.parametrize("check", [False, True])
@pytest.mark.parametrize("missing", ["fail", "skip"])
def test_child_namespace_refuses_machine_wide_keys_and_changes_nothing(tmp_path, check, missing):
    proc, root = make_host(tmp_path, initial=False)
    before = tree(tmp_path)
    settings = {"net.ipv4.tcp_fin_timeout": 30, "kernel.core_pattern": "|/prog %p", "vm.swappiness": 10,
                "fs.protected_symlinks": 0, "kernel.panic": 5}
    with pytest.raises(ProfileError) as raised:
        run(proc, root, settings, check=check, missing=missing,
            allow_machine_wide=["kernel.panic", "vm.swappiness"])  # no list lets them through here
    message = str(raised.value)
    for key in ("kernel.core_pattern", "vm.swappiness", "fs.protected_symlinks", "kernel.panic"):
        assert key in message and raised.value.result["keys"][key]["status"] == "refused"
    assert "child network namespace" in message and "whole machine" in message
    assert "tcp_fin_timeout" not in message.split(":", 1)[0]
    assert tree(tmp_path) == before


def test_child_namespace_refuses_initial_namespace_net_keys(tmp_path):
    proc, root = make_host(tmp_path, initial=False)
    before = tree(tmp_path)
    for key, value in (("net.core.rmem_max", 4194304), ("net.ipv4.tcp_mem", "1 2 3"),
                       ("net.ipv4.tcp_max_orphans", 1000)):
        with pytest.raises(ProfileError) as raised:
            run(proc, root, {key: value, "net.ipv4.tcp_fin_timeout": 30})
        assert key in str(raised.value) and "initial network namespace" in str(raised.value)
    assert tree(tmp_path) == before


def test_initial_namespace_needs_a_per_key_opt_in(tmp_path):
    proc, root = make_host(tmp_path, initial=True)
    before = tree(tmp_path)
    with pytest.raises(ProfileError) as raised:
        run(proc, root, {"vm.swappiness": 10, "kernel.panic": 5}, allow_machine_wide=["kernel.panic"])
    assert "vm.swappiness" in str(raised.value) and "allow_machine_wide" in str(raised.value)
    assert "kernel.panic" not in str(raised.value)
    assert tree(tmp_path) == before
    result = run(proc, root, {"vm.swappiness": 10, "net.ipv4.tcp_fin_timeout": 30},
                 allow_machine_wide=["vm.swappiness"])
    assert result["keys"]["vm.swappiness"]["after"] == "10"
    assert (tmp_path / "proc" / "sys" / "vm" / "swappiness").read_text().strip() == "10"
    assert [item["id"] for item in result["findings"] if item["key"] == "vm.swappiness"] == ["key-machine-wide"]
    # net.* keys of the initial namespace are this host's own stack there: no opt-in needed.
    result = run(proc, root, {"net.core.netdev_max_backlog": 2000}, allow_machine_wide=["vm.swappiness"])
    assert result["changed"] is True


@pytest.mark.parametrize("initial,severity", [(False, "error"), (True, "warning")])
def test_sysctl_check_flags_machine_wide_keys_either_way(tmp_path, initial, severity):
    proc, _root = make_host(tmp_path, initial=initial)
    result = run_check({"kernel.core_pattern": "core", "net.ipv4.tcp_fin_timeout": 30}, proc=proc,
                       root=str(tmp_path / "root"), nat_facing="false")
    found = [item for item in result["findings"] if item["id"] == "key-machine-wide"]
    assert [(item["key"], item["severity"]) for item in found] == [("kernel.core_pattern", severity)]


def test_validate_settings_only_reports_without_a_list():
    context = {"initial_netns": True, "kernel_version": [6, 1, 0]}
    result = _validate.validate_settings({"vm.swappiness": 10}, context, {"vm.swappiness": "60"})
    assert not result["refusals"] and "vm.swappiness" in result["desired"]
    result = _validate.validate_settings({"vm.swappiness": 10}, context, {"vm.swappiness": "60"},
                                         allow_machine_wide=[])
    assert [key for key, _reason in result["refusals"]] == ["vm.swappiness"]
