# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The knob catalog: every TCP-relevant sysctl this collection knows, as data.

PRIVATE: internal to the netfleet.tcp collection.

This is the single source of truth for value shapes, ranges, units, kernel
defaults, kernel versions and namespace scope. sysctl_check and sysctl_profile
validate with it, the tuning role reads defaults from it and the documentation's
knob reference is generated from it. Change a fact here and every consumer
follows.

The entries themselves, and what each field means, are in _catalog_data.py; the knobs
tuning lists set next to the TCP ones (conntrack, retries, MTU probing, ...) are in
_catalog_data_more.py, added to the same ``CATALOG`` here, once, at import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog_scope
from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data import CATALOG
from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data_more import ENTRIES as _MORE_ENTRIES
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import INTEGERS, parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def _add_entries(entries):
    """Add ``entries`` to the one CATALOG (every reader shares it); a key in both files is an error."""
    for entry in entries:
        if CATALOG.get(entry["key"], entry) is not entry:
            raise ValueError("%s is catalogued twice: keep it in one catalog data file" % entry["key"])
        CATALOG[entry["key"]] = entry


_add_entries(_MORE_ENTRIES)


def keys():
    """All catalog keys, sorted."""
    return sorted(CATALOG)


def knob(key):
    """A copy of the catalog entry for ``key``, or None when the key is not catalogued."""
    entry = CATALOG.get(key)
    return copy.deepcopy(entry) if entry is not None else None


def entries():
    """Every entry (copies), sorted by key: what the docs' knob reference renders."""
    return [copy.deepcopy(CATALOG[key]) for key in keys()]


def parse_version(version):
    """``"4.12"``, ``(4, 12)``, ``[6, 1, 0]`` or ``"6.1.0-18-amd64"`` -> ``(maj, min, patch)``; None if unknown."""
    if version is None:
        return None
    if isinstance(version, (list, tuple)):
        parts = [int(part) for part in version[:3]]
        while len(parts) < 3:
            parts.append(0)
        return tuple(parts)
    match = _VERSION.match(str(version))
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def version_text(version):
    """``(4, 12, 0)`` -> ``"4.12"``; ``(6, 1, 55)`` -> ``"6.1.55"``."""
    parsed = parse_version(version)
    if parsed is None:
        return "unknown"
    if parsed[2]:
        return "%d.%d.%d" % parsed
    return "%d.%d" % parsed[:2]


def exists_on_kernel(key, version):
    """True when ``key`` exists on a kernel of ``version``, False when not, None when unknown.

    Unknown means: the key is not in the catalog, or the version could not be parsed.
    """
    entry = CATALOG.get(key)
    parsed = parse_version(version)
    if entry is None or parsed is None:
        return None
    added = parse_version(entry["added"])
    removed = parse_version(entry["removed"])
    if added is not None and parsed < added:
        return False
    if removed is not None and parsed >= removed:
        return False
    return True


def absence_reason(key, version=None, initial_netns=True):
    """Why ``key`` is absent here, from the catalog alone, or None when it should exist.

    Used to word the message when /proc/sys has no file for a key: ``"removed in
    Linux 4.12; this host runs 6.1"``, ``"exists only in the initial network
    namespace"``. Returns a generic reason for catalogued keys the catalog cannot
    explain, and None for keys outside the catalog.
    """
    entry = CATALOG.get(key)
    here = version_text(version) if version is not None else "an unknown kernel version"
    if entry is None:
        return None
    parsed = parse_version(version)
    if parsed is not None:
        removed = parse_version(entry["removed"])
        added = parse_version(entry["added"])
        if removed is not None and parsed >= removed:
            return "removed in Linux %s; this host runs %s" % (entry["removed"], here)
        if added is not None and parsed < added:
            return "added in Linux %s; this host runs %s" % (entry["added"], here)
    if not initial_netns and parsed is not None and _catalog_scope.netns_periods(key) \
            and not _catalog_scope.own_copy_in_child(key, parsed):
        return "%s, and this host is such a child namespace (a container or netns)" % (
            _catalog_scope.key_scope(key, parsed)[1])
    if not initial_netns and entry["namespace"] == "init":
        return ("exists only in the initial network namespace; this host runs in a child "
                "namespace (a container or netns) on %s" % here)
    return "not present in /proc/sys on this host (kernel %s); a module or build option may be missing" % here


def settable_in_namespace(key, initial_netns):
    """False when ``key`` cannot be written from here because it is not per namespace."""
    entry = CATALOG.get(key)
    if entry is None or initial_netns:
        return True
    return entry["namespace"] == "netns"


def namespace_reason(key):
    """Why a catalogued key cannot be set from a child network namespace."""
    entry = CATALOG.get(key)
    if entry is None or entry["namespace"] == "netns":
        return None
    if entry["namespace"] == "init":
        return "exists only in the initial network namespace; set it on the host, not inside the namespace"
    return ("is one machine-wide value; child network namespaces can at most read it, "
            "so set it on the host, not inside the namespace")


