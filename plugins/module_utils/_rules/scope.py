# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scope rule: a setting that reaches beyond the network stack of the host it is meant for.

PRIVATE: internal to the netfleet.tcp collection.

The scope of each key comes from _catalog_scope. sysctl_check reports the finding;
sysctl_profile refuses such a key in a child network namespace always, and in the
initial namespace unless the key is listed in its ``allow_machine_wide`` option.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import Rule, register

register(Rule(
    "key-machine-wide", "error", "Key reaches beyond this network namespace",
    "kernel.*, vm.*, fs.* and every other key outside net.* hold one value for the whole machine, "
    "and so do the net.* keys that exist only in the initial network namespace (tcp_mem, "
    "tcp_max_orphans, netdev_max_backlog, rmem_max, ...) and, on kernels older than the release "
    "that made them per namespace, keys such as tcp_tw_reuse (4.10), tcp_timestamps (4.13) or "
    "tcp_rmem (4.15): the knob reference dates each one. Written from a container or a child "
    "network namespace where /proc/sys is writable, such a key changes every container and the "
    "host itself (kernel.core_pattern is the classic escape). The finding is an error in a child "
    "network namespace, where sysctl_profile refuses the key, and a warning in the initial "
    "namespace, where sysctl_profile writes a key outside net.* only when its allow_machine_wide "
    "option names it.",
    family="input",
    remediation="Set machine-wide keys on the host itself, deliberately: in the initial network "
                "namespace list each one in sysctl_profile's allow_machine_wide; never from a container."))
