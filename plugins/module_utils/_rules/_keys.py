# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keys the rules name and the thresholds they judge with, named for docs and tests.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

K_TW_REUSE = "net.ipv4.tcp_tw_reuse"
K_TW_RECYCLE = "net.ipv4.tcp_tw_recycle"
K_TIMESTAMPS = "net.ipv4.tcp_timestamps"
K_TCP_MEM = "net.ipv4.tcp_mem"
K_RMEM = "net.ipv4.tcp_rmem"
K_WMEM = "net.ipv4.tcp_wmem"
K_ORPHANS = "net.ipv4.tcp_max_orphans"
K_PORT_RANGE = "net.ipv4.ip_local_port_range"
K_RESERVED = "net.ipv4.ip_local_reserved_ports"
K_TW_BUCKETS = "net.ipv4.tcp_max_tw_buckets"
K_FIN_TIMEOUT = "net.ipv4.tcp_fin_timeout"
K_SYN_RETRIES = "net.ipv4.tcp_syn_retries"
K_SYNACK_RETRIES = "net.ipv4.tcp_synack_retries"
K_ORPHAN_RETRIES = "net.ipv4.tcp_orphan_retries"
K_SYN_BACKLOG = "net.ipv4.tcp_max_syn_backlog"
K_SOMAXCONN = "net.core.somaxconn"

# Thresholds, named so documentation and tests read the same numbers.
FIN_TIMEOUT_MIN = 10            # seconds; below it slow peers get reset
RETRIES_MIN = 3                 # syn/synack retries; 3 is about 15 s of trying
ACCEPTING_SHARE = 0.8           # PassiveOpens share above which a host "mostly accepts"
ACCEPTING_MIN_OPENS = 100       # fewer connections since boot prove nothing
PRIVILEGED_PORTS = 1024
# A tcp_mem maximum this many times memory was almost surely written in bytes
# (read as pages it is page-size times too large).
BYTES_MISTAKE_FACTOR = 64
K_SYNCOOKIES = "net.ipv4.tcp_syncookies"
K_SACK = "net.ipv4.tcp_sack"
K_DSACK = "net.ipv4.tcp_dsack"
K_RMEM_MAX = "net.core.rmem_max"
K_WMEM_MAX = "net.core.wmem_max"
K_RMEM_DEFAULT = "net.core.rmem_default"
K_WMEM_DEFAULT = "net.core.wmem_default"
K_NETDEV_BACKLOG = "net.core.netdev_max_backlog"
K_KEEPALIVE_TIME = "net.ipv4.tcp_keepalive_time"
K_KEEPALIVE_INTVL = "net.ipv4.tcp_keepalive_intvl"
K_FILE_MAX = "fs.file-max"
K_SYN_LINEAR = "net.ipv4.tcp_syn_linear_timeouts"
K_CONGESTION = "net.ipv4.tcp_congestion_control"
K_FORWARD = "net.ipv4.ip_forward"
K_UNPRIVILEGED_PORT = "net.ipv4.ip_unprivileged_port_start"
K_RETRIES2 = "net.ipv4.tcp_retries2"
K_RTO_MAX_MS = "net.ipv4.tcp_rto_max_ms"
K_ABORT_ON_OVERFLOW = "net.ipv4.tcp_abort_on_overflow"
K_OPTMEM_MAX = "net.core.optmem_max"
K_CONNTRACK_MAX = "net.netfilter.nf_conntrack_max"
