"""audit_merge: reports of several runs (slices, serial batches) merge into the report one run
over the whole fleet would have written."""

import datetime
import json
import os

import jsonschema
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter import audit_merge as mf
from ansible_collections.netfleet.tcp.plugins.filter import audit_report as af
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_merge import merge_reports

HERE = os.path.dirname(__file__)
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "audit")
SCHEMA = os.path.join(REPO, "roles", "tcp_audit", "files", "audit_report.schema.json")
ALL = ["web1", "natgw", "db1"]
CROSS_HOST = ("gate", "totals", "hosts", "top_offenders", "findings_by_rule")


@pytest.fixture(scope="module")
def hostvars():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        records = json.load(handle)
    return dict((host, {"__audit_record": record}) for host, record in records.items())


def _report(hostvars, hosts, stamp, audited=None, **kwargs):
    audited = hosts if audited is None else audited
    results = dict((host, hostvars[host]) for host in audited)
    return af.audit_report(results, hosts=hosts, active=hosts, profile="none", generated_at=stamp, **kwargs)


def _validate(report):
    with open(SCHEMA) as handle:
        jsonschema.Draft202012Validator(json.load(handle)).validate(json.loads(json.dumps(report)))


def test_slices_merge_into_the_whole_fleet_report(hostvars):
    whole = _report(hostvars, ALL, "2026-11-21T05:00:00Z")
    slices = [_report(hostvars, ["db1"], "2026-11-21T05:00:02Z"),
              _report(hostvars, ["web1", "natgw"], "2026-11-21T05:00:01Z")]
    merged = mf.audit_merge(slices)
    _validate(merged)
    assert sorted(entry["host"] for entry in merged["hosts"]) == sorted(ALL)
    # The older slice comes first, so the hosts keep the whole run's order.
    for key in CROSS_HOST:
        assert merged[key] == whole[key], key
    assert "merged from 2 reports (20261121T050001Z, 20261121T050002Z)" in merged["title"]


def test_serial_batches_keep_the_audited_entry(hostvars):
    # A serial batch lists the hosts of later batches as not audited (no result yet).
    first = _report(hostvars, ALL, "2026-11-21T05:00:00Z", audited=["web1"])
    second = _report(hostvars, ALL, "2026-11-21T05:01:00Z", audited=["web1", "natgw", "db1"])
    early = dict((entry["host"], entry["status"]) for entry in first["hosts"])
    assert early == {"web1": "ok", "natgw": "failed", "db1": "failed"}
    whole = _report(hostvars, ALL, "2026-11-21T05:01:00Z")
    third = _report(hostvars, ALL, "2026-11-21T05:02:00Z", audited=[])
    merged = merge_reports([third, first, second])
    assert [entry["host"] for entry in merged["hosts"]] == ALL
    assert all(entry["status"] == "ok" for entry in merged["hosts"])
    assert merged["totals"] == whole["totals"]
    assert merged["gate"]["unaudited"] == {}


def test_a_host_never_audited_stays_failed_and_fails_the_gate(hostvars):
    merged = merge_reports([_report(hostvars, ["web1", "db1"], "2026-11-21T05:00:00Z", audited=["web1"])])
    assert [entry["status"] for entry in merged["hosts"]] == ["ok", "failed"]
    assert list(merged["gate"]["unaudited"]) == ["db1"]
    assert merged["totals"]["failed"] == 1


def test_merged_report_is_dated_now_and_renders(hostvars):
    moment = datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=datetime.timezone.utc)
    merged = merge_reports([_report(hostvars, ["web1"], "2026-11-21T05:00:00Z")], generated_at=moment)
    assert (merged["generated_at"], merged["run_id"]) == ("2026-11-22T01:02:03Z", "20261122T010203Z")
    assert "web1" in af.audit_render(merged, "markdown")


def test_fail_on_is_recomputed(hostvars):
    reports = [_report(hostvars, ALL, "2026-11-21T05:00:00Z", fail_on="never")]
    assert merge_reports(reports)["gate"]["fail_on"] == "never"
    gated = merge_reports(reports, fail_on="warning")
    assert gated["gate"]["fail_on"] == "warning"
    assert gated["gate"]["hosts"] == _report(hostvars, ALL, "2026-11-21T05:00:00Z", fail_on="warning")["gate"]["hosts"]


@pytest.mark.parametrize("reports, message", [
    ([], "non-empty list"),
    ("not a list", "non-empty list"),
    ([{"hosts": []}], "report 0 is not a fleet audit report"),
])
def test_bad_input_is_named(reports, message):
    with pytest.raises(AnsibleFilterError, match=message):
        mf.audit_merge(reports)


def test_reports_of_different_settings_are_refused(hostvars):
    one = _report(hostvars, ["web1"], "2026-11-21T05:00:00Z", fail_on="error")
    two = _report(hostvars, ["db1"], "2026-11-21T05:00:01Z", fail_on="warning")
    with pytest.raises(AnsibleFilterError, match="different gates"):
        mf.audit_merge([one, two])
    assert mf.audit_merge([one, two], fail_on="error")["gate"]["fail_on"] == "error"
