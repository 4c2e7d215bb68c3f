# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_check's engine: gather the host context, read values, run every rule.

PRIVATE: internal to the netfleet.tcp collection.

``gather_context()`` is shared with sysctl_profile (its guards need the same
NAT decision and memory figures); ``run_check()`` is the whole read-only check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _nat
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlInputError, SysctlReadError
from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import basic_context
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value

try:  # the census library of tcp_state_facts, when this collection ships it
    from ansible_collections.netfleet.tcp.plugins.module_utils import _tcp_state
except ImportError:  # pragma: no cover - depends on the installed collection
    _tcp_state = None
try:
    from ansible_collections.netfleet.tcp.plugins.module_utils import _proc_net
except ImportError:  # pragma: no cover
    _proc_net = None


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
    if _proc_net is not None and hasattr(_proc_net, "read_sockstat"):
        try:
            return (_proc_net.read_sockstat(proc).get("tcp") or {}).get("tw")
        except Exception:  # noqa: BLE001 - a census failure must not break the check
            pass
    try:
        with open(os.path.join(proc, "net", "sockstat")) as handle:
            for line in handle:
                if line.startswith("TCP:"):
                    fields = line.split()[1:]
                    pairs = dict(zip(fields[0::2], fields[1::2]))
                    return int(pairs["tw"]) if "tw" in pairs else None
    except (IOError, OSError, ValueError):
        pass
    return None


def _read_tcp_counters(proc):
    if _proc_net is not None and hasattr(_proc_net, "read_counters"):
        try:
            tcp = _proc_net.read_counters(proc).get("Tcp") or {}
            return tcp.get("ActiveOpens"), tcp.get("PassiveOpens")
        except Exception:  # noqa: BLE001
            pass
    try:
        with open(os.path.join(proc, "net", "snmp")) as handle:
            lines = [line.split() for line in handle if line.startswith("Tcp:")]
        if len(lines) >= 2:
            table = dict(zip(lines[0][1:], lines[1][1:]))
            return int(table["ActiveOpens"]), int(table["PassiveOpens"])
    except (IOError, OSError, ValueError, KeyError):
        pass
    return None, None


def _listen_ports(proc, listeners):
    if _tcp_state is not None and hasattr(_tcp_state, "listening_ports"):
        try:
            return sorted(set(int(port) for port in _tcp_state.listening_ports(proc)))
        except Exception:  # noqa: BLE001
            pass
    return sorted(set(port for _family, _address, port in listeners))


def gather_context(proc="/proc", nat_facing="auto", run=None, which=None):
    """The host context every check and guard reads.

    Keys: kernel, kernel_version, initial_netns, proc_sys_net_writable,
    mem_total_bytes, page_size, nat_facing, nat_mode, nat_evidence, listen_ports,
    time_wait, active_opens, passive_opens, and sysctl_live (live values of every
    catalog key, for cross-key rules; None where absent).

    ``run(argv) -> (rc, stdout, stderr)`` runs nft/iptables-save for NAT detection
    (only when nat_facing is auto and ip_forward is 1); ``which(name)`` finds them.
    """
    context = basic_context(proc)
    live = read_live(_catalog.keys(), proc)
    listeners = _nat.read_listeners(proc)
    active, passive = _read_tcp_counters(proc)
    context.update({
        "listen_ports": _listen_ports(proc, listeners),
        "time_wait": _read_sockstat_tw(proc),
        "active_opens": active,
        "passive_opens": passive,
        "sysctl_live": live,
    })
    context.update(_nat.detect(
        nat_facing, ip_forward=live.get("net.ipv4.ip_forward"), listeners=listeners,
        active_opens=active, passive_opens=passive, run=run, which=which))
    return context
