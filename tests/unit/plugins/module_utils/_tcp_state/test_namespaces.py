# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The namespace pass: order, gone and unenterable namespaces, our own namespace reused."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import enter, namespaces
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.netns import ns_inode


def ns(inode, names=(), pids=(), mounts=()):
    return {"inode": inode, "names": list(names), "mounts": list(mounts), "pids": list(pids)}


def test_open_namespace_checks_the_inode(tmp_path):
    other = tmp_path / "not-a-namespace"
    other.write_text("")
    with pytest.raises(enter.NamespaceGone):
        enter.open_namespace([str(tmp_path / "missing"), str(other)], 12345)
    fd = enter.open_namespace([str(tmp_path / "missing"), str(other)], os.stat(str(other)).st_ino)
    os.close(fd)


def test_references_names_mounts_then_processes():
    assert enter.references("/proc", ns(1, ["a"], [5], ["/run/docker/netns/x"])) == [
        "/run/netns/a", "/run/docker/netns/x", "/proc/5/ns/net"]


def test_pass_reports_gone_namespaces_and_reuses_the_current_facts():
    current = ns_inode("/proc/self/ns/net")
    found = {
        current: ns(current, pids=[os.getpid()]),
        # Referenced only by a process and a name that no longer exist.
        17: ns(17, names=["nf-test-vanished"], pids=[2 ** 22 + 7]),
        5: ns(5),
    }
    facts = {"states": {"TIME_WAIT": 3}, "host": {"initial_netns": False}}
    entries, scan = namespaces.gather_namespaces(current_facts=facts, found=(found, 2))
    assert [entry["inode"] for entry in entries] == [current, 17, 5]
    assert entries[0]["current"] and entries[0]["status"] == "ok" and entries[0]["states"] == {"TIME_WAIT": 3}
    assert entries[0]["initial"] is False
    assert entries[1]["status"] == "gone" and entries[1]["name"] == "nf-test-vanished"
    assert "disappeared" in entries[1]["reason"] and "states" not in entries[1]
    assert entries[2]["status"] == "gone"
    assert scan == {"ok": 1, "gone": 2, "cannot_enter": 0, "error": 0, "namespaces": 3, "unreadable_processes": 2}


def test_main_thread_stays_where_it_was():
    before = ns_inode("/proc/thread-self/ns/net")
    namespaces.gather_namespaces(found=({}, 0))
    assert ns_inode("/proc/thread-self/ns/net") == before


def test_a_namespace_only_mounted_under_a_covered_path_cannot_be_entered():
    found = {9: dict(ns(9), hidden=["/run/netns/covered"])}
    entries, scan = namespaces.gather_namespaces(found=(found, 0))
    assert entries[0]["status"] == "cannot_enter" and "/run/netns/covered" in entries[0]["reason"]
    assert scan["cannot_enter"] == 1


def test_close_wait_holders_outside_the_namespace_are_still_found(tmp_path):
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.processes import socket_holders

    proc = tmp_path / "proc"
    for pid, comm, inodes in ((10, "inside", [501]), (20, "outside", [502, 503]), (30, "idle", [])):
        (proc / str(pid) / "fd").mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
        for fd, inode in enumerate(inodes):
            os.symlink("socket:[%d]" % inode, str(proc / str(pid) / "fd" / str(fd)))
    # The namespace's own process first; the rest only because 502 and 503 are still unmatched.
    assert socket_holders(str(proc), [501, 502, 503], 10, pids=[10]) == [
        {"pid": 20, "name": "outside", "close_wait": 2}, {"pid": 10, "name": "inside", "close_wait": 1}]
    assert socket_holders(str(proc), [501], 10, pids=[10]) == [{"pid": 10, "name": "inside", "close_wait": 1}]
    assert socket_holders(str(proc), [502], 10) == [{"pid": 20, "name": "outside", "close_wait": 1}]
