"""The netfleet.tcp.fleet_query filter over the report, record lists and mappings."""

import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter import fleet_query as fq
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit")


@pytest.fixture(scope="module")
def records():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def report(records):
    return build_report(records, hosts=["web1", "natgw", "db1", "web2"], record_var=None,
                        generated_at="2026-11-21T05:00:00Z")


def test_registered():
    assert fq.FilterModule().filters()["fleet_query"] is fq.fleet_query


def test_drifted_hosts(report):
    assert fq.fleet_query(report, "[?drift > `0`].host") == ["web1"]


def test_pressure_projection(report):
    assert fq.fleet_query(report, "[?pressure.time_wait.ratio > `0.5`].{host: host, tw: states.TIME_WAIT}") == [
        {"host": "web1", "tw": 25087}]


def test_hosts_hit_by_rule(report):
    assert fq.fleet_query(report, "[?findings[?id == 'tw-reuse-no-timestamps']].host") == ["natgw"]


def test_status_and_functions(report):
    assert fq.fleet_query(report, "[?status != 'ok'].host") == ["web2"]
    assert fq.fleet_query(report, "sum([?status == 'ok'].states.ESTABLISHED)") == 1852 + 210 + 95
    assert fq.fleet_query(report, "max_by([?status == 'ok'], &states.TIME_WAIT).host") == "web1"
    assert fq.fleet_query(report, "length([?nat_facing])") == 1


def test_mapping_of_records(records):
    result = fq.fleet_query(records, "[?check.context.nat_facing].host")
    assert result == ["natgw"]


def test_mapping_with_scalars():
    assert fq.fleet_query({"b": 2, "a": 1}, "[].value") == [1, 2]
    assert fq.fleet_query({"b": 2, "a": 1}, "[].host") == ["a", "b"]


def test_list_of_records():
    assert fq.fleet_query([{"host": "x", "n": 1}, {"host": "y", "n": 5}], "[?n > `2`].host") == ["y"]


def test_string_subclasses_work_with_type_functions():
    class Tagged(str):
        pass

    data = [{Tagged("host"): Tagged("web1"), Tagged("kernel"): Tagged("6.1")}]
    assert fq.fleet_query(data, "[?starts_with(kernel, '6')].host") == ["web1"]
    assert fq.fleet_query(data, "length([0].host)") == 4


@pytest.mark.parametrize("expression,needle", [
    ("[?drift >", "invalid JMESPath expression"),
    ("", "non-empty string"),
    (None, "non-empty string"),
    ("length(`1`)", "failed"),
])
def test_bad_expressions(report, expression, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        fq.fleet_query(report, expression)


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="expects the audit report"):
        fq.fleet_query("web1", "[]")


def test_missing_jmespath(monkeypatch, report):
    monkeypatch.setattr(fq, "jmespath", None)
    with pytest.raises(AnsibleFilterError, match="pip install jmespath"):
        fq.fleet_query(report, "[].host")
