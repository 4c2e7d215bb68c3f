# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values a kernel boots with, computed as the kernel computes them, per version.

PRIVATE: internal to the netfleet.tcp collection.

Every function takes the kernel version as a tuple (``(6, 18)``; None or ``()``
when unknown, which counts as a current kernel) and, where the kernel scales the
value with memory, the memory size and page size in bytes. Sources:

* the TCP established hash (``tcp_hashinfo.ehash``): alloc_large_system_hash() in
  net/ipv4/tcp.c tcp_init, scale 17 (one bucket per 128 KiB of memory), rounded up
  to a power of two, at most 512 Ki buckets; tcp_max_tw_buckets and tcp_max_orphans
  are half of it; tcp_max_syn_backlog is max(128, ehash/128) since 5.4 and
  max(128, ehash/256) before;
* tcp_rmem / tcp_wmem: tcp_init; minimum PAGE_SIZE (65536 on 64K-page arm64 and
  ppc64le); tcp_rmem[1] 131072 since a337531b942b (4.20), 87380 before; maximum
  min(cap, memory/128) with cap 4 MiB before b49960a05e32 (3.4), 6 MiB until
  572be9bf9d0d (6.16) and 32 MiB since, at least tcp_rmem[1] (as the 3.10, 4.15 and
  6.11 trees compute it); tcp_wmem[2] min(4 MiB, memory/128), at least 64 KiB;
* rmem_max / wmem_max: 212992 (SK_RMEM_MAX, 256 sk_buffs' worth) before a6d4f25888b8
  (6.18), 4 MiB since;
* somaxconn: 128 before 19f92a030ca6 (5.4), 4096 since;
* tcp_mem: tcp_init_mem, limit = free buffer pages / 16 since b66e91ccbc34 (4.2; the
  4.1 tree divides by 8, the 4.2 tree by 16), at least 128: ``limit*3/4, limit,
  limit*3/2`` pages;
* fs.file-max: files_maxfiles_init, about a tenth of memory in KiB.

Checked against released trees: 3.10 (tcp_mem pages/8, tcp_rmem 87380 and 6 MiB cap,
syn backlog ehash/256), 4.1 and 4.2 (tcp_mem /8 then /16), 4.15 (tcp_tw_reuse 0), 4.19
(tcp_tw_reuse 2, tcp_rmem[1] 87380), 4.20 (131072), 5.3 (SOMAXCONN 128, ehash/256) and
6.11 (SOMAXCONN 4096, ehash/128, tcp_rmem cap 6 MiB, SK_RMEM_MAX 256 sk_buffs). The 6.16
and 6.18 values rest on the commits named and on this 6.18 machine's own values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

KIB = 1024
MIB = 1024 * KIB
EHASH_MAX = 512 * KIB


def version(context):
    """The kernel version of ``context`` as a tuple of two ints, or ``()`` when unknown."""
    raw = (context or {}).get("kernel_version") or ()
    try:
        return tuple(int(part) for part in list(raw)[:2])
    except (TypeError, ValueError):
        return ()


def at_least(kernel, major, minor):
    """True when ``kernel`` is ``(major, minor)`` or later, or unknown (judged as current)."""
    return not kernel or tuple(kernel) >= (major, minor)


def _roundup_pow2(number):
    power = 1
    while power < number:
        power <<= 1
    return power


def ehash_entries(mem_total_bytes, page_size):
    """Buckets of the TCP established hash chosen at boot (alloc_large_system_hash, scale 17)."""
    pages = mem_total_bytes // page_size
    per_mib = max(1, MIB // page_size)
    pages = ((pages + per_mib - 1) // per_mib) * per_mib
    shift = page_size.bit_length() - 1
    entries = pages >> (17 - shift) if shift < 17 else pages << (shift - 17)
    return min(_roundup_pow2(max(entries, 1)), EHASH_MAX)


def tw_buckets(mem_total_bytes, page_size):
    return ehash_entries(mem_total_bytes, page_size) // 2


def max_orphans(mem_total_bytes, page_size):
    return ehash_entries(mem_total_bytes, page_size) // 2


def syn_backlog(kernel, mem_total_bytes, page_size):
    divisor = 128 if at_least(kernel, 5, 4) else 256
    return max(128, ehash_entries(mem_total_bytes, page_size) // divisor)


def somaxconn(kernel):
    return 4096 if at_least(kernel, 5, 4) else 128


def buffer_limit(mem_total_bytes):
    """The per-socket ceiling tcp_init scales from: memory << (PAGE_SHIFT - 7) bytes, memory/128."""
    return mem_total_bytes // 128


def tcp_rmem(kernel, mem_total_bytes, page_size):
    if at_least(kernel, 6, 16):
        cap = 32 * MIB
    elif at_least(kernel, 3, 4):
        cap = 6 * MIB
    else:
        cap = 4 * MIB
    middle = 131072 if at_least(kernel, 4, 20) else 87380
    return [page_size, middle, max(middle, min(cap, buffer_limit(mem_total_bytes)))]


def tcp_wmem(kernel, mem_total_bytes, page_size):
    return [page_size, 16 * KIB, max(64 * KIB, min(4 * MIB, buffer_limit(mem_total_bytes)))]


def core_mem_max(kernel):
    """rmem_max and wmem_max at boot."""
    return 4 * MIB if at_least(kernel, 6, 18) else 212992


def tcp_mem_divisor(kernel):
    """What tcp_init_mem divides the free buffer pages by: 16 since b66e91ccbc34 (4.2), 8 before."""
    return 16 if at_least(kernel, 4, 2) else 8


def tcp_mem(mem_total_bytes, page_size, kernel=None):
    limit = max((mem_total_bytes // page_size) // tcp_mem_divisor(kernel), 128)
    return [limit // 4 * 3, limit, limit // 4 * 3 * 2]


def file_max(mem_total_bytes):
    return max(8192, mem_total_bytes // KIB // 10)
