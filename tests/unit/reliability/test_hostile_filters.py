# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile filter inputs: every filter answers with AnsibleFilterError naming the problem.

Inputs are what a playbook can hand a filter (YAML/JSON values: None, booleans,
numbers, strings, lists, mappings, also with odd keys), in the wrong place. A filter
either returns normally or raises AnsibleFilterError; a TypeError, AttributeError or
ValueError escaping would reach the user as a bare Python error from the templar.
"""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter import (
    audit_report,
    fleet_query,
    sysctl_conf,
    tcp_pressure,
    tcp_profile,
    tcp_state_summary,
)
from ansible_collections.netfleet.tcp.tests.unit.reliability.support import count

FILTERS = {}
for _module in (sysctl_conf, tcp_profile, fleet_query, tcp_pressure, audit_report, tcp_state_summary):
    FILTERS.update(_module.FilterModule().filters())

KEY = "net.ipv4.tcp_fin_timeout"

# What a playbook can put anywhere: each of these lands in each argument position below.
JUNK = [
    ("null", None), ("true", True), ("int", 1), ("negative", -1), ("float", 1.5), ("huge", 2 ** 70),
    ("empty-text", ""), ("text", "x"), ("newline", "a\nb"), ("equals", "a=b"), ("hash", "#"),
    ("nul", "\x00"), ("empty-list", []), ("list", [1]), ("list-of-text", ["a"]),
    ("empty-dict", {}), ("dict", {"a": 1}), ("path-key", {"../../etc/passwd": 1}),
    ("injected-value", {KEY: "30\nkernel.core_pattern = |/tmp/x"}), ("nested-list-value", {KEY: [[1]]}),
    ("dict-value", {KEY: {"a": 1}}), ("int-key", {1: 2}), ("null-key", {None: 1}),
    ("oversized", "x" * 200000),
]

CONTEXT = {"mem_total_bytes": 8 << 30, "page_size": 4096, "listen_ports": [22], "kernel_version": [6, 1, 0],
           "initial_netns": True, "proc_sys_net_writable": True, "nat_facing": False}

# (filter, how to call it with the junk value j)
POSITIONS = [
    ("sysctl_diff", "current", lambda j: FILTERS["sysctl_diff"](j, {KEY: 30})),
    ("sysctl_diff", "desired", lambda j: FILTERS["sysctl_diff"]({KEY: "60"}, j)),
    ("to_sysctl_conf", "settings", lambda j: FILTERS["to_sysctl_conf"](j)),  # pylint: disable=unnecessary-lambda
    ("to_sysctl_conf", "entry", lambda j: FILTERS["to_sysctl_conf"]([j])),
    ("to_sysctl_conf", "entry key", lambda j: FILTERS["to_sysctl_conf"]([{"key": j, "value": 1}])),
    ("to_sysctl_conf", "entry value", lambda j: FILTERS["to_sysctl_conf"]([{"key": KEY, "value": j}])),
    ("to_sysctl_conf", "header", lambda j: FILTERS["to_sysctl_conf"]({KEY: 30}, header=j)),
    ("to_sysctl_conf", "header line", lambda j: FILTERS["to_sysctl_conf"]({KEY: 30}, header=[j])),
    ("from_sysctl_conf", "text", lambda j: FILTERS["from_sysctl_conf"](j)),  # pylint: disable=unnecessary-lambda
    ("tcp_profile", "host", lambda j: FILTERS["tcp_profile"](j, "web_frontend")),
    ("tcp_profile", "profile", lambda j: FILTERS["tcp_profile"]({"context": CONTEXT}, j)),
    ("tcp_profile", "group overrides", lambda j: FILTERS["tcp_profile"]({"context": CONTEXT}, "web_frontend", j)),
    ("tcp_profile", "host overrides",
     lambda j: FILTERS["tcp_profile"]({"context": CONTEXT}, "web_frontend", None, j)),
    ("tcp_profile", "context memory",
     lambda j: FILTERS["tcp_profile"]({"context": dict(CONTEXT, mem_total_bytes=j)}, "web_frontend")),
    ("tcp_profile", "context listen_ports",
     lambda j: FILTERS["tcp_profile"]({"context": dict(CONTEXT, listen_ports=j)}, "outbound_heavy")),
    ("tcp_profile", "check keys",
     lambda j: FILTERS["tcp_profile"]({"context": CONTEXT, "keys": j}, "outbound_heavy")),
    ("tcp_profile_plan", "profile", lambda j: FILTERS["tcp_profile_plan"]({"context": CONTEXT}, j)),
    ("tcp_profile_findings", "check", lambda j: FILTERS["tcp_profile_findings"](j, {KEY: 30})),
    ("tcp_profile_findings", "findings", lambda j: FILTERS["tcp_profile_findings"]({"findings": j}, {KEY: 30})),
    ("tcp_profile_findings", "settings",
     lambda j: FILTERS["tcp_profile_findings"]({"findings": [{"id": "x", "key": KEY}]}, j)),
    ("tcp_profile_guard", "check", lambda j: FILTERS["tcp_profile_guard"](j, {KEY: 30}, "web1")),
    ("tcp_profile_guard", "check context",
     lambda j: FILTERS["tcp_profile_guard"]({"context": j, "keys": {}}, {KEY: 30}, "web1")),
    ("tcp_profile_guard", "check keys",
     lambda j: FILTERS["tcp_profile_guard"]({"context": CONTEXT, "keys": j}, {KEY: 30}, "web1")),
    ("tcp_profile_guard", "settings", lambda j: FILTERS["tcp_profile_guard"]({"context": CONTEXT}, j, "web1")),
    ("tcp_profile_guard", "missing",
     lambda j: FILTERS["tcp_profile_guard"]({"context": CONTEXT}, {KEY: 30}, "web1", j)),
    ("tcp_profile_guard", "fail_on",
     lambda j: FILTERS["tcp_profile_guard"]({"context": CONTEXT}, {KEY: 30}, "web1", "skip", j)),
    ("tcp_profile_report", "apply", lambda j: FILTERS["tcp_profile_report"](j, "web1")),
    ("tcp_profile_report", "apply keys", lambda j: FILTERS["tcp_profile_report"]({"keys": j}, "web1")),
    ("tcp_profile_report", "apply key entry",
     lambda j: FILTERS["tcp_profile_report"]({"keys": {KEY: j}, "file_changed": True}, "web1")),
    ("tcp_profile_verify", "reread", lambda j: FILTERS["tcp_profile_verify"](j, {KEY: "30"}, "web1")),
    ("tcp_profile_verify", "reread keys",
     lambda j: FILTERS["tcp_profile_verify"]({"keys": j}, {KEY: "30"}, "web1")),
    ("tcp_profile_verify", "reread key entry",
     lambda j: FILTERS["tcp_profile_verify"]({"keys": {KEY: j}}, {KEY: "30"}, "web1")),
    ("tcp_profile_verify", "expected", lambda j: FILTERS["tcp_profile_verify"]({"keys": {}}, j, "web1")),
    ("tcp_profile_verify", "removed_files",
     lambda j: FILTERS["tcp_profile_verify"]({"keys": {}}, {}, "web1",
                                             apply={"state": "absent", "file_changed": True, "removed_files": j})),
    ("fleet_query", "data", lambda j: FILTERS["fleet_query"](j, "[].host")),
    ("fleet_query", "expression", lambda j: FILTERS["fleet_query"]([{"host": "a"}], j)),
    ("tcp_pressure", "facts", lambda j: FILTERS["tcp_pressure"](j)),  # pylint: disable=unnecessary-lambda
    ("tcp_pressure", "facts states", lambda j: FILTERS["tcp_pressure"]({"states": j, "limits": {}})),
    ("tcp_pressure", "facts ports", lambda j: FILTERS["tcp_pressure"]({"states": {}, "limits": {}, "ports": j})),
    ("tcp_pressure", "facts destinations",
     lambda j: FILTERS["tcp_pressure"]({"states": {}, "limits": {}, "ports": {"destinations": j,
                                                                              "usable_ports": 100}})),
    ("tcp_pressure", "facts listeners",
     lambda j: FILTERS["tcp_pressure"]({"states": {}, "limits": {}, "listeners": j})),
    ("tcp_pressure", "thresholds", lambda j: FILTERS["tcp_pressure"]({"states": {}, "limits": {}}, j)),
    ("tcp_pressure", "threshold level",
     lambda j: FILTERS["tcp_pressure"]({"states": {}, "limits": {}}, {"time_wait": {"warning": j}})),
    ("audit_report", "results", lambda j: FILTERS["audit_report"](j)),  # pylint: disable=unnecessary-lambda
    ("audit_report", "host vars", lambda j: FILTERS["audit_report"]({"web1": j})),
    ("audit_report", "host record", lambda j: FILTERS["audit_report"]({"web1": {"__audit_record": j}})),
    ("audit_report", "hosts", lambda j: FILTERS["audit_report"]({}, hosts=j)),
    ("audit_report", "fail_on", lambda j: FILTERS["audit_report"]({}, fail_on=j)),
    ("audit_report", "top", lambda j: FILTERS["audit_report"]({}, top=j)),
    ("audit_report", "thresholds", lambda j: FILTERS["audit_report"]({}, thresholds=j)),
    ("audit_report", "generated_at", lambda j: FILTERS["audit_report"]({}, generated_at=j)),
    ("audit_render", "report", lambda j: FILTERS["audit_render"](j)),  # pylint: disable=unnecessary-lambda
    ("audit_render", "report hosts", lambda j: FILTERS["audit_render"]({"schema_version": 1, "hosts": j})),
    ("audit_render", "format", lambda j: FILTERS["audit_render"]({"schema_version": 1, "hosts": []}, j)),
    ("tcp_state_summary", "facts", lambda j: FILTERS["tcp_state_summary"](j)),  # pylint: disable=unnecessary-lambda
    ("tcp_state_summary", "facts states", lambda j: FILTERS["tcp_state_summary"]({"states": j})),
    ("tcp_state_summary", "top", lambda j: FILTERS["tcp_state_summary"]({"states": {}}, j)),
]

CASES = [(name, where, call, label, junk) for name, where, call in POSITIONS for label, junk in JUNK]


@pytest.mark.parametrize("case", CASES, ids=["%s-%s-%s" % (c[0], c[1].replace(" ", "_"), c[3]) for c in CASES])
def test_filters_answer_hostile_input_with_a_filter_error(case):
    name, _where, call, _label, junk = case
    count("hostile inputs", "filter %s" % name)
    try:
        call(junk)
    except AnsibleFilterError as error:
        message = str(error)
        assert name in message, "the error must name the filter: %r" % message[:300]


# --------------------------------------------------------------------------- the values that matter most

# (id, desired, words): what sysctl_diff and to_sysctl_conf must refuse, naming the problem.
HOSTILE_SETTINGS = [
    ("newline", {KEY: "30\nkernel.core_pattern = |/tmp/x"}, "'\\n'"),
    ("equals", {KEY: "30 = 1"}, "'='"),
    ("hash", {KEY: "30 # x"}, "'#'"),
    ("nul", {KEY: "30\x00"}, "'\\x00'"),
    ("quotes", {KEY: '"30"'}, "quotes"),
    ("boolean", {"net.ipv4.tcp_timestamps": True}, "boolean"),
    ("boolean-word", {"net.ipv4.tcp_timestamps": "on"}, "boolean"),
    ("huge", {KEY: 2 ** 65}, "does not fit"),
    ("float", {KEY: 0.5}, "float"),
    ("empty", {KEY: ""}, "empty"),
    ("null", {KEY: None}, "empty"),
    ("nested", {"net.ipv4.tcp_rmem": [[1], 2, 3]}, "list items"),
    ("path-key", {"../../etc/passwd": 1}, "not a path"),
    ("newline-key", {KEY + "\n": 1}, "may only hold"),
    ("absolute-key", {"/proc/sys/kernel/core_pattern": "x"}, "not a path"),
]


@pytest.mark.parametrize("case", HOSTILE_SETTINGS, ids=[c[0] for c in HOSTILE_SETTINGS])
@pytest.mark.parametrize("name", ["sysctl_diff", "to_sysctl_conf"])
def test_conf_filters_refuse_what_could_become_another_line(case, name):
    count("hostile inputs", "filter %s" % name)
    _id, settings, words = case
    if case[0] == "empty" and name == "to_sysctl_conf":
        pytest.skip("a blank value is valid file syntax (it clears ip_local_reserved_ports)")
    with pytest.raises(AnsibleFilterError) as caught:
        if name == "sysctl_diff":
            FILTERS[name]({KEY: "60"}, settings)
        else:
            FILTERS[name](settings)
    assert words in str(caught.value)


def test_to_sysctl_conf_header_cannot_inject_an_assignment():
    count("hostile inputs", "filter to_sysctl_conf")
    text = FILTERS["to_sysctl_conf"]({KEY: 30}, header="managed\nkernel.core_pattern = |/tmp/x\r\x0bx")
    parsed = FILTERS["from_sysctl_conf"](text)
    assert parsed == {KEY: "30"}, text


def test_from_sysctl_conf_keeps_injected_lines_as_what_they_are():
    count("hostile inputs", "filter from_sysctl_conf")
    parsed = FILTERS["from_sysctl_conf"]("a.b = 1\x00kernel.x = 2\nc.d = \"3\"\n", entries=True)
    assert [entry["key"] for entry in parsed] == ["a.b", "c.d"]
    assert parsed[1]["quoted"] is True
