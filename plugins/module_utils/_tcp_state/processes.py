# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``processes`` detail: which processes hold given socket inodes (CLOSE_WAIT ones).

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def read_comm(proc, pid):
    """The process name (``/proc/PID/comm``), or None when it cannot be read (gone, no permission)."""
    try:
        with open(os.path.join(proc, str(pid), "comm")) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def _held(fd_dir, wanted):
    """The inodes of ``wanted`` among the sockets open under ``fd_dir`` (one per descriptor)."""
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return []
    held = []
    for fd in fds:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:[") and target.endswith("]"):
            try:
                inode = int(target[8:-1])
                if inode in wanted:
                    held.append(inode)
            except ValueError:
                continue
    return held


def _all_pids(proc):
    try:
        return [int(name) for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return []


def _scan(proc, pids, wanted, holders):
    for pid in pids:
        held = _held(os.path.join(proc, str(pid), "fd"), wanted)
        if held:
            holders[pid] = held


def _matched(holders):
    return set(inode for held in holders.values() for inode in held)


def socket_holders(proc, inodes, top, pids=None):
    """``[{pid, name, close_wait}]``: who holds the given socket inodes, most first.

    ``pids`` are scanned first (the processes of one network namespace); only when some
    inodes are still unmatched (a socket made in the namespace by a process that lives in
    another, or passed to one) are the other processes under ``proc`` scanned too. None
    scans every process.
    """
    wanted = set(inode for inode in inodes if inode)
    if not wanted:
        return []
    holders = {}
    first = _all_pids(proc) if pids is None else [int(pid) for pid in pids]
    _scan(proc, first, wanted, holders)
    if pids is not None and wanted - _matched(holders):
        seen = set(first)
        _scan(proc, [pid for pid in _all_pids(proc) if pid not in seen], wanted, holders)
    result = [{"pid": pid, "name": read_comm(proc, pid), "close_wait": len(held)} for pid, held in holders.items()]
    result.sort(key=lambda item: (-item["close_wait"], item["pid"]))
    return result[:top]
