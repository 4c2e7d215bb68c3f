# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How far a sysctl key reaches: one network namespace, or the whole machine.

PRIVATE: internal to the netfleet.tcp collection.

The catalog's ``namespace`` field says where each catalogued key lives on a current
kernel. This file adds what that field cannot say, and one function that every
writer asks before a key may change:

``PER_NETNS_SINCE``
    catalogued keys that were one machine-wide value before the kernel gave each
    network namespace its own copy, with the release that did so. On an older kernel
    such a key is machine-wide (its ctl_table was registered for init_net only).

    * 4.10 tcp_tw_reuse: "ipv4: Namespaceify tcp_tw_reuse knob" (Haishuang Yan, 2016).
    * 4.11 tcp_tw_recycle, tcp_max_tw_buckets, tcp_max_syn_backlog: "ipv4: Namespaceify
      tcp_tw_recycle and tcp_max_tw_buckets knob" and its companion patch (Haishuang Yan,
      net-next 2016-12-28, merged for 4.11); struct inet_timewait_death_row moved into
      struct netns_ipv4.
    * 4.12 tcp_fastopen: already in struct netns_ipv4 when "ipv4: Namespaceify
      tcp_fastopen_key knob" (437138485656) landed.
    * 4.15 tcp_timestamps, tcp_sack, tcp_window_scaling, tcp_rmem, tcp_wmem, tcp_rfc1337,
      tcp_slow_start_after_idle and their siblings: Eric Dumazet's "tcp: Namespace-ify
      sysctl_tcp_*" series for 4.15.
    * 6.8 optmem_max: "net: Namespace-ify sysctl_optmem_max" (f5769faeec36).

``INIT_ONLY_NET``
    net.* keys outside the catalog that only the initial namespace registers (their
    ctl_tables are registered for init_net) or that a child namespace sees read-only.

Scopes returned by ``key_scope``: ``netns`` (this network namespace only), ``init``
(a net.* key of the initial namespace, shared by the machine), ``machine`` (every
key outside net.*: kernel.*, vm.*, fs.*, ...; one value for the whole machine, also
visible and often writable from inside a container).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data import CATALOG

NETNS = "netns"
INIT = "init"
MACHINE = "machine"

PER_NETNS_SINCE = {
    "net.ipv4.tcp_tw_reuse": "4.10",
    "net.ipv4.tcp_tw_recycle": "4.11",
    "net.ipv4.tcp_max_tw_buckets": "4.11",
    "net.ipv4.tcp_max_syn_backlog": "4.11",
    "net.ipv4.tcp_fastopen": "4.12",
    "net.ipv4.tcp_timestamps": "4.15",
    "net.ipv4.tcp_sack": "4.15",
    "net.ipv4.tcp_window_scaling": "4.15",
    "net.ipv4.tcp_rmem": "4.15",
    "net.ipv4.tcp_wmem": "4.15",
    "net.ipv4.tcp_rfc1337": "4.15",
    "net.ipv4.tcp_slow_start_after_idle": "4.15",
    "net.core.optmem_max": "6.8",
}

INIT_ONLY_NET = frozenset([
    "net.core.netdev_max_backlog",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.dev_weight",
    "net.core.rmem_max",
    "net.core.wmem_max",
    "net.core.rmem_default",
    "net.core.wmem_default",
    "net.core.message_cost",
    "net.core.message_burst",
    "net.core.bpf_jit_enable",
    "net.core.bpf_jit_harden",
    "net.core.bpf_jit_limit",
    "net.ipv4.tcp_mem",
    "net.ipv4.udp_mem",
    "net.ipv4.tcp_max_orphans",
])


def _version(text):
    if text is None:
        return None
    if isinstance(text, (list, tuple)):
        parts = [int(part) for part in text[:3]]
    else:
        parts = []
        for part in str(text).split("-", 1)[0].split(".")[:3]:
            if not part.isdigit():
                break
            parts.append(int(part))
    if not parts:
        return None
    return tuple(parts + [0] * (3 - len(parts)))


def key_scope(key, kernel_version=None):
    """``(scope, reason)`` for ``key`` on a kernel of ``kernel_version`` (None: a current kernel).

    ``reason`` is None for ``netns`` keys and otherwise says in words why the key
    reaches beyond one network namespace.
    """
    if not isinstance(key, str) or not key.startswith("net."):
        family = str(key).split(".", 1)[0]
        return MACHINE, ("a %s.* key is one value for the whole machine, shared by every container and "
                         "network namespace on it; it is not part of a network stack" % family)
    entry = CATALOG.get(key)
    namespace = entry["namespace"] if entry is not None else (INIT if key in INIT_ONLY_NET else "netns")
    if namespace == "global" or (entry is None and namespace == INIT):
        return INIT, ("is one machine-wide value of the initial network namespace; a child network namespace "
                      "has no copy of its own and can at most read it")
    if namespace == "init":
        return INIT, ("exists only in the initial network namespace and is shared by the whole machine; a "
                      "child network namespace has no copy of its own")
    since = PER_NETNS_SINCE.get(key)
    running = _version(kernel_version)
    if since is not None and running is not None and running < _version(since):
        return INIT, ("was one machine-wide value of the initial network namespace before Linux %s gave each network namespace its own copy; "
                      "this kernel is older" % since)
    return NETNS, None


def wider_than_netns(key, kernel_version=None):
    """True when writing ``key`` changes more than the current network namespace's stack."""
    return key_scope(key, kernel_version)[0] != NETNS
