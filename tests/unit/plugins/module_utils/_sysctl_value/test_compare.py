# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one equality and the bounds."""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    bound_satisfied,
    bound_text,
    desired_met,
    equivalent,
    parse_bound,
)

RESERVED = "net.ipv4.ip_local_reserved_ports"
FIN = "net.ipv4.tcp_fin_timeout"
RMEM = "net.ipv4.tcp_rmem"


@pytest.mark.parametrize("key,one,two,same", [
    (RMEM, "4096\t131072\t6291456", "4096 131072  6291456", True),
    (FIN, "30", "030", False),        # the kernel reads 030 as 24
    (FIN, "24", "030", True),
    (FIN, "30", "0x1e", True),
    (FIN, "30", "31", False),
    (RESERVED, "8080,8081", "8080-8081", True),
    (RESERVED, "8080, 8082", "8080-8082", False),
    (RESERVED, "", "", True),
    (FIN, None, None, True),
    (FIN, None, "0", False),
    ("net.ipv4.tcp_congestion_control", "cubic", "reno", False),
    ("net.unknown.vector", "1 2", "1 2 3", False),
    ("net.unknown.vector", "1\t2", "1 0x2", True),
])
def test_equivalent(key, one, two, same):
    assert equivalent(key, one, two) is same
    assert equivalent(key, two, one) is same


def test_bounds():
    assert parse_bound(">=4096") == (">=", 4096)
    assert parse_bound(" <= 30 ") == ("<=", 30)
    assert parse_bound("4096") is None
    assert parse_bound(4096) is None
    assert bound_text((">=", 4096)) == ">=4096"
    assert bound_satisfied(">=", 4096, "8192")
    assert not bound_satisfied(">=", 4096, "1024")
    assert bound_satisfied("<=", 30, "15")
    assert not bound_satisfied("<=", 30, "60")
    assert not bound_satisfied(">=", 1, None)
    assert not bound_satisfied(">=", 1, "abc")


@pytest.mark.parametrize("live,desired,met", [
    ("30", "0x1e", True),
    ("30", "030", False),
    ("8192", ">=4096", True),
    ("1024", ">=4096", False),
    ("60", "<=30", False),
    ("8080-8081", "8080,8081", True),
    ("30", {"value": "30", "bound": None}, True),
    ("30", {"value": None, "bound": [">=", 40]}, False),
    ("30", {"value": None, "bound": None}, True),
    (None, "30", False),
])
def test_desired_met(live, desired, met):
    key = RESERVED if "8080" in str(live) else FIN
    assert desired_met(key, live, desired) is met