def _range_problem(entry, number, what="value"):
    minimum, maximum = entry["minimum"], entry["maximum"]
    if minimum is not None and number < minimum:
        return "%s %d is below the minimum %d%s%s" % (
            what, number, minimum, _unit_suffix(entry),
            "; %s" % entry["minimum_note"] if entry.get("minimum_note") else "")
    if maximum is not None and number > maximum:
        return "%s %d is above the maximum %d%s" % (what, number, maximum, _unit_suffix(entry))
    return None


def _unit_suffix(entry):
    if entry["unit"] in ("seconds", "milliseconds", "pages", "bytes", "packets"):
        return " " + entry["unit"]
    return ""


def _expected(entry):
    shape = entry["shape"]
    if shape == "enum":
        return "one of %s" % ", ".join(
            "%d (%s)" % (number, meaning) for number, meaning in sorted(entry["values"].items()))
    if shape == "bitmask":
        return "a sum of the flags %s" % ", ".join(
            "%d" % flag for flag in sorted(entry["flags"]))
    if shape == "triple":
        return "three integers (%s), e.g. %r" % (
            entry["unit"], entry["default"] or entry["default_example"])
    if shape == "pair":
        return "two integers, low then high, e.g. %r" % entry["default"]
    if shape == "port_list":
        return "a comma separated list of ports and low-high ranges, e.g. '8080,9000-9010'"
    return "an integer (%s) from %s to %s" % (
        entry["unit"], entry["minimum"] if entry["minimum"] is not None else "-inf",
        entry["maximum"] if entry["maximum"] is not None else "inf")


def expected(key):
    """A human description of the value ``key`` takes (for messages and docs)."""
    entry = CATALOG.get(key)
    return _expected(entry) if entry else "any value the kernel accepts"


def shape_problem(key, text):
    """Why ``text`` is not a valid value of ``key`` per the catalog, or None.

    ``text`` is the value as a string (ints and lists are accepted too), read the way
    the kernel reads it (see _sysctl_value). Keys outside the catalog always return
    None: only their key and value syntax is checked, by _sysctl_keys.
    """
    entry = CATALOG.get(key)
    if entry is None:
        return None
    if isinstance(text, bool):
        return "YAML boolean %r where %s is expected; write 1 or 0" % (text, _expected(entry))
    try:
        value = parse_value(key, text)
    except KernelReadError as error:
        if entry["shape"] == "port_list":
            if "maximum" in str(error) or "minimum" in str(error):
                return str(error)
            return "%r is neither a port nor a low-high range as the kernel reads them (%s); expected %s" % (
                _shown(key, text), error, _expected(entry))
        return "%r is not %s (the kernel refuses it: %s)" % (_shown(key, text), _expected(entry), error)
    for rule_id, note in value.notes:
        if rule_id == "value-extra":
            words = len(_shown(key, text).split())
            return "%r has %d numbers; expected %s (%s)" % (_shown(key, text), words, _expected(entry), note)
    if value.kind != INTEGERS:
        return _ports_problem(entry, value.items)
    return _numbers_problem(entry, list(value.items), _shown(key, text))


def _shown(key, text):
    if isinstance(text, (list, tuple)):
        return " ".join(str(item) for item in text)
    return " ".join(str(text).split())


def _ports_problem(entry, ports):
    for number in (min(ports), max(ports)) if ports else ():
        problem = _range_problem(entry, number, "port")
        if problem:
            return problem
    return None


def _numbers_problem(entry, numbers, text):
    shape = entry["shape"]
    want = {"triple": 3, "pair": 2}.get(shape, 1)
    if len(numbers) != want:
        return "%r has %d number%s; expected %s" % (
            text, len(numbers), "" if len(numbers) == 1 else "s", _expected(entry))
    if shape == "enum":
        if numbers[0] not in entry["values"]:
            return "%d is not a known value; expected %s" % (numbers[0], _expected(entry))
        return None
    if shape == "bitmask":
        allowed = 0
        for flag in entry["flags"]:
            allowed |= flag
        if numbers[0] < 0 or numbers[0] & ~allowed:
            return "%d has bits no flag defines; expected %s" % (numbers[0], _expected(entry))
        return None
    for index, number in enumerate(numbers):
        what = "value" if want == 1 else ("%s value" % ("first", "second", "third")[index])
        problem = _range_problem(entry, number, what)
        if problem:
            return problem
    if shape == "pair" and numbers[0] > numbers[1]:
        return "low end %d is above the high end %d; the kernel refuses such a range" % (
            numbers[0], numbers[1])
    return None


def default_text(key):
    """The kernel default as printed, the example for computed defaults, or None."""
    entry = CATALOG.get(key)
    if entry is None:
        return None
    return entry["default"] if entry["default"] is not None else entry["default_example"]


def is_single_integer(key):
    """True for keys whose value is one integer (where a bound such as ``>=4096`` makes sense)."""
    entry = CATALOG.get(key)
    return entry is not None and entry["shape"] in ("int", "enum", "bitmask")
