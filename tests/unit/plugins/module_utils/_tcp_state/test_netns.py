# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding network namespaces: ns links, mountinfo, /run/netns, holders; once on this machine."""

import os

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import netns

MOUNTINFO = (
    "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
    "101 25 0:4 net:[4026532567] /run/netns/web1 rw shared:5 - nsfs nsfs rw\n"
    "102 25 0:4 net:[4026532567] /run/netns/alias rw shared:5 - nsfs nsfs rw\n"
    "103 25 0:4 net:[4026532999] /run/docker/netns/1a2b\\0403c rw - nsfs nsfs rw\n"
    "104 25 0:4 mnt:[4026532111] /run/other rw - nsfs nsfs rw\n"
)


def test_link_inode():
    assert netns.link_inode("net:[4026531840]") == 4026531840
    assert netns.link_inode("mnt:[4026531840]") is None
    assert netns.link_inode("net:[x]") is None


def test_parse_mountinfo_keeps_network_namespaces_only():
    assert netns.parse_mountinfo(MOUNTINFO) == [
        (4026532567, "/run/netns/web1"), (4026532567, "/run/netns/alias"), (4026532999, "/run/docker/netns/1a2b 3c")]


def build_proc(root, processes, mountinfo=MOUNTINFO):
    """A fake /proc: {pid: (inode or None, comm, cgroup)}; self/mountinfo."""
    os.makedirs(os.path.join(root, "self"))
    with open(os.path.join(root, "self", "mountinfo"), "w") as handle:
        handle.write(mountinfo)
    for pid, (inode, comm, cgroup) in processes.items():
        base = os.path.join(root, str(pid))
        os.makedirs(os.path.join(base, "ns"))
        if inode is not None:
            os.symlink("net:[%d]" % inode, os.path.join(base, "ns", "net"))
        with open(os.path.join(base, "comm"), "w") as handle:
            handle.write(comm + "\n")
        with open(os.path.join(base, "cgroup"), "w") as handle:
            handle.write(cgroup)


def test_find_namespaces_groups_processes_names_and_mounts(tmp_path):
    proc = str(tmp_path / "proc")
    run_netns = str(tmp_path / "run-netns")
    build_proc(proc, {1: (4026531840, "init", "0::/init.scope\n"), 7: (4026532567, "nginx", "0::/x\n"),
                      9: (4026532567, "worker", "0::/x\n"), 11: (None, "gone", "")},
               MOUNTINFO.replace("/run/netns/", run_netns + "/"))
    found, unreadable = netns.find_namespaces(proc, run_netns)
    assert unreadable == 0
    assert found[4026531840] == {"inode": 4026531840, "names": [], "mounts": [], "pids": [1]}
    assert found[4026532567] == {"inode": 4026532567, "names": ["alias", "web1"], "mounts": [], "pids": [7, 9]}
    assert found[4026532999] == {"inode": 4026532999, "names": [], "mounts": ["/run/docker/netns/1a2b 3c"], "pids": []}
    assert sorted(found) == [4026531840, 4026532567, 4026532999]


def test_holders_skip_processes_that_exited(tmp_path):
    proc = str(tmp_path / "proc")
    build_proc(proc, {7: (1, "nginx", "0::/system.slice/docker-%s.scope\n" % ("a" * 64))})
    assert netns.holders(proc, [7, 8], 10) == [
        {"pid": 7, "comm": "nginx", "container": {"runtime": "docker", "id": "a" * 64, "name": None, "pod_uid": None}}]
    assert netns.holders(proc, [7, 8], 0) == []


def test_this_machine_has_our_namespace():
    found, _unreadable = netns.find_namespaces()
    mine = netns.ns_inode("/proc/self/ns/net")
    assert os.getpid() in found[mine]["pids"]
