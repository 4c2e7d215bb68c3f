# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the kernel reads a value written to /proc/sys, and the integer limits it enforces.

PRIVATE: internal to the netfleet.tcp collection.

Follows kernel/sysctl.c (checked against mainline v6.x; unchanged in substance since
v5.7, when the handlers moved to kernel buffers):

* ``proc_get_long`` reads one integer with ``strtoul(..., 0)``: ``0x1e`` is hexadecimal
  30, a leading ``0`` makes it octal (``030`` is 24, ``08`` is refused), a ``-`` may come
  first, anything but a digit after that is refused, and the character after the
  number must be one the caller allows (white space for vectors). Numbers of 21
  characters or more are refused outright.
* ``__do_proc_dointvec`` (and the ulong, minmax variants) skips white space between
  members and stops once the vector is full: extra members are ignored, not refused.
  Fewer members than the vector holds leave the others as they were.
* ``proc_do_large_bitmap`` (ip_local_reserved_ports) reads ``a,b-c`` with the same
  integer reader: no spaces, ``-`` only between two numbers, each below the bitmap
  size (65536 ports); it prints the set back as sorted, merged ranges.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

INT_MIN = -(2 ** 31)
INT_MAX = 2 ** 31 - 1
UINT_MAX = 2 ** 32 - 1
LONG_MIN = -(2 ** 63)
LONG_MAX = 2 ** 63 - 1
ULONG_MAX = 2 ** 64 - 1
PORT_BITMAP_BITS = 65536

_TMPBUFLEN = 22
_DIGITS = "0123456789"
_HEX = "0123456789abcdefABCDEF"
_ISSPACE = " \t\n\v\f\r"
VECTOR_TRAILERS = " \t\n"
_RANGE_START_TRAILERS = "-,\n"
_RANGE_END_TRAILERS = ",\n\x00"


class KernelReadError(ValueError):
    """The kernel would refuse this text (EINVAL or ERANGE); the message says why."""


class Integer(object):
    """One integer as the kernel read it: its value, the base it was read in, its text."""

    __slots__ = ("value", "base", "text")

    def __init__(self, value, base, text):
        self.value = value
        self.base = base
        self.text = text

    @property
    def decimal_reading(self):
        """What a person reading the digits as decimal sees, or None (hex, or not decimal digits)."""
        digits = self.text.lstrip("-")
        if self.base == 16 or not digits.isdigit():
            return None
        return -int(digits) if self.text.startswith("-") else int(digits)


def _base_of(text, index):
    if text[index] != "0":
        return 10, index
    if text[index + 1:index + 2] in ("x", "X") and text[index + 2:index + 3] and text[index + 2] in _HEX:
        return 16, index + 2
    return 8, index


def read_integer(text, start=0, trailers=VECTOR_TRAILERS):
    """Read one integer at ``start`` as proc_get_long does; returns ``(Integer, end)``.

    Raises KernelReadError when the kernel would refuse it.
    """
    index = start
    negative = text[index:index + 1] == "-" and len(text) - start > 1
    if negative:
        index += 1
    if index >= len(text) or text[index] not in _DIGITS:
        raise KernelReadError("%r does not start with a digit" % _shown(text[start:]))
    base, index = _base_of(text, index)
    valid = _HEX if base == 16 else _DIGITS[:base]
    value = 0
    while index < len(text) and text[index] in valid:
        value = value * base + int(text[index], 16)
        index += 1
    if value > ULONG_MAX:
        raise KernelReadError("%s is larger than the kernel's largest integer" % text[start:index])
    if index - start >= _TMPBUFLEN - 1:
        raise KernelReadError("%s has %d characters; the kernel refuses numbers of %d or more"
                              % (text[start:index], index - start, _TMPBUFLEN - 1))
    if index < len(text) and text[index] not in trailers:
        bad = text[index]
        if base == 8 and bad in "89":
            raise KernelReadError("%s: a leading 0 makes the kernel read octal, which has no digit %s"
                                  % (_shown(text[start:]), bad))
        raise KernelReadError("%r follows the number %s" % (bad, text[start:index]))
    number = Integer(-value if negative else value, base, text[start:index])
    return number, index


def _skip(text, index, characters):
    while index < len(text) and text[index] in characters:
        index += 1
    return index


def read_vector(text, size):
    """Read up to ``size`` integers as __do_proc_dointvec does.

    Returns ``(integers, ignored)``: the Integer members the kernel takes and the text it
    ignores once the vector is full ('' when none). Raises KernelReadError when the kernel
    refuses the write (no member at all, or a member it cannot read).
    """
    integers = []
    index = 0
    while index < len(text) and len(integers) < size:
        index = _skip(text, index, _ISSPACE)
        if index >= len(text):
            break
        number, index = read_integer(text, index, VECTOR_TRAILERS)
        integers.append(number)
    if not integers:
        raise KernelReadError("no number in %r" % _shown(text))
    ignored = text[_skip(text, index, _ISSPACE):]
    return integers, ignored


def read_bitmap(text, bits=PORT_BITMAP_BITS):
    """Read ``a,b-c`` as proc_do_large_bitmap does; returns ``[(Integer, Integer)]`` ranges.

    An empty text (or a lone newline) is the empty set, as writing it clears the bitmap.
    """
    ranges = []
    index = _skip(text, 0, "\n")
    while index < len(text):
        low, index = read_integer(text, index, _RANGE_START_TRAILERS)
        _check_bit(low, bits)
        high = low
        separator = text[index] if index < len(text) else ""
        index += 1 if separator else 0
        if separator == "-":
            high, index = read_integer(text, index, _RANGE_END_TRAILERS)
            _check_bit(high, bits)
            if low.value > high.value:
                raise KernelReadError("range %s-%s runs backwards" % (low.text, high.text))
            index += 1 if index < len(text) else 0
        ranges.append((low, high))
        index = _skip(text, index, "\n")
    return ranges


def _check_bit(number, bits):
    if number.value < 0:
        raise KernelReadError("port %s is below the minimum 0" % number.text)
    if number.value >= bits:
        raise KernelReadError("port %s is above the maximum %d" % (number.text, bits - 1))


def format_ranges(numbers):
    """Sorted, merged ranges as the kernel prints a bitmap: ``{8080, 8081, 9000}`` -> ``8080-8081,9000``."""
    ranges = []
    for number in sorted(set(numbers)):
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    return ",".join("%d" % low if low == high else "%d-%d" % (low, high) for low, high in ranges)


def _shown(text):
    return text if len(text) <= 40 else text[:37] + "..."
