# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every knob of the catalog says everything a version-aware judgement needs, with its source.

A knob has a shape (type), a unit, the range the kernel enforces (or its values or flags), a
default (or, where the kernel computes it at boot, the formula kernel_defaults uses), its
namespace scope with the release that made it per network namespace, and the changes of
meaning by version, each citing a commit id or a quoted commit subject. Adding a knob
without one of these fails here.
"""

import re

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _catalog_scope
from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_data import CATALOG, NAMESPACE_SCOPES, SHAPES
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles._data import KERNEL_DEFAULT_FORMULAS

COMMIT = re.compile(r"\b[0-9a-f]{12}\b")
SUBJECT = re.compile(r"'[a-z0-9_]+: [^']+'")
UNITS = ("seconds", "milliseconds", "pages", "bytes", "count", "packets", "boolean", "mode", "flags", "port")


def cites(text):
    return bool(COMMIT.search(text) or SUBJECT.search(text))


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_type_unit_and_range(key):
    entry = CATALOG[key]
    assert entry["shape"] in SHAPES and entry["unit"] in UNITS, key
    if entry["shape"] == "enum":
        assert entry["values"], key
    elif entry["shape"] == "bitmask":
        assert entry["flags"], key
    else:
        assert entry["minimum"] is not None and entry["maximum"] is not None, key
        assert entry["minimum"] <= entry["maximum"], key


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_default_or_the_formula_it_scales_by(key):
    entry = CATALOG[key]
    if entry["default"] is None:
        assert entry["default_note"] and entry["default_example"], key
        assert key in KERNEL_DEFAULT_FORMULAS, "%s: computed at boot but kernel_defaults has no formula" % key
    else:
        assert _catalog.shape_problem(key, entry["default"]) is None or entry["default"] == "", key


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_namespace_scope_with_its_release(key):
    entry = CATALOG[key]
    assert entry["namespace"] in NAMESPACE_SCOPES, key
    assert _catalog_scope.scope_history(key), "%s: no scope history" % key
    tables = (("history", _catalog_scope.NETNS_HISTORY), ("always", _catalog_scope.NETNS_ALWAYS),
              ("never", _catalog_scope.NETNS_NEVER))
    homes = [name for name, table in tables if key in table]
    assert len(homes) == 1, "%s: scope stated in %s" % (key, homes or "no table")
    if entry["namespace"] == "netns":
        assert homes[0] in ("history", "always"), key
        if homes[0] == "history":
            assert _catalog_scope.netns_periods(key)[-1][1] is None, key
    else:
        assert homes[0] == "never" or _catalog_scope.netns_periods(key)[-1][1] is not None, key
    for first, end, source in _catalog_scope.netns_periods(key):
        assert _catalog.parse_version(first) and (end is None or _catalog.parse_version(end)), key
        assert cites(source), "%s: per-namespace date %s cites no commit" % (key, first)


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_changes_by_version_cite_their_commit(key):
    entry = CATALOG[key]
    for version, what in entry["changes"]:
        assert _catalog.parse_version(version), (key, version)
        assert cites(what), "%s: the %s change cites no commit: %s" % (key, version, what)
    versions = set(version for version, _what in entry["changes"])
    for field in ("added", "removed"):
        if entry[field]:
            assert _catalog.parse_version(entry[field]), key
            assert entry[field] in versions, "%s: %s in %s without a change citing it" % (key, field, entry[field])


def test_the_checks_fail_on_an_incomplete_entry(monkeypatch):
    entry = dict(CATALOG["net.ipv4.tcp_fin_timeout"], changes=[["5.1", "changed somehow"]])
    monkeypatch.setitem(CATALOG, "net.ipv4.tcp_fin_timeout", entry)
    with pytest.raises(AssertionError):
        test_changes_by_version_cite_their_commit("net.ipv4.tcp_fin_timeout")
    monkeypatch.setitem(_catalog_scope.NETNS_HISTORY, "net.ipv4.tcp_fin_timeout", [("4.6", None, "somehow")])
    with pytest.raises(AssertionError):
        test_namespace_scope_with_its_release("net.ipv4.tcp_fin_timeout")
