# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Acceptance rules: whether the kernel takes a write to a key at all, read from the host without writing.

PRIVATE: internal to the netfleet.tcp collection.

Every /proc/sys file carries its ctl_table's mode, and the kernel checks those bits for
root too (fs/proc/proc_sysctl.c test_perm shifts the mode to the owner's bits for root
and refuses what they lack, with EACCES): a key without a write bit refuses every
write, a key without a read bit can be written and never read back. sysctl_check reads
the modes of the keys a list sets (``settings_modes`` in the context, ``{key: mode}``)
and never writes. Keys that are read-only in a child network namespace because they
are one machine-wide value (net.netfilter.nf_conntrack_max, net.core.rmem_max) are
key-machine-wide's finding there, not this one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog_scope
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import Rule, checked, finding, register

OWNER_WRITE = 0o200
OWNER_READ = 0o400


def _reported_elsewhere(key, context):
    return context.get("initial_netns") is False and \
        _catalog_scope.key_scope(key, context.get("kernel_version"))[0] == _catalog_scope.INIT


@checked("key-read-only", "error", "Key is read-only: the kernel refuses every write",
         "The key's /proc/sys file has no write bit (mode 0444: counters and status such as "
         "fs.file-nr, net.netfilter.nf_conntrack_count, tcp_available_congestion_control). The "
         "kernel refuses the write with EACCES; sysctl -p and systemd-sysctl report an error "
         "for it at every boot.",
         keys=(),
         remediation="Remove the key from the list; it shows a value, it does not set one.")
def _rule_read_only(values, context):
    context = context or {}
    found = []
    modes = context.get("settings_modes") or {}
    for key in sorted(modes):
        mode = modes[key]
        if mode is None or mode & OWNER_WRITE or _reported_elsewhere(key, context):
            continue
        found.append(finding(
            "key-read-only", key, values.get(key),
            "%s is read-only here (mode %04o): the kernel refuses to write it." % (key, mode & 0o7777)))
    return found


register(Rule(
    "key-write-only", "info", "Key is write-only: its value cannot be read back",
    "The key's /proc/sys file has no read bit (mode 0200: triggers such as "
    "net.ipv4.route.flush, vm.drop_caches). Writing it performs an action; there is no value "
    "to read, so sysctl_check neither judges nor compares it, and does not report it absent.",
    family="input",
    remediation="Nothing to do if running the action is what the list wants; every "
                "'sysctl --system' and boot runs it again."))


def write_only_finding(key, value, mode):
    """The finding for a key that exists but has no read bit."""
    return finding(
        "key-write-only", key, value,
        "%s is write-only (mode %04o): writing it runs an action; its value cannot be read back, so "
        "it is neither judged nor compared." % (key, mode & 0o7777))


def is_write_only(mode):
    return mode is not None and not mode & OWNER_READ and bool(mode & OWNER_WRITE)
