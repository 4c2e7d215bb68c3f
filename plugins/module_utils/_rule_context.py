# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host context the rules judge against, gathered once per run.

PRIVATE: internal to the netfleet.tcp collection.

``gather_context()`` is what sysctl_check and sysctl_profile both read: the basic
context of _host_context (kernel, namespace, memory, writability), the live values of
every catalog key, the listeners, the TIME_WAIT count and connection counters, and the
NAT decision of _nat. Every reader takes the ``proc`` root it reads, so unit tests
feed recorded trees.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _nat
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    NetfleetError,
    SysctlInputError,
    SysctlReadError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import basic_context
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value

try:  # the census libraries of tcp_state_facts
    from ansible_collections.netfleet.tcp.plugins.module_utils import _tcp_state
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net
except ImportError:  # pragma: no cover - only in a partial copy of the collection
    _proc_net = _tcp_state = None


def read_live(keys, proc="/proc"):
    """``{key: normalised text or None}``; unreadable keys read as None too (noted by the caller)."""
    root = os.path.join(proc, "sys")
    values = {}
    for key in keys:
        try:
            values[key] = read_value(key, root)
        except (SysctlInputError, SysctlReadError):
            values[key] = None
    return values


def _read_sockstat_tw(proc):
    try:
        return (_proc_net.read_sockstat(proc).get("tcp") or {}).get("tw")
    except NetfleetError:
        return None


def _read_tcp_counters(proc):
    try:
        tcp = _proc_net.read_counters(proc).get("Tcp") or {}
    except NetfleetError:
        return None, None
    return tcp.get("ActiveOpens"), tcp.get("PassiveOpens")


def read_listeners(proc="/proc", diag=None):
    """``[(family, address, port)]`` of TCP listeners (``_tcp_state.listeners``).

    The context never fails over its listeners: when the netlink dump cannot be read
    or decoded at all, /proc/net/tcp{,6} is read instead, and a /proc/net/tcp that
    cannot be parsed gives no listeners.
    """
    try:
        return _tcp_state.listeners(proc, diag=diag)
    except (NetfleetError, EnvironmentError, ValueError):
        pass
    try:
        return _tcp_state.listeners(proc, source="proc")
    except NetfleetError:
        return []


def read_interfaces(proc="/proc"):
    """Names of this network namespace's interfaces (/proc/net/dev, which follows the reader's
    namespace), loopback included; None when it cannot be read."""
    try:
        with open(os.path.join(proc, "net", "dev")) as handle:
            lines = handle.read().splitlines()[2:]
    except (IOError, OSError):
        return None
    return sorted(line.split(":", 1)[0].strip() for line in lines if ":" in line)


def _module_names(modules, release):
    """Congestion control modules (tcp_<name>.ko*) the running kernel can load, from modules.dep
    (every module directory depmod saw: kernel/, updates/, extra/), else kernel/net/ipv4."""
    base = os.path.join(modules, release)
    if not os.path.isdir(base):
        return None
    paths = []
    try:
        with open(os.path.join(base, "modules.dep")) as handle:
            paths = [line.split(":", 1)[0] for line in handle if ":" in line]
    except (IOError, OSError):
        directory = os.path.join(base, "kernel", "net", "ipv4")
        paths = os.listdir(directory) if os.path.isdir(directory) else []
    names = set()
    for path in paths:
        name = os.path.basename(path)
        if name.startswith("tcp_") and ".ko" in name:
            names.add(name.split(".ko")[0][len("tcp_"):])
    names.discard("diag")   # tcp_diag is the socket dump interface, not an algorithm
    return sorted(names)


def _modules_disabled(proc):
    try:
        with open(os.path.join(proc, "sys/kernel/modules_disabled")) as handle:
            return handle.read().strip() == "1"
    except (IOError, OSError):
        return False


def read_congestion(proc="/proc", modules="/lib/modules"):
    """``(available, loadable)``: congestion control algorithms built in or loaded, and those a
    module of the running kernel provides (tcp_<name>.ko* listed in modules.dep); none without
    /proc/modules (a kernel without module support) or with kernel.modules_disabled=1; None
    where it cannot be read."""
    available = None
    try:
        with open(os.path.join(proc, "sys/net/ipv4/tcp_available_congestion_control")) as handle:
            available = sorted(handle.read().split())
    except (IOError, OSError):
        pass
    if not os.path.exists(os.path.join(proc, "modules")) or _modules_disabled(proc):
        # No module support, or module loading switched off until reboot: nothing can be loaded.
        return available, []
    try:
        with open(os.path.join(proc, "sys/kernel/osrelease")) as handle:
            release = handle.read().strip()
    except (IOError, OSError):
        return available, None
    return available, _module_names(modules, release)


def gather_context(proc="/proc", nat_facing="auto", run=None, which=None):
    """The host context every check and guard reads.

    Keys: kernel, kernel_version, initial_netns, proc_sys_net_writable,
    mem_total_bytes, page_size, nat_facing, nat_mode, nat_evidence, listen_ports,
    time_wait, active_opens, passive_opens, congestion_available and
    congestion_loadable (None when unreadable), interfaces (this namespace's, None when
    unreadable), and sysctl_live (live values of every
    catalog key, for cross-key rules; None where absent).

    ``run(argv) -> (rc, stdout, stderr)`` runs nft/iptables-save for NAT detection
    (only when nat_facing is auto and ip_forward is 1); ``which(name)`` finds them.
    """
    context = basic_context(proc)
    live = read_live(_catalog.keys(), proc)
    listeners = read_listeners(proc)
    active, passive = _read_tcp_counters(proc)
    context.update({
        "listen_ports": sorted(set(port for _family, _address, port in listeners)),
        "time_wait": _read_sockstat_tw(proc),
        "active_opens": active,
        "passive_opens": passive,
        "sysctl_live": live,
    })
    context["congestion_available"], context["congestion_loadable"] = read_congestion(proc)
    context["interfaces"] = read_interfaces(proc)
    context.update(_nat.detect(
        nat_facing, ip_forward=live.get("net.ipv4.ip_forward"), listeners=listeners,
        active_opens=active, passive_opens=passive, run=run, which=which))
    return context
