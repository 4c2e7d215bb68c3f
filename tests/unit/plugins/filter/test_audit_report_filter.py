"""The audit_report and audit_render filters, and the docs of every audit filter."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter import audit_report as af

HERE = os.path.dirname(__file__)
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "audit")
STAMP = "2026-11-21T05:00:00Z"
FILTERS = ("audit_report", "audit_render", "fleet_query", "tcp_pressure")


@pytest.fixture(scope="module")
def records():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        return json.load(handle)


@pytest.fixture
def report(records):
    hostvars = dict((host, {"__audit_record": record}) for host, record in records.items())
    return af.audit_report(hostvars, hosts=["web1", "natgw", "db1"], active=["web1", "natgw", "db1"],
                           profile="none", generated_at=STAMP)


def test_registered():
    filters = af.FilterModule().filters()
    assert filters["audit_report"] is af.audit_report
    assert filters["audit_render"] is af.audit_render


def test_report_from_records(records):
    report = af.audit_report(records, record_var="", facts_var="", generated_at=STAMP, fail_on="warning")
    assert [entry["host"] for entry in report["hosts"]] == sorted(records) or len(report["hosts"]) == 3
    assert report["gate"]["fail_on"] == "warning"
    assert report["profile"] is None


def test_report_errors():
    with pytest.raises(AnsibleFilterError, match="audit_report: fail_on must be one of"):
        af.audit_report({}, fail_on="sometimes")
    with pytest.raises(AnsibleFilterError, match="hosts must be a list"):
        af.audit_report({}, hosts="web1")


def test_top_written_as_text_is_that_number(records):
    # ansible-core before 2.19 templates the role's top (a "{{ ... }}" variable) to text.
    as_text = af.audit_report(records, record_var="", facts_var="", generated_at=STAMP, top=" 1")
    as_number = af.audit_report(records, record_var="", facts_var="", generated_at=STAMP, top=1)
    assert as_text == as_number
    assert as_text != af.audit_report(records, record_var="", facts_var="", generated_at=STAMP, top=3)


@pytest.mark.parametrize("top", ["five", "5.0", "-1", "0", "", True, 2.5])
def test_top_that_is_no_whole_number_is_refused(top):
    with pytest.raises(AnsibleFilterError, match="audit_report: top must be a positive integer"):
        af.audit_report({}, top=top)


@pytest.mark.parametrize("fmt,needle", [
    ("markdown", "# TCP fleet audit"),
    ("json", '"schema_version": 1'),
    ("junit", "<testsuites"),
])
def test_render_text(report, fmt, needle):
    assert needle in af.audit_render(report, fmt)


def test_render_table(report):
    lines = af.audit_render(report, "table")
    assert isinstance(lines, list) and lines[0].startswith("HOST")


def test_render_prometheus(report):
    assert 'netfleet_tcp_audit_up{host="natgw"} 1' in af.audit_render(report, "prometheus", host="natgw")


@pytest.mark.parametrize("args,needle", [
    (("pdf",), "format must be one of"),
    (("prometheus",), "needs host="),
])
def test_render_errors(report, args, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        af.audit_render(report, *args)


def test_render_needs_a_report():
    with pytest.raises(AnsibleFilterError, match="expects a report"):
        af.audit_render({"hosts": []}, "markdown")


def test_render_unknown_host(report):
    with pytest.raises(AnsibleFilterError, match="not in the report"):
        af.audit_render(report, "prometheus", host="ghost")


@pytest.mark.parametrize("name", FILTERS)
def test_sidecar_doc_is_complete(name):
    with open(os.path.join(REPO, "plugins", "filter", name + ".yml")) as handle:
        doc = yaml.safe_load(handle)
    assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    assert doc["DOCUMENTATION"]["name"] == name
    assert doc["DOCUMENTATION"]["version_added"] == "0.1.0"
    assert "_input" in doc["DOCUMENTATION"]["options"]
    assert "netfleet.tcp." + name in doc["EXAMPLES"]
    yaml.safe_load(doc["EXAMPLES"])


@pytest.mark.parametrize("name", FILTERS)
def test_ansible_doc_renders(name):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ["ANSIBLE_COLLECTIONS_PATH"], ANSIBLE_NOCOLOR="1")
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    proc = subprocess.run([doc, "-t", "filter", "--json", "netfleet.tcp." + name], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)["netfleet.tcp." + name]
    assert data["doc"]["name"] == name
    assert "[WARNING]" not in proc.stderr, proc.stderr
