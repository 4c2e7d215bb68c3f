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
    # Regular files stand in for the nsfs mounts: their inodes play the namespaces' inodes.
    run_netns = tmp_path / "run-netns"
    docker = tmp_path / "docker-netns"
    run_netns.mkdir()
    docker.mkdir()
    for path in (run_netns / "web1", docker / "1a2b 3c", tmp_path / "covered"):
        path.write_text("")
    web1, sandbox = (run_netns / "web1").stat().st_ino, (docker / "1a2b 3c").stat().st_ino
    (run_netns / "alias").symlink_to(run_netns / "web1")
    mountinfo = (
        "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
        "101 25 0:4 net:[%d] %s/web1 rw shared:5 - nsfs nsfs rw\n"
        "102 25 0:4 net:[%d] %s/alias rw shared:5 - nsfs nsfs rw\n"
        "103 25 0:4 net:[%d] %s/1a2b\\0403c rw - nsfs nsfs rw\n"
        "104 25 0:4 net:[777] %s/covered rw - nsfs nsfs rw\n"
    ) % (web1, run_netns, web1, run_netns, sandbox, docker, tmp_path)
    proc = str(tmp_path / "proc")
    build_proc(proc, {1: (4026531840, "init", "0::/init.scope\n"), 7: (web1, "nginx", "0::/x\n"),
                      9: (web1, "worker", "0::/x\n"), 11: (None, "gone", "")}, mountinfo)
    found, unreadable = netns.find_namespaces(proc, str(run_netns))
    assert unreadable == 0
    assert found[4026531840] == {"inode": 4026531840, "names": [], "mounts": [], "pids": [1]}
    assert found[web1] == {"inode": web1, "names": ["alias", "web1"], "mounts": [], "pids": [7, 9]}
    assert found[sandbox] == {"inode": sandbox, "names": [], "mounts": [str(docker / "1a2b 3c")], "pids": []}
    assert found[777] == {"inode": 777, "names": [], "mounts": [], "pids": [], "hidden": [str(tmp_path / "covered")]}
    assert sorted(found) == sorted([4026531840, web1, sandbox, 777])


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
