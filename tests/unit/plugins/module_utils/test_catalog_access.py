"""The kernel's rounding of jiffies-backed keys, and access from mode bits."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog_access as access

RETRANS = "net.ipv4.neigh.eth0.retrans_time_ms"
ANYCAST = "net.ipv6.neigh.default.anycast_delay"


@pytest.mark.parametrize("key, value, hz, expected", [
    (RETRANS, "1003", 250, "1004"),   # 251 jiffies of 4 ms, as this kernel reads it back
    (RETRANS, "999", 250, "1000"),
    (RETRANS, "7", 250, "8"),
    (RETRANS, "1003", 1000, "1003"),
    (RETRANS, "1003", 100, "1010"),
    (RETRANS, "1003", 300, "1003"),   # ceil(300.9) = 301 jiffies = 1003.3 ms, read back rounded down
    (RETRANS, "1000", 300, "1000"),
    (ANYCAST, "1", 250, "0"),         # 1/100 s = 2 jiffies of 4 ms = 0.8 ticks, read back as 0
    (ANYCAST, "100", 250, "100"),
    (ANYCAST, "3", 300, "2"),         # 9 jiffies * TICK_NSEC 3333333 ns = 2.99 ticks, rounded down
    (ANYCAST, "1", 1000, "1"),
    ("net.ipv4.tcp_fin_timeout", "1003", 250, "1003"),  # not rounded
    (RETRANS, "1003", None, "1003"),  # tick rate unknown
    (RETRANS, "-5", 250, "-5"),       # not one non-negative integer: the kernel's business
])
def test_kernel_form(key, value, hz, expected):
    assert access.kernel_form(key, value, hz) == expected


def test_a_read_back_value_is_a_fixed_point():
    for hz in (100, 250, 300, 1000):
        for value in range(0, 2000, 7):
            once = access.kernel_form(RETRANS, str(value), hz)
            assert access.kernel_form(RETRANS, once, hz) == once


def test_rounding_table():
    assert access.rounding("net.ipv6.neigh.eth0/100.base_reachable_time_ms") == access.MS_JIFFIES
    assert access.rounding("net.ipv4.neigh.lo.locktime") == access.USERHZ_JIFFIES
    assert access.rounding("net.ipv4.neigh.lo.base_reachable_time") is None  # whole seconds: exact
    assert access.rounding("net.ipv6.conf.all.mldv2_unsolicited_report_interval") == access.MS_JIFFIES


def test_access_from_mode_bits_wins_over_the_table(tmp_path):
    path = tmp_path / "key"
    path.write_text("1\n")
    os.chmod(str(path), 0o444)
    found = access.file_access(str(path))
    assert found == {"readable": True, "writable": False}
    assert access.is_read_only("net.ipv4.tcp_fin_timeout", found)
    os.chmod(str(path), 0o644)
    assert not access.is_read_only("net.ipv4.tcp_ehash_entries", access.file_access(str(path)))
    os.chmod(str(path), 0o200)
    assert access.is_write_only("net.ipv4.tcp_fin_timeout", access.file_access(str(path)))
    assert access.file_access(str(tmp_path / "missing")) is None
    assert access.is_read_only("net.ipv4.tcp_ehash_entries", None)
    assert access.is_write_only("net.ipv4.route.flush", None)
