# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How far a sysctl key reaches: one network namespace, or the whole machine.

PRIVATE: internal to the netfleet.tcp collection.

The catalog's ``namespace`` field says where each catalogued key lives on a current
kernel. This file adds what that field cannot say, and one function that every
writer asks before a key may change:

``NETNS_HISTORY``
    for every catalogued key whose scope moved, the releases in which each network
    namespace has its own copy, as ``[(first, end, source)]`` (``end`` None: still so).
    Outside those releases the key is one value of the initial network namespace: its
    ctl_table sits in ipv4_table, registered for init_net only, so a child namespace has
    no file for it. Established from net/ipv4/sysctl_net_ipv4.c (which table holds the
    key) in the released trees 3.10, 3.13, 3.15, 3.16, 4.4, 4.5, 4.6, 4.10, 4.11, 4.12,
    4.13, 4.14 and 4.15, and from the commits below (net-next commits land in the next
    merge window; 56ab6b93007e went to the net tree and into 4.10-rc2):

    * 3.13 ip_local_port_range: 0bbf87d852d2 "net ipv4: Convert ipv4.ip_local_port_range
      to be per netns v3".
    * 3.16 ip_local_reserved_ports: 122ff243f5f1 "ipv4: make ip_local_reserved_ports per netns".
    * 4.5 tcp_keepalive_time, _probes, _intvl: 13b287e8d1ca, 9bd6861bd432, b840d15d3912.
    * 4.6 tcp_syn_retries (6fa251663069), tcp_synack_retries, tcp_syncookies (12ed8244ed8b),
      tcp_orphan_retries, tcp_fin_timeout (1e579caa18b9), tcp_notsent_lowat (4979f2d9f726):
      Nikolay Borisov's series, merge 7158ce80dd2d.
    * 4.10 tcp_tw_reuse: 56ab6b93007e "ipv4: Namespaceify tcp_tw_reuse knob".
    * 4.11 tcp_tw_recycle and tcp_max_tw_buckets (1946e672c173), tcp_max_syn_backlog
      (fee83d097b16).
    * 4.13 tcp_sack (f930103421f6), tcp_window_scaling (9bb37ef00e93), tcp_timestamps
      (5d2ed0521ac9): merge 06fcb3b69fb8 "tcp: Namespaceify 3 sysctls".
    * 4.15 tcp_fastopen ("ipv4: Namespaceify tcp_fastopen knob", Haishuang Yan, with
      437138485656 for the key), tcp_rfc1337 (625357aa175c), tcp_slow_start_after_idle
      (b510f0d23a47), tcp_rmem and tcp_wmem (356d1833b638).
    * tcp_mem was per namespace from 3.3 (3dc43e3e4d0b "per-netns ipv4 sysctl_tcp_mem")
      until 3.13 ("tcp_memcontrol: Remove the per netns control.", Eric W. Biederman):
      a 3.10 container has its own tcp_mem, a 3.13 or later one none.
    * 6.8 optmem_max: f5769faeec36 "net: Namespace-ify sysctl_optmem_max"; before it,
      one machine-wide value.

``NETNS_ALWAYS``
    catalogued per-namespace keys that were per namespace long before 3.10, the oldest
    kernel this collection judges: somaxconn (2.6.25, "[NET] sysctl: make sysctl_somaxconn
    per-namespace"), ip_forward (devinet_init_net registers it per namespace; per namespace
    in every 3.x tree), and tcp_tw_reuse_delay, per namespace since it was added in 6.14
    (ca6a6f93867a).

``NETNS_NEVER``
    catalogued keys that no release has given each network namespace: the initial
    namespace's tcp_max_orphans and netdev_max_backlog (ipv4_table and net_core_table
    in every tree above), and the socket buffer defaults and maxima, one machine-wide
    value that recent kernels show read-only inside a child namespace.

