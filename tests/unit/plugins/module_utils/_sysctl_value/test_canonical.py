# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One typed reading per key and one text form for writing and persisting."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import (
    INTEGERS,
    PORTS,
    TEXT,
    canonical,
    parse_value,
    reading_notes,
    shape,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError

RESERVED = "net.ipv4.ip_local_reserved_ports"


def test_shapes_come_from_the_catalog():
    assert shape("net.ipv4.tcp_rmem") == (INTEGERS, 3)
    assert shape("net.ipv4.ip_local_port_range") == (INTEGERS, 2)
    assert shape("net.ipv4.tcp_fin_timeout") == (INTEGERS, 1)
    assert shape(RESERVED) == (PORTS, None)
    assert shape("net.ipv4.tcp_congestion_control") == (None, None)


@pytest.mark.parametrize("key,value,text", [
    ("net.ipv4.tcp_fin_timeout", "0x1e", "30"),
    ("net.ipv4.tcp_fin_timeout", 30, "30"),
    ("net.ipv4.tcp_rmem", "4096\t131072  6291456", "4096 131072 6291456"),
    ("net.ipv4.tcp_rmem", [4096, "131072", 6291456], "4096 131072 6291456"),
    (RESERVED, "8081,8080,9000-9001", "8080-8081,9000-9001"),
    (RESERVED, [8080, 8081], "8080-8081"),
    (RESERVED, "", ""),
    ("net.ipv4.tcp_congestion_control", " bbr ", "bbr"),
    ("net.unknown.vector", "1\t0x10  3", "1 16 3"),
])
def test_canonical(key, value, text):
    assert canonical(key, value) == text


def test_octal_is_read_as_the_kernel_reads_it_and_noted():
    value = parse_value("net.ipv4.tcp_fin_timeout", "030")
    assert value.items == (24,)
    assert [rule for rule, _note in value.notes] == ["value-leading-zero"]
    assert "it would set 24, not 30" in value.notes[0][1]
    notes = reading_notes("net.ipv4.ip_local_port_range", "010240 65001")
    assert notes[0][0] == "value-leading-zero" and "4256" in notes[0][1]


def test_leading_zero_that_reads_the_same_is_not_noted():
    assert parse_value("net.ipv4.tcp_fin_timeout", "07").notes == []
    assert parse_value("net.ipv4.tcp_fin_timeout", "0").notes == []


def test_hex_is_noted():
    assert [rule for rule, _note in parse_value("net.ipv4.tcp_fin_timeout", "0x1e").notes] == ["value-hex"]


def test_extra_members_are_ignored_and_noted():
    value = parse_value("net.ipv4.tcp_rmem", "4096 131072 6291456 1")
    assert value.items == (4096, 131072, 6291456)
    assert value.notes[0][0] == "value-extra"


def test_refusals_raise():
    with pytest.raises(KernelReadError):
        parse_value("net.ipv4.tcp_fin_timeout", "08")
    with pytest.raises(KernelReadError):
        parse_value(RESERVED, "8080, 8081")
    assert reading_notes("net.ipv4.tcp_fin_timeout", "08") == []


def test_unknown_text_stays_text():
    assert parse_value("net.ipv4.tcp_congestion_control", "cubic").kind == TEXT


@given(st.sets(st.integers(min_value=0, max_value=65535), max_size=40))
def test_port_list_round_trip(ports):
    assert parse_value(RESERVED, canonical(RESERVED, sorted(ports))).items == frozenset(ports)


def test_one_note_per_reading_however_many_numbers():
    notes = parse_value("net.ipv4.tcp_rmem", "0x1000 0x20000 010").notes
    assert [rule for rule, _note in notes] == ["value-hex", "value-leading-zero"]
    assert "0x1000 and 0x20000 are hexadecimal: the kernel reads 4096 and 131072" in notes[0][1]
    assert "it would set 8, not 10" in notes[1][1]
    assert [rule for rule, _note in parse_value(RESERVED, "0x1f90").notes] == ["value-hex"]
