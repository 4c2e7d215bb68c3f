# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The knob catalog: completeness, consistency, and the helpers' boundaries."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog as catalog, _catalog_data

REQUIRED = [
    "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_tw_reuse_delay", "net.ipv4.tcp_tw_recycle",
    "net.ipv4.tcp_timestamps", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_max_tw_buckets",
    "net.ipv4.tcp_max_orphans", "net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_syncookies", "net.ipv4.tcp_syn_retries", "net.ipv4.tcp_synack_retries",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_mem", "net.ipv4.tcp_sack",
    "net.ipv4.tcp_window_scaling", "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat", "net.ipv4.tcp_fastopen", "net.ipv4.tcp_rfc1337",
    "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.ip_forward",
    "net.core.somaxconn", "net.core.netdev_max_backlog", "net.core.rmem_default",
    "net.core.rmem_max", "net.core.wmem_default", "net.core.wmem_max",
]


def test_every_required_knob_is_catalogued():
    assert set(REQUIRED) <= set(catalog.keys())


@pytest.mark.parametrize("key", sorted(catalog.CATALOG))
def test_entry_is_complete_and_consistent(key):
    entry = catalog.knob(key)
    assert entry["shape"] in _catalog_data.SHAPES
    assert entry["namespace"] in _catalog_data.NAMESPACE_SCOPES
    assert entry["unit"]
    for field in ("summary", "description", "tradeoff"):
        assert len(entry[field]) > 20, field
    # Either a fixed default the kernel prints, or a note on how it is computed.
    assert entry["default"] is not None or (entry["default_note"] and entry["default_example"])
    # The documented default (or example) is itself a valid value.
    assert catalog.shape_problem(key, catalog.default_text(key)) is None
    if entry["shape"] == "enum":
        assert entry["values"]
    if entry["shape"] == "bitmask":
        assert entry["flags"]
    for change in entry["changes"]:
        assert catalog.parse_version(change[0]) is not None


def test_knob_returns_a_copy():
    entry = catalog.knob("net.ipv4.tcp_mem")
    entry["unit"] = "bytes"
    assert catalog.knob("net.ipv4.tcp_mem")["unit"] == "pages"
    assert catalog.knob("net.ipv4.not_a_knob") is None


@pytest.mark.parametrize("key", ["net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans",
                                 "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_max_syn_backlog"])
def test_memory_computed_defaults_are_flagged(key):
    entry = catalog.knob(key)
    assert entry["default"] is None
    assert "computed" in entry["default_note"]


def test_initial_namespace_only_knobs():
    init_only = set(key for key, entry in catalog.CATALOG.items() if entry["namespace"] == "init")
    assert init_only == {"net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog"}


def test_knobs_the_catalog_expects_exist_on_this_kernel():
    """Every knob the catalog says this kernel has is in this machine's /proc/sys."""
    if not os.path.exists("/proc/sys/net/ipv4/tcp_mem"):
        pytest.skip("not in the initial network namespace")
    for key, entry in catalog.CATALOG.items():
        path = "/proc/sys/" + key.replace(".", "/")
        if catalog.exists_on_kernel(key, os.uname()[2]):
            assert os.path.exists(path), key


@pytest.mark.parametrize("key, version, expected", [
    ("net.ipv4.tcp_tw_recycle", "4.11.12", True),
    ("net.ipv4.tcp_tw_recycle", "4.12", False),
    ("net.ipv4.tcp_tw_recycle", (6, 1, 0), False),
    ("net.ipv4.tcp_tw_reuse_delay", "6.13.9", False),
    ("net.ipv4.tcp_tw_reuse_delay", "6.14.0-rc1", True),
    ("net.ipv4.tcp_fin_timeout", "3.10.0-1160.el7.x86_64", True),
    ("net.ipv4.not_a_knob", "6.1", None),
    ("net.ipv4.tcp_fin_timeout", None, None),
    ("net.ipv4.tcp_fin_timeout", "garbage", None),
])
def test_exists_on_kernel(key, version, expected):
    assert catalog.exists_on_kernel(key, version) is expected


def test_absence_reason_names_versions_and_namespaces():
    assert catalog.absence_reason("net.ipv4.tcp_tw_recycle", (6, 1, 0)) == \
        "removed in Linux 4.12; this host runs 6.1"
    assert "added in Linux 6.14" in catalog.absence_reason("net.ipv4.tcp_tw_reuse_delay", "6.8")
    assert "initial network namespace" in catalog.absence_reason(
        "net.ipv4.tcp_mem", "6.18", initial_netns=False)
    assert catalog.absence_reason("net.ipv4.nope", "6.1") is None


