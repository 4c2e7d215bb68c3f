# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter errors quote what they were given, but never a huge input in full."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import (
    MAX_ECHO,
    MAX_MESSAGE,
    clip,
    elide,
    filter_error,
    short_repr,
)
from ansible_collections.netfleet.tcp.tests.unit.reliability.test_hostile_filters import FILTERS, POSITIONS

HUGE = "x" * 200000
KEY = "net.ipv4.tcp_fin_timeout"
# The longest error a filter may raise: its name, then a message capped at MAX_MESSAGE
# plus the note saying how much was left out.
LONGEST = MAX_MESSAGE + 100


def test_clip_keeps_short_text_and_says_how_much_it_cut():
    assert clip("abc") == "abc"
    assert clip("a" * MAX_ECHO) == "a" * MAX_ECHO
    assert clip("a" * (MAX_ECHO + 7)) == "a" * MAX_ECHO + "... (7 more characters)"
    assert clip(12345, limit=3) == "123... (2 more characters)"


def test_short_repr_cuts_the_repr():
    assert short_repr("ab") == "'ab'"
    text = short_repr(HUGE)
    assert text.startswith("'xxx") and text.endswith("... (%d more characters)" % (len(HUGE) + 2 - MAX_ECHO))
    assert len(text) < MAX_ECHO + 40


def test_elide_keeps_the_words_around_a_long_value():
    value = HUGE + '"'
    text = elide("value %r contains quotes; write it bare" % value, value)
    assert text.endswith("contains quotes; write it bare")
    assert len(text) < MAX_ECHO + 100
    assert elide("list item %r: too long" % HUGE, [1, [HUGE]]).endswith(": too long")
    assert elide("short 'x' stays", "x") == "short 'x' stays"


def test_filter_error_caps_the_whole_message():
    error = filter_error("netfleet.tcp.x", HUGE)
    assert isinstance(error, AnsibleFilterError)
    assert str(error).startswith("netfleet.tcp.x: xxx")
    assert str(error).endswith("... (%d more characters)" % (len(HUGE) - MAX_MESSAGE))


# Every argument of every filter, given 200 KB of text, a 200 KB key and a 200 KB value.
HUGE_INPUTS = [("text", HUGE), ("key", {HUGE: 1}), ("value", {KEY: HUGE}), ("list", [HUGE]),
               ("quoted-value", {KEY: HUGE + '"'})]
CASES = [(name, where, call, label, junk) for name, where, call in POSITIONS for label, junk in HUGE_INPUTS]


@pytest.mark.parametrize("case", CASES, ids=["%s-%s-%s" % (c[0], c[1].replace(" ", "_"), c[3]) for c in CASES])
def test_no_filter_repeats_a_huge_input(case):
    name, _where, call, _label, junk = case
    try:
        call(junk)
    except AnsibleFilterError as error:
        message = str(error)
        assert name in message, message[:300]
        assert len(message) <= LONGEST, "%d characters: %s" % (len(message), message[:300])


@pytest.mark.parametrize("name", ["sysctl_diff", "to_sysctl_conf"])
def test_conf_filters_name_every_problem_past_a_huge_one(name):
    settings = {HUGE: 1, KEY: "30 # x", "net.ipv4.tcp_tw_reuse": HUGE + "'"}
    with pytest.raises(AnsibleFilterError) as caught:
        if name == "sysctl_diff":
            FILTERS[name]({}, settings)
        else:
            FILTERS[name](settings)
    message = str(caught.value)
    assert len(message) <= LONGEST, message[:300]
    assert "key is longer than 255 characters" in message
    assert "'#'" in message                      # the other key's problem is still named
    assert "contains quotes" in message          # and the words after a long echoed value


def test_to_sysctl_conf_entry_that_is_not_a_mapping_is_quoted_short():
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS["to_sysctl_conf"]([HUGE])
    assert "is not a mapping" in str(caught.value)
    assert len(str(caught.value)) < MAX_ECHO + 100


@pytest.mark.parametrize("call, words", [
    (lambda: FILTERS["tcp_pressure"]({"states": {}, "limits": {}}, {"time_wait": {"warning": HUGE}}),
     "is not a ratio"),
    (lambda: FILTERS["tcp_pressure"]({"states": {}, "limits": {}}, {HUGE: {}}), "expected one of"),
    (lambda: FILTERS["audit_report"]({}, fail_on=HUGE), "fail_on must be one of"),
    (lambda: FILTERS["audit_report"]({}, top=HUGE), "top must be a positive integer"),
    (lambda: FILTERS["audit_report"]({}, generated_at=HUGE), "is not an ISO 8601"),
    (lambda: FILTERS["audit_render"]({"schema_version": 1, "hosts": []}, HUGE), "format must be one of"),
    (lambda: FILTERS["tcp_state_summary"]({"states": {}}, HUGE), "top must be a non-negative integer"),
    (lambda: FILTERS["tcp_profile_guard"]({"context": {}}, {KEY: 30}, "web1", HUGE), "missing must be"),
    (lambda: FILTERS["fleet_query"]([{"host": "a"}], "[" + HUGE), "invalid JMESPath expression"),
], ids=["tcp_pressure-level", "tcp_pressure-metric", "audit_report-fail_on", "audit_report-top",
        "audit_report-generated_at", "audit_render-format", "tcp_state_summary-top", "tcp_profile_guard-missing",
        "fleet_query-expression"])
def test_message_quotes_the_input_short_and_keeps_its_words(call, words):
    with pytest.raises(AnsibleFilterError) as caught:
        call()
    message = str(caught.value)
    assert words in message
    assert "more characters)" in message
    assert len(message) < MAX_ECHO + 300, message[:400]
