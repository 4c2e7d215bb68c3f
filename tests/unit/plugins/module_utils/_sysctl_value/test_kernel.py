# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel's proc handlers as the value model reads them (kernel/sysctl.c)."""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value import _kernel
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import (
    KernelReadError,
    format_ranges,
    read_bitmap,
    read_integer,
    read_vector,
)


@pytest.mark.parametrize("text,value,base", [
    ("30", 30, 10),
    ("030", 24, 8),          # strtoul base 0: a leading 0 is octal
    ("010240", 4256, 8),
    ("0x1e", 30, 16),
    ("0X1E", 30, 16),
    ("0", 0, 8),
    ("-5", -5, 10),
    ("-030", -24, 8),
    ("18446744073709551615", 2 ** 64 - 1, 10),
])
def test_read_integer_like_proc_get_long(text, value, base):
    number, end = read_integer(text)
    assert (number.value, number.base, end) == (value, base, len(text))


@pytest.mark.parametrize("text,fragment", [
    ("08", "no digit 8"),           # octal has no 8: the kernel refuses it
    ("30abc", "'a' follows"),       # the character after a number must be white space
    ("+30", "does not start with a digit"),
    ("-", "does not start with a digit"),
    ("", "does not start with a digit"),
    ("0x", "'x' follows"),          # 0x without a hex digit reads 0, then 'x'
    ("18446744073709551616", "largest integer"),
    ("000000000000000000001", "21 characters"),
])
def test_read_integer_refuses_like_the_kernel(text, fragment):
    with pytest.raises(KernelReadError, match=fragment):
        read_integer(text)


def test_decimal_reading_is_what_a_person_sees():
    assert read_integer("030")[0].decimal_reading == 30
    assert read_integer("07")[0].decimal_reading == 7
    assert read_integer("0x1e")[0].decimal_reading is None


def test_vector_skips_white_space_and_ignores_extra_members():
    numbers, ignored = read_vector(" 4096\t87380   6291456\n", 3)
    assert [n.value for n in numbers] == [4096, 87380, 6291456]
    assert ignored == ""
    numbers, ignored = read_vector("4096 87380 6291456 999", 3)
    assert [n.value for n in numbers] == [4096, 87380, 6291456]
    assert ignored == "999"
    numbers, ignored = read_vector("30 abc", 1)   # the vector is full before 'abc'
    assert [n.value for n in numbers] == [30] and ignored == "abc"


@pytest.mark.parametrize("text", ["", "  ", "abc", "4096 x1"])
def test_vector_refusals(text):
    with pytest.raises(KernelReadError):
        read_vector(text, 3)


def test_bitmap_like_proc_do_large_bitmap():
    ranges = read_bitmap("8080,9000-9002")
    assert [(low.value, high.value) for low, high in ranges] == [(8080, 8080), (9000, 9002)]
    assert read_bitmap("") == []
    assert read_bitmap("\n") == []
    assert [(a.value, b.value) for a, b in read_bitmap("010")] == [(8, 8)]
    assert [(a.value, b.value) for a, b in read_bitmap("8080,")] == [(8080, 8080)]


@pytest.mark.parametrize("text,fragment", [
    ("8080, 8081", "does not start with a digit"),   # no spaces in a port list
    ("8080 8081", "' ' follows"),
    ("3-1", "runs backwards"),
    ("65536", "above the maximum 65535"),
    ("1-65536", "above the maximum 65535"),
    ("80,,81", "does not start with a digit"),
    ("-", "does not start with a digit"),
    ("a", "does not start with a digit"),
])
def test_bitmap_refusals(text, fragment):
    with pytest.raises(KernelReadError, match=fragment):
        read_bitmap(text)


def test_format_ranges_prints_like_the_kernel():
    assert format_ranges([9000, 8081, 8080, 9001, 9002, 8080]) == "8080-8081,9000-9002"
    assert format_ranges([]) == ""


def test_one_set_of_limits():
    assert _kernel.INT_MAX == 2 ** 31 - 1
    assert _kernel.UINT_MAX == 2 ** 32 - 1
    assert _kernel.ULONG_MAX == 2 ** 64 - 1