``PER_NETNS_SINCE``
    ``{key: first release}`` for the keys that are per namespace now, derived from
    ``NETNS_HISTORY``.

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

_BORISOV_4_6 = "Nikolay Borisov's per-namespace TCP sysctls, merge 7158ce80dd2d"

NETNS_HISTORY = {
    "net.ipv4.ip_local_port_range": [("3.13", None, "0bbf87d852d2")],
    "net.ipv4.ip_local_reserved_ports": [("3.16", None, "122ff243f5f1")],
    "net.ipv4.tcp_keepalive_time": [("4.5", None, "13b287e8d1ca")],
    "net.ipv4.tcp_keepalive_probes": [("4.5", None, "9bd6861bd432")],
    "net.ipv4.tcp_keepalive_intvl": [("4.5", None, "b840d15d3912")],
    "net.ipv4.tcp_syn_retries": [("4.6", None, "6fa251663069")],
    "net.ipv4.tcp_synack_retries": [("4.6", None, _BORISOV_4_6)],
    "net.ipv4.tcp_syncookies": [("4.6", None, "12ed8244ed8b")],
    "net.ipv4.tcp_orphan_retries": [("4.6", None, _BORISOV_4_6)],
    "net.ipv4.tcp_fin_timeout": [("4.6", None, "1e579caa18b9")],
    "net.ipv4.tcp_notsent_lowat": [("4.6", None, "4979f2d9f726")],
    "net.ipv4.tcp_tw_reuse": [("4.10", None, "56ab6b93007e")],
    "net.ipv4.tcp_tw_recycle": [("4.11", None, "1946e672c173")],
    "net.ipv4.tcp_max_tw_buckets": [("4.11", None, "1946e672c173")],
    "net.ipv4.tcp_max_syn_backlog": [("4.11", None, "fee83d097b16")],
    "net.ipv4.tcp_sack": [("4.13", None, "f930103421f6")],
    "net.ipv4.tcp_window_scaling": [("4.13", None, "9bb37ef00e93")],
    "net.ipv4.tcp_timestamps": [("4.13", None, "5d2ed0521ac9")],
    "net.ipv4.tcp_fastopen": [("4.15", None, "'ipv4: Namespaceify tcp_fastopen knob'")],
    "net.ipv4.tcp_rfc1337": [("4.15", None, "625357aa175c")],
    "net.ipv4.tcp_slow_start_after_idle": [("4.15", None, "b510f0d23a47")],
    "net.ipv4.tcp_rmem": [("4.15", None, "356d1833b638")],
    "net.ipv4.tcp_wmem": [("4.15", None, "356d1833b638")],
    "net.core.optmem_max": [("6.8", None, "f5769faeec36")],
    "net.ipv4.tcp_mem": [("3.3", "3.13", "3dc43e3e4d0b, undone by 'tcp_memcontrol: Remove the per netns control'")],
}

NETNS_ALWAYS = {
    "net.core.somaxconn": ("per network namespace since 2.6.25 ('[NET] sysctl: make sysctl_somaxconn "
                           "per-namespace'), long before 3.10, the oldest kernel judged here"),
    "net.ipv4.ip_forward": ("per network namespace in every release judged here (3.10 on): "
                            "devinet_init_net registers it for each namespace"),
    "net.ipv4.tcp_tw_reuse_delay": "per network namespace since it was added in 6.14 (ca6a6f93867a)",
}

NETNS_NEVER = {
    "net.ipv4.tcp_max_orphans": "so in every release",
    "net.core.netdev_max_backlog": "so in every release",
    "net.core.rmem_default": "so in every release; read-only in child namespaces since 6.11",
    "net.core.rmem_max": "so in every release; read-only in child namespaces since 6.11",
    "net.core.wmem_default": "so in every release; read-only in child namespaces since 6.11",
    "net.core.wmem_max": "so in every release; read-only in child namespaces since 6.11",
}

