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
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return 0
    held = 0
    for fd in fds:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:[") and target.endswith("]"):
            try:
                if int(target[8:-1]) in wanted:
                    held += 1
            except ValueError:
                continue
    return held


def socket_holders(proc, inodes, top, pids=None):
    """``[{pid, name, close_wait}]``: who holds the given socket inodes, most first.

    ``pids`` limits the scan to those processes (the holders of one network namespace);
    None scans every process under ``proc``.
    """
    wanted = set(inode for inode in inodes if inode)
    if not wanted:
        return []
    if pids is None:
        try:
            pids = [name for name in os.listdir(proc) if name.isdigit()]
        except OSError:
            return []
    holders = {}
    for pid in pids:
        held = _held(os.path.join(proc, str(pid), "fd"), wanted)
        if held:
            holders[int(pid)] = held
    result = [{"pid": pid, "name": read_comm(proc, pid), "close_wait": held} for pid, held in holders.items()]
    result.sort(key=lambda item: (-item["close_wait"], item["pid"]))
    return result[:top]
