# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sysctl value parsed once, per key, the way the kernel reads it; and its one text form.

PRIVATE: internal to the netfleet.tcp collection.

The key's shape comes from the knob catalog: one integer (int, enum, bitmask), a
vector of two or three (pair, triple), or a port bitmap (port_list). A key outside the
catalog is a vector of as many integers as it has words when every word is one the
kernel reads as an integer, else text.

``canonical()`` is what is written to /proc/sys and persisted: decimal integers
separated by one space, port lists as the kernel prints them (``8080-8081,9000``),
text with its white space collapsed. ``notes`` say where the kernel reads the value
differently from how a person reads it (``value-hex``, ``value-leading-zero``) or
ignores part of it (``value-extra``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data import CATALOG
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import (
    KernelReadError,
    format_ranges,
    read_bitmap,
    read_integer,
    read_vector,
)

INTEGERS = "integers"
PORTS = "ports"
TEXT = "text"

_VECTOR_SIZES = {"int": 1, "enum": 1, "bitmask": 1, "pair": 2, "triple": 3}


class Value(object):
    """A parsed value: ``kind`` (integers, ports, text), ``items`` and ``notes``.

    ``items`` is a tuple of ints (integers), a frozenset of ports (ports) or the
    normalised text (text). Two Values are equal when the kernel holds the same thing.
    """

    __slots__ = ("kind", "items", "notes")

    def __init__(self, kind, items, notes=()):
        self.kind = kind
        self.items = items
        self.notes = list(notes)

    def __eq__(self, other):
        return isinstance(other, Value) and (self.kind, self.items) == (other.kind, other.items)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.kind, self.items))

    def __repr__(self):
        return "Value(%s, %r)" % (self.kind, self.items)

    def canonical(self):
        """The one text form of this value, for /proc/sys, sysctl.d files, diffs and reports."""
        if self.kind == INTEGERS:
            return " ".join("%d" % number for number in self.items)
        if self.kind == PORTS:
            return format_ranges(self.items)
        return self.items


def shape(key):
    """``("integers", n)``, ``("ports", None)`` or ``(None, None)`` for a key outside the catalog."""
    entry = CATALOG.get(key)
    if entry is None:
        return None, None
    if entry["shape"] == "port_list":
        return PORTS, None
    return INTEGERS, _VECTOR_SIZES[entry["shape"]]


def as_text(key, value):
    """A value given as an int, str or list, as one text (list items joined as the key reads them)."""
    if isinstance(value, (list, tuple)):
        separator = "," if shape(key)[0] == PORTS else " "
        return separator.join(str(item) for item in value)
    return str(value)


def _and(items):
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _radix_notes(integers):
    """At most one note per reading: the hexadecimal numbers, and the leading zeros that change a number."""
    notes = []
    hexadecimal = [number for number in integers if number.base == 16]
    if hexadecimal:
        notes.append(("value-hex", "%s %s hexadecimal: the kernel reads %s, which is the value written and "
                      "persisted" % (_and(n.text for n in hexadecimal), "is" if len(hexadecimal) == 1 else "are",
                                     _and(n.value for n in hexadecimal))))
    octal = [number for number in integers if number.base == 8 and number.value != number.decimal_reading]
    if octal:
        notes.append(("value-leading-zero", "the kernel reads %s as octal because of %s leading 0: it would set "
                      "%s, not %s" % (_and(n.text for n in octal), "its" if len(octal) == 1 else "their",
                                      _and(n.value for n in octal), _and(n.decimal_reading for n in octal))))
    return notes


def parse_value(key, value):
    """The Value the kernel holds after ``value`` is written to ``key``.

    Raises KernelReadError when the kernel would refuse it. ``value`` is an int, a
    str or a list of them.
    """
    text = as_text(key, value)
    kind, size = shape(key)
    if kind == PORTS:
        ranges = read_bitmap(text if text.strip() else "")
        ports = set()
        for low, high in ranges:
            ports.update(range(low.value, high.value + 1))
        ends = [number for low, high in ranges for number in ((low,) if high is low else (low, high))]
        return Value(PORTS, frozenset(ports), _radix_notes(ends))
    if kind is None:
        words = text.split()
        size = len(words)
        if not words or not all(_whole_integer(word) for word in words):
            return Value(TEXT, " ".join(words))
    integers, ignored = read_vector(text, size)
    notes = _radix_notes(integers)
    if ignored:
        notes.append(("value-extra", "the kernel takes the first %d number%s and ignores %r"
                      % (size, "" if size == 1 else "s", ignored.strip())))
    return Value(INTEGERS, tuple(number.value for number in integers), notes)


def _whole_integer(word):
    try:
        _number, end = read_integer(word, 0)
    except KernelReadError:
        return False
    return end == len(word)


def canonical(key, value):
    """The text written and persisted for ``value``; raises KernelReadError when the kernel refuses it."""
    return parse_value(key, value).canonical()


def reading_notes(key, value):
    """``[(rule_id, message)]`` where the kernel reads ``value`` unlike a person; [] when it refuses it."""
    try:
        return parse_value(key, value).notes
    except KernelReadError:
        return []
