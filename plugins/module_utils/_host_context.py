# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a check needs to know about the host: kernel, namespace, memory, /proc/sys.

PRIVATE: internal to the netfleet.tcp collection.

Pure readers: every function takes the root it reads from, so unit tests feed
recorded trees. NAT evidence lives in _nat.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

_RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def parse_kernel_release(release):
    """``"6.1.0-18-amd64"`` -> ``(6, 1, 0)``; None when it does not start with a version."""
    match = _RELEASE.match(release or "")
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def kernel_release(proc="/proc"):
    """The running kernel's release string (``uname -r``), read from /proc."""
    try:
        with open(os.path.join(proc, "sys", "kernel", "osrelease")) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return os.uname()[2]


def _ns_inode(path):
    try:
        return os.stat(path).st_ino
    except (IOError, OSError):
        return None


def is_initial_netns(proc="/proc"):
    """True when this process runs in the machine's initial network namespace.

    Two signs, either of which proves a child namespace: our namespace differs from
    PID 1's, or a key that only the initial namespace registers (net.core.netdev_max_backlog,
    net.ipv4.tcp_mem) is absent. The second also catches containers whose PID 1 shares
    our namespace.
    """
    mine = _ns_inode(os.path.join(proc, "self", "ns", "net"))
    init = _ns_inode(os.path.join(proc, "1", "ns", "net"))
    if mine is not None and init is not None and mine != init:
        return False
    for relative in (("net", "core", "netdev_max_backlog"), ("net", "ipv4", "tcp_mem")):
        if not os.path.exists(os.path.join(proc, "sys", *relative)):
            return False
    return True


def proc_sys_net_writable(proc="/proc"):
    """True when this process may write net.* sysctls (not a read-only /proc/sys)."""
    probe = os.path.join(proc, "sys", "net", "ipv4", "tcp_fin_timeout")
    target = probe if os.path.exists(probe) else os.path.join(proc, "sys", "net")
    try:
        if os.statvfs(target).f_flag & os.ST_RDONLY:
            return False
    except (IOError, OSError):
        return False
    return os.access(target, os.W_OK)


def meminfo(proc="/proc"):
    """``/proc/meminfo`` as ``{field: bytes}`` (kB fields converted)."""
    result = {}
    try:
        with open(os.path.join(proc, "meminfo")) as handle:
            for line in handle:
                name, _sep, rest = line.partition(":")
                fields = rest.split()
                # isdigit() alone also takes digits int() refuses, such as '\u00b2'.
                if not fields or not (fields[0].isascii() and fields[0].isdigit()):
                    continue
                value = int(fields[0])
                if len(fields) > 1 and fields[1] == "kB":
                    value *= 1024
                result[name.strip()] = value
    except (IOError, OSError):
        pass
    return result


def page_size():
    """The memory page size in bytes (tcp_mem is counted in pages of this size)."""
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4096


def basic_context(proc="/proc"):
    """The context every check and guard reads: kernel, namespace, memory, writability."""
    release = kernel_release(proc)
    version = parse_kernel_release(release)
    memory = meminfo(proc)
    return {
        "kernel": release,
        "kernel_version": list(version) if version else None,
        "initial_netns": is_initial_netns(proc),
        "proc_sys_net_writable": proc_sys_net_writable(proc),
        "mem_total_bytes": memory.get("MemTotal"),
        "page_size": page_size(),
    }