PER_NETNS_SINCE = dict(
    (key, periods[-1][0]) for key, periods in NETNS_HISTORY.items() if periods[-1][1] is None)

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


def _text(parsed):
    if parsed[2]:
        return "%d.%d.%d" % parsed
    return "%d.%d" % parsed[:2]


def netns_periods(key):
    """``[(first, end, source)]``: the releases in which a child namespace has its own ``key``."""
    return list(NETNS_HISTORY.get(key, ()))


def own_copy_in_child(key, kernel_version):
    """True when a child network namespace has its own copy of ``key`` on ``kernel_version``.

    None when the catalog cannot tell (a key outside it, or an unknown kernel version for
    a key whose scope moved).
    """
    entry = CATALOG.get(key)
    if entry is None:
        return None
    periods = NETNS_HISTORY.get(key)
    if not periods:
        return entry["namespace"] == NETNS
    running = _version(kernel_version)
    if running is None:
        return entry["namespace"] == NETNS
    return any(_version(first) <= running and (end is None or running < _version(end))
               for first, end, _source in periods)


def _moved_reason(key, running):
    """Why a key that is per namespace on other kernels is not on this one."""
    first, end, source = NETNS_HISTORY[key][-1]
    if end is None:
        return ("is per network namespace only since Linux %s (%s); this host runs %s, where it is one "
                "machine-wide value of the initial network namespace and a child network namespace has "
                "no copy of its own" % (first, source, _text(running)))
    if running < _version(first):
        return ("is per network namespace only from Linux %s until %s (%s); this host runs %s, where it "
                "is one machine-wide value of the initial network namespace" % (first, end, source, _text(running)))
    return ("was per network namespace from Linux %s until %s only (%s); this host runs %s, where it exists "
            "only in the initial network namespace and is shared by the whole machine"
            % (first, end, source, _text(running)))


def scope_history(key):
    """The scope of a catalogued key through the releases, in words (for docs and messages), or None."""
    if key in NETNS_NEVER:
        return NETNS_NEVER[key]
    if key in NETNS_ALWAYS:
        return NETNS_ALWAYS[key]
    periods = NETNS_HISTORY.get(key)
    if not periods:
        return None
    first, end, source = periods[-1]
    if end is None:
        return ("per network namespace since %s (%s); before, one machine-wide value of the initial "
                "namespace that a container does not have" % (first, source))
    return ("per network namespace from %s until %s (%s); initial network namespace only since %s"
            % (first, end, source, end))


def key_scope(key, kernel_version=None):
    """``(scope, reason)`` for ``key`` on a kernel of ``kernel_version`` (None: a current kernel).

    ``reason`` is None for ``netns`` keys and otherwise says in words why the key
    reaches beyond one network namespace, naming the release that changed it and the
    host's kernel where the scope depends on the version.
    """
    if not isinstance(key, str) or not key.startswith("net."):
        family = str(key).split(".", 1)[0]
        return MACHINE, ("a %s.* key is one value for the whole machine, shared by every container and "
                         "network namespace on it; it is not part of a network stack" % family)
    entry = CATALOG.get(key)
    namespace = entry["namespace"] if entry is not None else (INIT if key in INIT_ONLY_NET else "netns")
    running = _version(kernel_version)
    if key in NETNS_HISTORY and running is not None:
        if own_copy_in_child(key, kernel_version):
            return NETNS, None
        return INIT, _moved_reason(key, running)
    if namespace == "global" or (entry is None and namespace == INIT):
        return INIT, ("is one machine-wide value of the initial network namespace; a child network namespace "
                      "has no copy of its own and can at most read it")
    if namespace == "init":
        return INIT, ("exists only in the initial network namespace and is shared by the whole machine; a "
                      "child network namespace has no copy of its own")
    return NETNS, None


def wider_than_netns(key, kernel_version=None):
    """True when writing ``key`` changes more than the current network namespace's stack."""
    return key_scope(key, kernel_version)[0] != NETNS
