# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl_diff, to_sysctl_conf and from_sysctl_conf filters, and their documentation."""

import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter.sysctl_conf import (
    FilterModule,
    from_sysctl_conf,
    sysctl_diff,
    to_sysctl_conf,
)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"sysctl_diff", "to_sysctl_conf", "from_sysctl_conf"}


# --- sysctl_diff --------------------------------------------------------------------------------------

def test_diff_normalises_whitespace_and_lists():
    current = {"net.ipv4.tcp_rmem": "4096\t131072\t6291456", "net.core.somaxconn": "4096",
               "net.ipv4.tcp_fin_timeout": "60"}
    desired = {"net.ipv4.tcp_rmem": [4096, 131072, 6291456], "net.core.somaxconn": 4096,
               "net.ipv4.tcp_fin_timeout": 30, "net.ipv4.tcp_tw_reuse_delay": 100}
    assert sysctl_diff(current, desired) == {
        "differs": True,
        "changes": {"net.ipv4.tcp_fin_timeout": {"current": "60", "desired": "30"},
                    "net.ipv4.tcp_tw_reuse_delay": {"current": None, "desired": "100"}},
        "unchanged": ["net.core.somaxconn", "net.ipv4.tcp_rmem"],
        "absent": ["net.ipv4.tcp_tw_reuse_delay"],
    }


def test_diff_bounds():
    current = {"net.core.somaxconn": "4096"}
    assert not sysctl_diff(current, {"net.core.somaxconn": ">=1024"})["differs"]
    assert sysctl_diff(current, {"net.core.somaxconn": ">=8192"})["changes"] == {
        "net.core.somaxconn": {"current": "4096", "desired": ">=8192"}}
    assert sysctl_diff({}, {"net.core.somaxconn": "<=8192"})["absent"] == ["net.core.somaxconn"]


def test_diff_accepts_a_sysctl_check_result():
    check = {"findings": [], "keys": {"net.ipv4.tcp_fin_timeout": {"live": "60"}}}
    assert sysctl_diff(check, {"net.ipv4.tcp_fin_timeout": 60}) == {
        "differs": False, "changes": {}, "unchanged": ["net.ipv4.tcp_fin_timeout"], "absent": []}


def test_diff_names_every_bad_input():
    with pytest.raises(AnsibleFilterError) as caught:
        sysctl_diff({}, {"net.ipv4.tcp_sack": True, "net.ipv4.tcp_fin_timeout": '"30"', "bad key": 1,
                         "net.ipv4.tcp_tw_reuse": 9})
    message = str(caught.value)
    for fragment in ("net.ipv4.tcp_sack: YAML boolean", "tcp_fin_timeout: value", "bad key:",
                     "net.ipv4.tcp_tw_reuse: 9 is not a known value"):
        assert fragment in message
    with pytest.raises(AnsibleFilterError):
        sysctl_diff(["x"], {})
    with pytest.raises(AnsibleFilterError):
        sysctl_diff({}, "net.core.somaxconn=1")


# --- to_sysctl_conf / from_sysctl_conf -------------------------------------------------------------------

def test_render_and_parse_round_trip():
    settings = {"net.ipv4.tcp_rmem": [4096, "131072", 6291456], "net.core.somaxconn": 4096,
                "net.ipv4.ip_local_reserved_ports": "", "vm.swappiness": "10"}
    text = to_sysctl_conf(settings, header=["managed", "profile web"])
    assert text == ("# managed\n# profile web\nnet.core.somaxconn = 4096\nnet.ipv4.ip_local_reserved_ports =\n"
                    "net.ipv4.tcp_rmem = 4096 131072 6291456\nvm.swappiness = 10\n")
    assert from_sysctl_conf(text) == {"net.core.somaxconn": "4096", "net.ipv4.ip_local_reserved_ports": "",
                                      "net.ipv4.tcp_rmem": "4096 131072 6291456", "vm.swappiness": "10"}
    assert to_sysctl_conf({}) == ""


