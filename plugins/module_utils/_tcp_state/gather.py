# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble one network namespace's ``tcp_state``: census, kernel accounting, limits, details.

PRIVATE: internal to the netfleet.tcp collection.

The census and the kernel's accounting are kept apart on purpose: the census counts
sockets seen in one netlink dump (or /proc/net/tcp{,6}); ``sockstat`` and
``counters`` are what the kernel itself accounts, and they differ for good reasons
(orphaned FIN_WAIT2 minisocks are in sockstat ``tw``; counters are since boot).

Everything is read in the network namespace of the calling thread: netlink sockets
are created by it, /proc/sys follows it, and /proc/net is read under ``net`` (pass
``/proc/thread-self`` from a thread that joined another namespace: /proc/net is the
thread group leader's).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _host_context
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as _inet_diag
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.limits import read_limits, usable_port_table
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.ports import ports_detail, ratio
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.processes import socket_holders
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.sources import (
    SOURCES,
    address_text,
    family_name,
    open_source,
)

DETAILS = ("ports", "listeners", "processes")
STATE_NAMES = _proc_net.STATE_NAMES


class GatherError(NetfleetError):
    """The facts could not be gathered; ``partial`` holds what was gathered before."""

    def __init__(self, message, partial):
        self.partial = partial
        super(GatherError, self).__init__(message)


def _states_dict(counts):
    return dict((name, counts[number]) for number, name in enumerate(_proc_net.TCP_STATES) if name)


def listeners(proc="/proc", source="auto", diag=None):
    """Sorted, unique ``[(family, address, port)]`` of TCP listeners, from a LISTEN-only dump.

    ``family`` is ``ipv4`` or ``ipv6``; ``address`` is the local address as text (an
    IPv4-mapped IPv6 address is shown as the IPv4 address, as in the ``listeners``
    fact). Uses netlink on the live /proc (the kernel filters the dump, so it costs
    little however many connections the host holds) and /proc/net/tcp{,6} otherwise
    or when netlink is not usable; ``source`` and ``diag`` as for gather().
    """
    found = open_source(proc, source, diag, [])
    entries = getattr(found, "probe", None)
    if entries is None:
        entries = found.listeners()
    return sorted(set(
        (family_name(entry["family"]), address_text(entry["family"], entry["address"]), entry["port"])
        for entry in entries
    ))


def listening_ports(proc="/proc", source="auto", diag=None):
    """Sorted, unique local TCP ports in LISTEN (IPv4 and IPv6); see listeners()."""
    return sorted(set(port for _family, _address, port in listeners(proc, source, diag)))


def _listeners_fact(entries):
    result = [
        {
            "family": family_name(entry["family"]),
            "address": address_text(entry["family"], entry["address"]),
            "port": entry["port"],
            "queue": entry["queue"],
            "backlog": entry["backlog"],
        }
        for entry in entries
    ]
    result.sort(key=lambda item: (item["port"], item["family"], item["address"]))
    return result


def check_options(detail, source):
    """Raise ValueError naming an unknown detail or source."""
    unknown = [item for item in detail if item not in DETAILS]
    if unknown:
        raise ValueError("unknown detail %s (expected any of %s)" % (", ".join(unknown), ", ".join(DETAILS)))
    if source not in SOURCES:
        raise ValueError("unknown source %r (expected one of %s)" % (source, ", ".join(SOURCES)))


def _census(result, found, limits, listen_ports, detail, notes):
    """Take the census into ``result``; returns the raw ``ports`` tuple and the usable count."""
    usable_table = usable = None
    if "ports" in detail:
        usable_table, usable = usable_port_table(limits, listen_ports)
    counts, interrupted, ports = found.census(usable_table)
    if interrupted:
        notes.append("the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR): the sample may be inconsistent")
    total = [counts["ipv4"][index] + counts["ipv6"][index] for index in range(12)]
    result["method"] = found.method
    result["states"] = _states_dict(total)
    result["families"] = {"ipv4": _states_dict(counts["ipv4"]), "ipv6": _states_dict(counts["ipv6"])}
    result["total"] = sum(total[1:])
    return ports, usable


def _pressure(result, limits):
    tw = result["sockstat"]["tcp"]["tw"]
    return {
        "time_wait_ratio": ratio(result["states"]["TIME_WAIT"], limits["tcp_max_tw_buckets"]),
        "tw_bucket_ratio": ratio(tw, limits["tcp_max_tw_buckets"]),
        "orphan_ratio": ratio(result["sockstat"]["tcp"]["orphan"], limits["tcp_max_orphans"]),
    }


def _host(proc, known=None):
    """The host context; ``known`` (another namespace's, same kernel) spares re-reading the release."""
    if known is not None:
        host = dict(known)
        host["proc_sys_net_writable"] = _host_context.proc_sys_net_writable(proc)
        return host
    release = _host_context.kernel_release(proc)
    version = _host_context.parse_kernel_release(release)
    return {
        "kernel": release,
        "kernel_version": list(version) if version else None,
        "initial_netns": _host_context.is_initial_netns(proc),
        "proc_sys_net_writable": _host_context.proc_sys_net_writable(proc),
    }


def gather(detail=(), proc="/proc", top=10, source="auto", *, diag=None, net=None, pids=None, host=None):
    """Gather the ``tcp_state`` facts (see the module's RETURN for every field).

    ``detail`` is any of ``ports``, ``listeners``, ``processes``; ``top`` bounds the
    ranked lists; ``source`` is ``auto`` (netlink on the live /proc, /proc/net/tcp
    otherwise or when netlink is unusable), ``netlink`` or ``proc``. ``diag`` replaces
    the netlink transport (tests replay recorded replies through it). ``net`` is the
    root whose ``net/`` is read (default ``proc``); ``pids`` limits the ``processes``
    scan to those processes (default: all); ``host`` is the ``host`` fact of another
    namespace of the same machine, reused but for ``proc_sys_net_writable`` (the
    caller sets ``initial_netns``).

    Raises GatherError (with the partial result) when something cannot be read.
    """
    detail = tuple(detail or ())
    check_options(detail, source)
    net = proc if net is None else net
    notes = []
    result = {}
    step = "open the census source"
    try:
        found = open_source(proc, source, diag, notes, net)
        result["source"] = found.name
        step = "read the limits"
        limits = read_limits(proc, notes)
        step = "list the listeners"
        listen_entries = getattr(found, "probe", None)
        if listen_entries is None:
            listen_entries = found.listeners()
        listen_ports = sorted(set(entry["port"] for entry in listen_entries))
        step = "take the census"
        ports, usable = _census(result, found, limits, listen_ports, detail, notes)
        step = "read /proc/net/sockstat"
        result["sockstat"] = _proc_net.read_sockstat(net)
        step = "read /proc/net/snmp and netstat"
        result["counters"] = _proc_net.read_counters(net)
        result["limits"] = limits
        result["pressure"] = _pressure(result, limits)
        step = "read the host context"
        result["host"] = _host(proc, host)
        result["listen_ports"] = listen_ports
        result["pressure"]["ephemeral_port_ratio"] = None
        if "ports" in detail:
            destinations, time_wait, close_wait, ephemeral = ports
            result["ports"] = ports_detail(destinations, time_wait, close_wait, usable, ephemeral, top)
            busiest = result["ports"]["destinations"]
            result["pressure"]["ephemeral_port_ratio"] = busiest[0]["share"] if busiest else (0.0 if usable else None)
        if "listeners" in detail:
            result["listeners"] = _listeners_fact(listen_entries)
        if "processes" in detail:
            step = "match CLOSE_WAIT sockets to processes"
            result["processes"] = socket_holders(proc, found.close_wait_inodes(), top, pids)
        result["notes"] = notes
    except (NetfleetError, EnvironmentError) as error:
        result["notes"] = notes
        raise GatherError("cannot %s: %s" % (step, error), result)
    return result
