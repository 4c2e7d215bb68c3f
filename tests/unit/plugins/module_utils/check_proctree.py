# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build fake /proc and / trees for the check's unit tests.

The default tree is what a 6.1 kernel in the initial network namespace with 8 GiB
of memory prints; tests override single values, drop keys, or write files.
"""

import os

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog

DEFAULT_SYSCTLS = dict((key, _catalog.default_text(key)) for key in _catalog.keys())
DEFAULT_SYSCTLS.update({
    "net.ipv4.tcp_rmem": "4096\t131072\t6291456",
    "net.ipv4.tcp_wmem": "4096\t16384\t4194304",
    "net.ipv4.tcp_mem": "94389\t125853\t188778",
    "net.ipv4.tcp_max_orphans": "65536",
    "net.ipv4.tcp_max_tw_buckets": "65536",
    "net.ipv4.tcp_max_syn_backlog": "1024",
    "net.ipv4.ip_local_port_range": "32768\t60999",
})
del DEFAULT_SYSCTLS["net.ipv4.tcp_tw_recycle"]      # removed in 4.12
del DEFAULT_SYSCTLS["net.ipv4.tcp_tw_reuse_delay"]  # added in 6.14

MEMINFO = "MemTotal:        8039600 kB\nMemFree:         4000000 kB\n"
SNMP = ("Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails\n"
        "Tcp: 1 200 120000 -1 %d %d 0\n")
SOCKSTAT = "sockets: used 17\nTCP: inuse 1 orphan 0 tw %d alloc 5 mem 3\nUDP: inuse 0 mem 0\n"
TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def _hex4(address, port):
    parts = [int(part) for part in address.split(".")]
    value = parts[0] | parts[1] << 8 | parts[2] << 16 | parts[3] << 24
    return "%08X:%04X" % (value, port)


def write(path, text):
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    with open(path, "w") as handle:
        handle.write(text)


def build_proc(base, sysctls=None, drop=(), release="6.1.0-18-amd64", meminfo=MEMINFO,
               listeners=(("0.0.0.0", 22),), active=500, passive=100, time_wait=10, tcp6_listeners=(),
               interfaces=("lo", "eth0")):
    """Write a fake /proc under ``base``; returns its path (``interfaces``: /proc/net/dev, None for none)."""
    proc = os.path.join(str(base), "proc")
    values = dict(DEFAULT_SYSCTLS)
    values.update(sysctls or {})
    for key in drop:
        values.pop(key, None)
    write(os.path.join(proc, "sys", "kernel", "osrelease"), release + "\n")
    for key, value in values.items():
        if value is None:
            continue
        write(os.path.join(proc, "sys", *key.split(".")), str(value) + "\n")
    write(os.path.join(proc, "meminfo"), meminfo)
    write(os.path.join(proc, "net", "snmp"), SNMP % (active, passive))
    write(os.path.join(proc, "net", "sockstat"), SOCKSTAT % time_wait)
    lines = [TCP_HEADER]
    for index, (address, port) in enumerate(listeners):
        lines.append("   %d: %s 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 %d 1\n"
                     % (index, _hex4(address, port), 1000 + index))
    write(os.path.join(proc, "net", "tcp"), "".join(lines))
    lines = [TCP_HEADER]
    for index, (hexaddr, port) in enumerate(tcp6_listeners):
        lines.append("   %d: %s:%04X 00000000000000000000000000000000:0000 0A 00000000:00000000 "
                     "00:00000000 00000000     0        0 %d 1\n" % (index, hexaddr, port, 2000 + index))
    write(os.path.join(proc, "net", "tcp6"), "".join(lines))
    if interfaces is not None:
        rows = ["Inter-|   Receive                            |  Transmit\n",
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes\n"]
        rows += ["%6s: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n" % name for name in interfaces]
        write(os.path.join(proc, "net", "dev"), "".join(rows))
    return proc
