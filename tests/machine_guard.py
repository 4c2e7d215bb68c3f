"""The machine's own kernel settings, for "the tests left the machine alone".

Tests change kernel settings only inside the test fleet's network namespaces (or VMs).
``kernel.*``, ``vm.*`` and ``fs.*`` are machine-wide even inside a namespace, and the
initial namespace's ``net.*`` keys are the machine's own network stack, so tests/conftest.py
snapshots all four at the start of every pytest session and fails the session when any of
them differs at its end. The integration harness uses the same reader for per-test asserts.
"""

import os

PROC_SYS = "/proc/sys"
MACHINE_PREFIXES = ("kernel.", "fs.", "vm.", "net.")

# Keys that move on their own (counters, randomness, clocks).
VOLATILE_KEYS = frozenset([
    "fs.dentry-state", "fs.file-nr", "fs.inode-nr", "fs.inode-state", "fs.aio-nr",
    "kernel.ns_last_pid", "kernel.random.entropy_avail", "kernel.random.uuid",
    "kernel.pty.nr", "kernel.tainted", "vm.stat_refresh",
    "net.netfilter.nf_conntrack_count",
])
VOLATILE_PREFIXES = ("fs.quota.", "kernel.sched_domain.")

# Per-device keys come and go with the devices (the fleet's bridge and veth ends live in the
# initial namespace); the all/default entries are the machine's settings and stay compared.
PER_DEVICE_PARENTS = ("net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh.",
                      "net.mpls.conf.")


def path_to_key(path):
    """/proc/sys/net/ipv4/conf/eth0.100/rp_filter -> net.ipv4.conf.eth0/100.rp_filter."""
    rel = path[len(PROC_SYS) + 1:]
    return rel.replace(".", "\0").replace("/", ".").replace("\0", "/")


def _per_device(key):
    for parent in PER_DEVICE_PARENTS:
        if key.startswith(parent):
            device = key[len(parent):].split(".", 1)[0]
            return device not in ("all", "default")
    return False


def _skipped(key):
    return key in VOLATILE_KEYS or key.startswith(VOLATILE_PREFIXES) or _per_device(key)


def machine_settings(prefixes=MACHINE_PREFIXES):
    """{key: value with whitespace collapsed} of this process's view of /proc/sys under
    prefixes (the machine's own, when run from the initial namespaces), minus volatile and
    per-device keys. Unreadable keys (write-only, permission) are left out."""
    values = {}
    for prefix in prefixes:
        top = os.path.join(PROC_SYS, *prefix.rstrip(".").split("."))
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in files:
                path = os.path.join(root, name)
                key = path_to_key(path)
                if _skipped(key):
                    continue
                try:
                    with open(path) as handle:
                        values[key] = " ".join(handle.read().split())
                except OSError:
                    continue
    return values


def differences(before, after):
    """Lines naming each key whose value changed. A key present on one side only (a module
    loaded or unloaded during the session) is not a change of a setting and is left out."""
    return ["%s: %r -> %r" % (key, before[key], after[key])
            for key in sorted(set(before) & set(after)) if before[key] != after[key]]
