# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The census of every network namespace on the host, in one pass.

PRIVATE: internal to the netfleet.tcp collection.

find_namespaces() lists the namespaces; a worker thread then joins each in turn
(enter.py) and gathers the same facts there as gather() does for the module's own
namespace, against that namespace's own limits (its ip_local_port_range, its
tcp_max_tw_buckets). Every namespace found gets an entry: ``ok`` with its facts,
``gone`` when it disappeared before its turn, ``cannot_enter`` or ``error`` with the
reason. None is left out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.enter import (
    THREAD_NET,
    CannotEnter,
    NamespaceGone,
    open_namespace,
    references,
    run_in_thread,
    setns_function,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.gather import GatherError, gather
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.netns import (
    RUN_NETNS,
    find_namespaces,
    holders,
    ns_inode,
)

NAMESPACES = ("current", "all")
STATUSES = ("ok", "gone", "cannot_enter", "error")
# Keys only the machine's initial network namespace registers.
_INITIAL_ONLY = ("net/core/netdev_max_backlog", "net/ipv4/tcp_mem")


def _order(namespaces, current):
    """The current namespace first, then named ones by name, then the rest by inode."""
    return sorted(namespaces.values(), key=lambda item: (
        item["inode"] != current, not item["names"], item["names"][:1], item["inode"]))


def _base(namespace, current, init, proc, top):
    names = namespace["names"]
    return {
        "inode": namespace["inode"],
        "name": names[0] if names else None,
        "names": list(names),
        "mounts": list(namespace["mounts"]),
        "current": namespace["inode"] == current,
        "initial": None if init is None else namespace["inode"] == init,
        "status": "ok",
        "reason": None,
        "holder_count": len(namespace["pids"]),
        "holders": holders(proc, namespace["pids"], top),
    }


def _initial_here(proc):
    return all(os.path.exists(os.path.join(proc, "sys", key)) for key in _INITIAL_ONLY)


def _enter_and_gather(namespace, entry, options, setns):
    """In the worker thread: join ``namespace`` and gather its facts into ``entry``."""
    proc = options["proc"]
    try:
        fd = open_namespace(references(proc, namespace), namespace["inode"])
    except NamespaceGone as error:
        if namespace.get("hidden"):
            entry.update(status="cannot_enter", reason="it is only mounted on paths that other mounts cover: %s"
                         % ", ".join(namespace["hidden"]))
        else:
            entry.update(status="gone", reason="the namespace disappeared before its turn: %s" % error)
        return
    except CannotEnter as error:
        entry.update(status="cannot_enter", reason=str(error))
        return
    try:
        setns(fd)
    except OSError as error:
        entry.update(status="cannot_enter", reason="setns(2) refused: %s" % (error.strerror or error))
        return
    finally:
        os.close(fd)
    try:
        facts = gather(options["detail"], proc, options["top"], options["source"], net=THREAD_NET,
                       pids=namespace["pids"], host=options["host"])
    except GatherError as error:
        facts = error.partial
        entry.update(status="error", reason=str(error))
    # PID 1's namespace when /proc/1/ns/net could be read; either way only the initial
    # namespace registers the _INITIAL_ONLY keys (read here, in the joined namespace).
    entry["initial"] = entry["initial"] is not False and _initial_here(proc)
    if "host" in facts:
        facts["host"]["initial_netns"] = bool(entry["initial"])
    entry.update(facts)


def _pass(ordered, current_facts, options):
    """The worker thread's body: one entry per namespace, in order."""
    setns, unusable = setns_function()
    entries = []
    for namespace, entry in ordered:
        if entry["current"] and current_facts is not None:
            entry.update(current_facts)
            entry["initial"] = bool(current_facts.get("host", {}).get("initial_netns"))
        elif setns is None:
            entry.update(status="cannot_enter", reason=unusable)
        else:
            _enter_and_gather(namespace, entry, options, setns)
        entries.append(entry)
    return entries


def gather_namespaces(detail=(), proc="/proc", top=10, source="auto", *, current_facts=None, found=None,
                      run_netns=RUN_NETNS):
    """``(entries, scan)`` for every network namespace on the host.

    ``current_facts`` are the module's own namespace's facts, reused for its entry
    (gathered again when None). ``found`` is what find_namespaces() returned (it is
    called when None); the pass may start well after it, so a namespace can be gone
    by its turn. ``scan`` counts the namespaces by status and the processes whose
    namespace could not be read.
    """
    if found is None:
        found = find_namespaces(proc, run_netns)
    namespaces, unreadable = found
    current = ns_inode(os.path.join(proc, "self", "ns", "net"))
    init = ns_inode(os.path.join(proc, "1", "ns", "net"))
    ordered = [(namespace, _base(namespace, current, init, proc, top)) for namespace in _order(namespaces, current)]
    options = {"detail": tuple(detail or ()), "proc": proc, "top": top, "source": source,
               "host": (current_facts or {}).get("host")}
    entries = run_in_thread(_pass, ordered, current_facts, options)
    scan = dict((status, sum(1 for entry in entries if entry["status"] == status)) for status in STATUSES)
    scan["namespaces"] = len(entries)
    scan["unreadable_processes"] = unreadable
    return entries, scan
