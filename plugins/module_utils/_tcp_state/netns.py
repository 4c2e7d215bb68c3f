# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find every network namespace on the host, with its names and the processes that hold it.

PRIVATE: internal to the netfleet.tcp collection.

A network namespace lives while something references it. Three references can be
read without entering anything:

- a process: ``/proc/PID/ns/net`` is a link to ``net:[INODE]`` (reading another
  user's needs ptrace read access, so without root only your own are seen; they are
  counted as unreadable, never silently skipped);
- a name: ``ip netns add NAME`` bind-mounts the namespace on ``/run/netns/NAME``;
- any other bind mount of it (Docker's ``/run/docker/netns/*``), listed in
  ``/proc/self/mountinfo`` as filesystem ``nsfs`` with root ``net:[INODE]``.

A namespace pinned only by an open file descriptor or by one thread of a process is
not found (no cheap way to list those).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.containers import container_of
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.processes import read_comm

RUN_NETNS = "/run/netns"


def link_inode(text):
    """``net:[4026531840]`` -> 4026531840; None for anything else."""
    if text.startswith("net:[") and text.endswith("]"):
        try:
            return int(text[5:-1])
        except ValueError:
            return None
    return None


def ns_inode(path):
    """The inode of the network namespace at ``path`` (a ns link or an nsfs mount), or None."""
    try:
        return os.stat(path).st_ino
    except (IOError, OSError):
        return None


def _unoctal(text):
    """mountinfo escapes space, tab, newline and backslash as ``\\NNN``."""
    if "\\" not in text:
        return text
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\" and text[index + 1:index + 4].isdigit():
            out.append(chr(int(text[index + 1:index + 4], 8)))
            index += 4
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def parse_mountinfo(text):
    """``[(inode, mount point)]`` of every network namespace bind mount in mountinfo text."""
    found = []
    for line in text.splitlines():
        fields = line.split(" ")
        if " - " not in line or len(fields) < 5:
            continue
        tail = line.split(" - ", 1)[1].split(" ")
        inode = link_inode(fields[3])
        if tail and tail[0] == "nsfs" and inode is not None:
            found.append((inode, _unoctal(fields[4])))
    return found


def _entry(namespaces, inode):
    entry = namespaces.get(inode)
    if entry is None:
        entry = namespaces[inode] = {"inode": inode, "names": [], "mounts": [], "pids": []}
    return entry


def _scan_processes(proc, namespaces):
    """Add every process to its namespace; returns how many could not be read (permission)."""
    unreadable = 0
    try:
        pids = sorted(int(name) for name in os.listdir(proc) if name.isdigit())
    except OSError:
        return 0
    for pid in pids:
        try:
            inode = link_inode(os.readlink(os.path.join(proc, str(pid), "ns", "net")))
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM):
                unreadable += 1
            continue  # ENOENT/ESRCH: the process exited (or is a kernel thread without one)
        if inode is not None:
            _entry(namespaces, inode)["pids"].append(pid)
    return unreadable


def _scan_mounts(proc, run_netns, namespaces):
    try:
        with open(os.path.join(proc, "self", "mountinfo")) as handle:
            mounts = parse_mountinfo(handle.read())
    except (IOError, OSError):
        mounts = []
    prefix = run_netns.rstrip("/") + "/"
    for inode, path in mounts:
        entry = _entry(namespaces, inode)
        if ns_inode(path) != inode:
            # Covered by a later mount on the same path (or unreadable): not a way in.
            entry.setdefault("hidden", []).append(path)
            continue
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            if path[len(prefix):] not in entry["names"]:
                entry["names"].append(path[len(prefix):])
        elif path not in entry["mounts"]:
            entry["mounts"].append(path)
    # Names whose mount mountinfo did not show (another mount namespace's view): stat them.
    try:
        names = os.listdir(run_netns)
    except OSError:
        names = []
    own = ns_inode(os.path.join(proc, "self", "ns", "net"))
    for name in names:
        path = os.path.join(run_netns, name)
        inode = ns_inode(path)
        if inode is None or any(name in entry["names"] for entry in namespaces.values()):
            continue
        try:
            nsfs = os.stat(path).st_dev == os.stat(os.path.join(proc, "self", "ns", "net")).st_dev
        except OSError:
            nsfs = False
        if nsfs or inode == own:
            _entry(namespaces, inode)["names"].append(name)


def find_namespaces(proc="/proc", run_netns=RUN_NETNS):
    """``(namespaces, unreadable)``: every network namespace found, by inode, and how many
    processes' namespaces could not be read.

    Each namespace is ``{inode, names, mounts, pids}`` (names sorted, pids ascending), plus
    ``hidden``: mount points of it that another mount now covers, when there are some.
    """
    namespaces = {}
    unreadable = _scan_processes(proc, namespaces)
    _scan_mounts(proc, run_netns, namespaces)
    for entry in namespaces.values():
        entry["names"].sort()
        entry["mounts"].sort()
    return namespaces, unreadable


def holders(proc, pids, top):
    """``[{pid, comm, container}]`` for the first ``top`` of ``pids`` (still running)."""
    result = []
    for pid in pids:
        if len(result) >= top:
            break
        comm = read_comm(proc, pid)
        if comm is None and not os.path.exists(os.path.join(proc, str(pid))):
            continue
        result.append({"pid": pid, "comm": comm, "container": container_of(proc, pid)})
    return result