def test_settable_in_namespace():
    assert catalog.settable_in_namespace("net.core.rmem_max", True)
    assert not catalog.settable_in_namespace("net.core.rmem_max", False)
    assert not catalog.settable_in_namespace("net.ipv4.tcp_mem", False)
    assert catalog.settable_in_namespace("net.ipv4.tcp_fin_timeout", False)
    assert catalog.settable_in_namespace("net.ipv4.unknown", False)
    assert catalog.namespace_reason("net.ipv4.tcp_fin_timeout") is None
    assert "machine-wide" in catalog.namespace_reason("net.core.wmem_max")


@pytest.mark.parametrize("key, text", [
    ("net.ipv4.tcp_tw_reuse", "0"), ("net.ipv4.tcp_tw_reuse", "2"),
    ("net.ipv4.tcp_fin_timeout", "1"), ("net.ipv4.tcp_fin_timeout", 30),
    ("net.ipv4.tcp_tw_reuse_delay", "60000"),
    ("net.ipv4.tcp_rmem", "4096\t87380   6291456"), ("net.ipv4.tcp_rmem", [4096, "87380", 6291456]),
    ("net.ipv4.ip_local_port_range", "1024 1024"), ("net.ipv4.ip_local_port_range", "1 65535"),
    ("net.ipv4.ip_local_reserved_ports", ""), ("net.ipv4.ip_local_reserved_ports", "8080,9000-9010"),
    ("net.ipv4.tcp_fastopen", "3"), ("net.ipv4.tcp_fastopen", "1543"), ("net.ipv4.tcp_fastopen", "0"),
    ("net.ipv4.tcp_notsent_lowat", "4294967295"), ("net.ipv4.tcp_mem", "1 2 9223372036854775807"),
    ("net.ipv4.no_such_key", "anything at all"),
])
def test_shape_accepts(key, text):
    assert catalog.shape_problem(key, text) is None


@pytest.mark.parametrize("key, text, fragment", [
    ("net.ipv4.tcp_tw_reuse", "3", "not a known value"),
    ("net.ipv4.tcp_tw_reuse", "-1", "not a known value"),
    ("net.ipv4.tcp_tw_reuse", "1.5", "is not one of"),
    ("net.ipv4.tcp_tw_reuse", True, "YAML boolean"),
    ("net.ipv4.tcp_fin_timeout", "0", "below the minimum 1 seconds"),
    ("net.ipv4.tcp_fin_timeout", "2147484", "above the maximum"),
    ("net.ipv4.tcp_fin_timeout", "30s", "is not an integer"),
    ("net.ipv4.tcp_fin_timeout", "30 40", "has 2 numbers"),
    ("net.ipv4.tcp_tw_reuse_delay", "0", "below the minimum"),
    ("net.ipv4.tcp_tw_reuse_delay", "60001", "above the maximum"),
    ("net.ipv4.tcp_rmem", "4096 87380", "has 2 numbers"),
    ("net.ipv4.tcp_rmem", "0 87380 6291456", "first value 0 is below"),
    ("net.ipv4.tcp_rmem", "4096 87380 2147483648", "third value"),
    ("net.ipv4.ip_local_port_range", "1024", "has 1 number"),
    ("net.ipv4.ip_local_port_range", "0 65535", "below the minimum"),
    ("net.ipv4.ip_local_port_range", "1024 65536", "above the maximum"),
    ("net.ipv4.ip_local_port_range", "61000 32768", "above the high end"),
    ("net.ipv4.ip_local_reserved_ports", "80,http", "neither a port"),
    ("net.ipv4.ip_local_reserved_ports", "9010-9000", "backwards"),
    ("net.ipv4.ip_local_reserved_ports", "70000", "above the maximum"),
    ("net.ipv4.tcp_fastopen", "8", "bits no flag defines"),
    ("net.ipv4.tcp_fastopen", "-1", "bits no flag defines"),
    ("net.ipv4.tcp_notsent_lowat", "4294967296", "above the maximum"),
    ("net.ipv4.tcp_syn_retries", "128", "above the maximum 127"),
    ("net.ipv4.tcp_syn_retries", "0", "below the minimum 1"),
])
def test_shape_refuses(key, text, fragment):
    problem = catalog.shape_problem(key, text)
    assert problem is not None and fragment in problem, problem


def test_versions():
    assert catalog.parse_version("6.1.0-18-amd64") == (6, 1, 0)
    assert catalog.parse_version([4, 12]) == (4, 12, 0)
    assert catalog.version_text((6, 1, 55)) == "6.1.55"
    assert catalog.version_text(None) == "unknown"


def test_single_integer_keys():
    assert catalog.is_single_integer("net.ipv4.tcp_max_tw_buckets")
    assert not catalog.is_single_integer("net.ipv4.tcp_rmem")
    assert not catalog.is_single_integer("net.ipv4.unknown")
