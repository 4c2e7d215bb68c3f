"""Key and value validation: the gate every user input passes before /proc/sys."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_keys as keys
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    SysctlInputError,
    SysctlWriteError,
)


@pytest.mark.parametrize("key", [
    "net.ipv4.tcp_fin_timeout",
    "net.core.somaxconn",
    "net.ipv4.conf.eth0/100.rp_filter",
    "net.ipv6.conf.all.forwarding",
    "net.ipv4.neigh.default.gc_thresh1",
    "vm.swappiness",
])
def test_valid_keys(key):
    assert keys.key_problem(key) is None


@pytest.mark.parametrize("key,needle", [
    ("", "empty"),
    ("/proc/sys/net/ipv4/tcp_fin_timeout", "not a path"),
    ("net.ipv4..tcp_fin_timeout", "empty component"),
    ("net.ipv4.tcp_fin_timeout.", "empty component"),
    ("net.ipv4/../../etc.passwd", "'/' is only allowed"),
    ("net.ipv4.TCP_FIN_TIMEOUT", "lowercase"),
    ("net.ipv4.tcp fin", "lowercase"),
    ("net.ipv4.conf.eth0/../x.rp_filter", "interface component"),
    ("net", "at least two"),
    (".net.ipv4.x", "not a path"),
    (5, "must be a string"),
    ("net." + "a" * 300, "longer than"),
])
def test_invalid_keys(key, needle):
    problem = keys.key_problem(key)
    assert problem is not None and needle in problem


def test_key_to_path_maps_interface_dots(tmp_path):
    path = keys.key_to_path("net.ipv4.conf.eth0/100.rp_filter", str(tmp_path))
    assert path == os.path.join(str(tmp_path), "net", "ipv4", "conf", "eth0.100", "rp_filter")
    assert keys.path_to_key("net/ipv4/conf/eth0.100/rp_filter") == "net.ipv4.conf.eth0/100.rp_filter"


def test_key_to_path_refuses_symlink_escape(tmp_path):
    root = tmp_path / "sys"
    (root / "net").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "net" / "ipv4").symlink_to(outside)
    with pytest.raises(SysctlInputError, match="resolves outside"):
        keys.key_to_path("net.ipv4.tcp_fin_timeout", str(root))


@pytest.mark.parametrize("value,expected", [
    (30, "30"),
    ("30", "30"),
    (" 4096\t87380   6291456 ", "4096 87380 6291456"),
    ([4096, "87380", 6291456], "4096 87380 6291456"),
    ("cubic", "cubic"),
    (-1, "-1"),
    ("0x1e", "30"),
])
def test_normalize_value(value, expected):
    assert keys.normalize_value(value) == expected


def test_normalize_value_prints_port_lists_as_the_kernel_does():
    assert keys.normalize_value("8081,8080", "net.ipv4.ip_local_reserved_ports") == "8080-8081"


@pytest.mark.parametrize("value,needle", [
    (True, "YAML boolean"),
    ("on", "boolean"),
    ("Yes", "boolean"),
    (None, "empty"),
    ("", "empty"),
    ("  \t ", "empty"),
    (1.5, "float"),
    ("1\nnet.ipv4.ip_forward=1", "must never contain"),
    ("1=2", "must never contain"),
    ("'1'", "must never contain"),
    ('"1"', "must never contain"),
    ("1 # comment", "must never contain"),
    ("1\x00", "must never contain"),
    (2 ** 70, "does not fit"),
    ("99999999999999999999999", "does not fit"),
    ([], "list value is empty"),
    ([[1]], "list items"),
    ({"a": 1}, "not dict"),
])
def test_rejected_values(value, needle):
    problem = keys.value_problem(value)
    assert problem is not None and needle in problem


def test_read_and_write_fake_tree(tmp_path):
    target = tmp_path / "net" / "ipv4"
    target.mkdir(parents=True)
    (target / "tcp_rmem").write_text("4096\t131072\t6291456\n")
    assert keys.read_value("net.ipv4.tcp_rmem", str(tmp_path)) == "4096 131072 6291456"
    assert keys.read_value("net.ipv4.tcp_tw_recycle", str(tmp_path)) is None
    keys.write_value("net.ipv4.tcp_rmem", "4096 87380 6291456", str(tmp_path))
    assert (target / "tcp_rmem").read_text() == "4096 87380 6291456\n"
    with pytest.raises(SysctlWriteError):
        keys.write_value("net.ipv4.tcp_tw_recycle", "0", str(tmp_path))
