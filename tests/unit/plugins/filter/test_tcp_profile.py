# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tcp_profile filters: rendering, errors, and their sidecar documentation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter.tcp_profile import (
    FilterModule,
    tcp_profile,
    tcp_profile_plan,
)

CONTEXT = {
    "mem_total_bytes": 8 * 1024 ** 3,
    "page_size": 4096,
    "listen_ports": [22, 12345],
    "kernel_version": [6, 1, 0],
    "initial_netns": False,
}
CHECK_RESULT = {"changed": False, "context": CONTEXT, "keys": {}, "findings": []}
FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"tcp_profile", "tcp_profile_plan"}


def test_renders_from_a_registered_check_result():
    settings = tcp_profile(CHECK_RESULT, "outbound_heavy", {}, {"net.ipv4.tcp_fin_timeout": 30})
    assert settings["net.ipv4.tcp_fin_timeout"] == 30
    assert settings["net.ipv4.ip_local_reserved_ports"] == "12345"


def test_plan_explains_each_key():
    rows = tcp_profile_plan(CHECK_RESULT, "web_frontend", None, {"net.ipv4.tcp_fin_timeout": 30})
    by_key = dict((row["key"], row) for row in rows)
    assert by_key["net.ipv4.tcp_fin_timeout"]["source"] == "host"
    assert by_key["net.ipv4.tcp_max_tw_buckets"]["formula"] == "tw_buckets_by_memory"
    assert "TIME_WAIT" in by_key["net.ipv4.tcp_max_tw_buckets"]["reason"]


@pytest.mark.parametrize("args, message", [
    (("nope",), "unknown profile 'nope'"),
    (("web_frontend", ["x"]), "group overrides must be a dict"),
    (("web_frontend", None, {"../../etc/passwd": 1}), "host overrides"),
])
def test_errors_are_filter_errors_naming_the_filter(args, message):
    with pytest.raises(AnsibleFilterError, match=message) as caught:
        tcp_profile(CHECK_RESULT, *args)
    assert "netfleet.tcp.tcp_profile" in str(caught.value)
    with pytest.raises(AnsibleFilterError, match="tcp_profile_plan"):
        tcp_profile_plan(CHECK_RESULT, *args)


def test_a_context_without_memory_fails_clearly():
    with pytest.raises(AnsibleFilterError, match="mem_total_bytes"):
        tcp_profile({"context": {"page_size": 4096}}, "web_frontend")


@pytest.mark.parametrize("name", ["tcp_profile", "tcp_profile_plan"])
def test_sidecar_documentation_is_complete(name):
    with open(os.path.join(FILTER_DIR, name + ".yml")) as handle:
        doc = yaml.safe_load(handle)
    assert doc["DOCUMENTATION"]["name"] == name
    assert doc["DOCUMENTATION"]["version_added"] == "0.1.0"
    assert set(doc["DOCUMENTATION"]["options"]) == {
        "_input", "profile", "group_overrides", "host_overrides"}
    assert "netfleet.tcp." + name in doc["EXAMPLES"]
    assert "_value" in doc["RETURN"]


def test_ansible_doc_renders_the_filter():
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    if not os.path.exists(doc):
        pytest.skip("ansible-doc is not installed next to this interpreter")
    result = subprocess.run([doc, "-t", "filter", "netfleet.tcp.tcp_profile"],
                            capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Returns the sysctl settings a host should get" in result.stdout
