"""Any fleet, however odd its records, renders in every format and its JSON validates."""

import json
import os
import re
import xml.etree.ElementTree as ET

import jsonschema
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import (
    GATES,
    TCP_STATES,
    build_report,
    render_format,
)

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "..", "..",
                      "roles", "tcp_audit", "files", "audit_report.schema.json")
STAMP = "2026-11-21T05:00:00Z"
_SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\} \S+$')


def load_validator():
    with open(SCHEMA) as handle:
        return jsonschema.Draft202012Validator(json.load(handle), format_checker=jsonschema.FormatChecker())


VALIDATOR = load_validator()


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def random_record(draw):
    states = dict((name, draw(st.integers(0, 10 ** 6))) for name in TCP_STATES)
    facts = {
        "source": draw(st.sampled_from(["netlink", "proc"])),
        "states": states,
        "families": {"ipv4": states},
        "sockstat": {"tcp": {"orphan": draw(st.integers(0, 5000)), "tw": states["TIME_WAIT"]}},
        "counters": {"TcpExt": {"ListenOverflows": draw(st.integers(0, 10 ** 9))}},
        "limits": {"tcp_max_tw_buckets": draw(st.one_of(st.none(), st.integers(0, 10 ** 6))),
                   "tcp_max_orphans": draw(st.one_of(st.none(), st.integers(1, 10 ** 6)))},
        "host": {"kernel": draw(_TEXT), "kernel_version": [6, 1, 0], "initial_netns": draw(st.booleans())},
        "listen_ports": sorted(draw(st.sets(st.integers(1, 65535), max_size=4))),
    }
    if draw(st.booleans()):
        facts["ports"] = {"usable_ports": draw(st.integers(1, 64000)), "destinations": [
            {"address": draw(_TEXT), "port": draw(st.integers(1, 65535)), "count": draw(st.integers(0, 64000))}
            for _index in range(draw(st.integers(0, 3)))]}
    if draw(st.booleans()):
        facts["listeners"] = [{"family": "ipv4", "address": draw(_TEXT), "port": draw(st.integers(1, 65535)),
                               "queue": draw(st.integers(0, 5000)), "backlog": draw(st.integers(0, 5000))}
                              for _index in range(draw(st.integers(0, 3)))]
    findings = [{"id": draw(st.sampled_from(["r1", "r2", "r|3"])), "severity": draw(st.sampled_from(("info", "warning", "error"))),
                 "key": draw(st.one_of(st.none(), _TEXT)), "value": draw(st.one_of(st.none(), _TEXT, st.integers())),
                 "message": draw(_TEXT), "remediation": draw(_TEXT)} for _index in range(draw(st.integers(0, 4)))]
    keys = dict((draw(_TEXT) + str(index), {"live": draw(_TEXT), "persisted": draw(st.one_of(st.none(), _TEXT)),
                                            "persisted_file": None, "desired": None}) for index in range(2))
    return {"status": "ok", "tcp_state": facts,
            "check": {"findings": findings, "keys": keys, "context": {"nat_facing": draw(st.booleans())},
                      "summary": {"drift": draw(st.integers(0, 9)), "keys_checked": 2}}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9\-]{0,8}", fullmatch=True), random_record(), max_size=4),
       st.sampled_from(GATES))
def test_any_fleet_renders_and_validates(fleet, fail_on):
    report = build_report(fleet, record_var=None, fail_on=fail_on, generated_at=STAMP)
    errors = [(list(error.absolute_path), error.message[:200])
              for error in VALIDATOR.iter_errors(json.loads(render_format(report, "json")))]
    assert not errors
    render_format(report, "markdown")
    assert render_format(report, "html").endswith("</html>\n")
    ET.fromstring(render_format(report, "junit").split("\n", 1)[1])
    render_format(report, "table")
    for host in fleet:
        for line in render_format(report, "prometheus", host).splitlines():
            assert line.startswith(("# HELP ", "# TYPE ")) or _SAMPLE.match(line), line
