# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which network stack a record of original values belongs to.

PRIVATE: internal to the netfleet.tcp collection.

A record holds one network stack's original values. A state directory can be shared
between stacks (``ip netns exec`` keeps the caller's /var/lib; containers bind-mount
it), so each record carries the binding of the stack it was taken in, and a record
is only used where the binding matches:

``machine_id``
    /etc/machine-id (or /var/lib/dbus/machine-id): the host, the same across reboots.
``initial``
    whether the record was taken in the initial network namespace. The initial
    namespace of a host is unique, so machine_id and ``initial`` identify it.
``addresses``
    in a child namespace, its own unicast addresses (IPv4 host LOCAL routes of
    /proc/net/fib_trie, global IPv6 of /proc/net/if_inet6; loopback and link-local
    excluded): what a container or test host keeps across a reboot of the machine.
``netns_inode`` / ``boot_id``
    the namespace's inode in this boot, so a namespace whose addresses changed since
    the record was taken is still recognised until the machine reboots.

A child namespace matches when machine_id and ``initial`` match and either the boot and
inode are the same (both unknown counts as the same) or its address set is the same,
non-empty one. Records written
before bindings existed are accepted once and bound on the next write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

_MAX_READ = 4 * 1024 * 1024


def _read(path):
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (IOError, OSError):
        return None
    try:
        chunks = []
        size = 0
        while size <= _MAX_READ:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks).decode("utf-8", "replace")
    except (IOError, OSError):
        return None
    finally:
        os.close(fd)


def _machine_id(root):
    for relative in ("etc/machine-id", "var/lib/dbus/machine-id"):
        text = _read(os.path.join(root, relative))
        if text and text.strip():
            return text.strip()
    return None


def _addresses(proc):
    found = set()
    previous = None
    for line in (_read(os.path.join(proc, "net", "fib_trie")) or "").splitlines():
        words = line.split()
        if words[:1] == ["|--"] and len(words) == 2:
            previous = words[1]
            continue
        if previous and words == ["/32", "host", "LOCAL"] and not previous.startswith("127."):
            found.add(previous)
    for line in (_read(os.path.join(proc, "net", "if_inet6")) or "").splitlines():
        words = line.split()
        if len(words) >= 6 and words[3] == "00" and words[5] != "lo":
            text = words[0]
            found.add(":".join(text[i:i + 4] for i in range(0, 32, 4)))
    return sorted(found)


def _inode(path):
    try:
        return os.stat(path).st_ino
    except (IOError, OSError):
        return None


def current(proc, root, initial):
    """The binding of the stack this run changes."""
    boot = _read(os.path.join(proc, "sys", "kernel", "random", "boot_id"))
    return {
        "machine_id": _machine_id(root),
        "initial": bool(initial),
        "addresses": [] if initial else _addresses(proc),
        "netns_inode": _inode(os.path.join(proc, "self", "ns", "net")),
        "boot_id": boot.strip() if boot else None,
    }


def _where(binding):
    if binding.get("initial"):
        return "the initial network namespace of machine %s" % binding.get("machine_id")
    return "a child network namespace of machine %s with addresses %s" % (
        binding.get("machine_id"), ", ".join(binding.get("addresses") or []) or "(none)")


def problem(path, recorded, here):
    """Why the record at ``path`` (bound to ``recorded``) must not be used in ``here``, or None."""
    if recorded is None:
        return None
    same = True
    if recorded.get("machine_id") and here.get("machine_id") and recorded["machine_id"] != here["machine_id"]:
        same = False
    elif bool(recorded.get("initial")) != bool(here.get("initial")):
        same = False
    elif not here.get("initial"):
        same_boot = recorded.get("boot_id") == here.get("boot_id")
        same_ns = same_boot and recorded.get("netns_inode") == here.get("netns_inode")
        addresses = recorded.get("addresses") or []
        same = bool(same_ns) or (bool(addresses) and addresses == here.get("addresses"))
    if same:
        return None
    return ("record %s was taken in %s, but this run changes %s; its original values belong to that stack, so "
            "they are neither restored nor extended here. Give each network namespace a state_dir of its own "
            "(the state dir is shared here), or move the record aside if that stack no longer exists"
            % (path, _where(recorded), _where(here)))