def test_render_refuses_with_every_reason():
    with pytest.raises(AnsibleFilterError) as caught:
        to_sysctl_conf({"net.ipv4.tcp_sack": "yes", "net.core.somaxconn": ">=4096", "a.b": "x\ny",
                        "net.ipv4.tcp_fin_timeout": ""})
    message = str(caught.value)
    for fragment in ("tcp_sack", "a bound (>=4096) cannot be written", "a.b:", "tcp_fin_timeout:"):
        assert fragment in message
    with pytest.raises(AnsibleFilterError):
        to_sysctl_conf("net.core.somaxconn = 1")
    with pytest.raises(AnsibleFilterError):
        to_sysctl_conf({"a.b": 1}, header={"not": "text"})


def test_entries_round_trip_keeps_flags():
    text = ("# comment\n-net.ipv4.tcp_tw_recycle = 0\nnet/ipv4/conf/eth0.100/rp_filter\t=\t2\n"
            "net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\nnot an assignment\n")
    entries = from_sysctl_conf(text, entries=True)
    assert [entry["kind"] for entry in entries] == ["assign", "assign", "assign", "exclude", "invalid"]
    assert entries[1]["key"] == "net.ipv4.conf.eth0/100.rp_filter"
    assert "source" not in entries[0]
    again = from_sysctl_conf(to_sysctl_conf(entries), entries=True)
    project = [(e["key"], e["value"], e["ignore_errors"], e["kind"]) for e in entries if e["kind"] != "invalid"]
    assert [(e["key"], e["value"], e["ignore_errors"], e["kind"]) for e in again] == project


def test_parse_last_assignment_wins_and_keeps_quotes():
    assert from_sysctl_conf("a.b = 1\nc.d = 'x'\na.b = 2\n") == {"c.d": "'x'", "a.b": "2"}
    assert from_sysctl_conf(None) == {}
    with pytest.raises(AnsibleFilterError):
        from_sysctl_conf(["a.b = 1"])


def test_parse_never_drops_an_unreadable_line():
    text = "net.core.somaxconn = 4096\nnet.ipv4.tcp_sack 0\nsysctl -w net.ipv4.tcp_fin_timeout=30\n"
    with pytest.raises(AnsibleFilterError) as caught:
        from_sysctl_conf(text)
    message = str(caught.value)
    assert "2 lines cannot be read" in message and "line 2" in message and "line 3" in message
    assert "entries=true" in message
    entries = from_sysctl_conf(text, entries=True)
    assert [(entry["line"], entry["kind"]) for entry in entries] == [(1, "assign"), (2, "invalid"), (3, "invalid")]


def test_parse_reads_pasted_lists_in_paste_form():
    text = ("sysctl -w net.ipv4.tcp_fin_timeout=30 net.ipv4.tcp_tw_reuse=1\n"
            "echo 1 > /proc/sys/net/ipv4/tcp_tw_recycle\n"
            "net.core.somaxconn: 1024  # more\n"
            "net.ipv4.tcp_keepalive_time = 600 // ten minutes\n")
    assert from_sysctl_conf(text, form="paste") == {
        "net.ipv4.tcp_fin_timeout": "30", "net.ipv4.tcp_tw_reuse": "1", "net.ipv4.tcp_tw_recycle": "1",
        "net.core.somaxconn": "1024", "net.ipv4.tcp_keepalive_time": "600"}
    with pytest.raises(AnsibleFilterError, match="form must be one of file, paste"):
        from_sysctl_conf(text, form="shell")


def test_parse_names_how_many_unreadable_lines_it_could_not_show():
    text = "".join("bad line number %d with some words to make it long\n" % number for number in range(40))
    with pytest.raises(AnsibleFilterError) as caught:
        from_sysctl_conf(text)
    message = str(caught.value)
    assert "40 lines cannot be read" in message and "more" in message
    shown = message.count("is not a 'key = value' assignment")
    assert 0 < shown < 40 and ("and %d more" % (40 - shown)) in message


@pytest.mark.parametrize("name", ["sysctl_diff", "to_sysctl_conf", "from_sysctl_conf"])
def test_ansible_doc_renders(name):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".tmp", "collections"), LC_ALL="C.UTF-8")
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    completed = subprocess.run([ansible_doc, "-t", "filter", "netfleet.tcp." + name], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "ERROR" not in completed.stderr and "EXAMPLES" in completed.stdout
