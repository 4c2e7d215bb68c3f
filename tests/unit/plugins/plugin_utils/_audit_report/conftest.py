"""Shared fixtures of the audit report's tests: recorded host results and the report built from them."""

import copy
import json
import os

import jsonschema
import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "audit")
SCHEMA = os.path.join(REPO, "roles", "tcp_audit", "files", "audit_report.schema.json")
STAMP = "2026-11-21T05:00:00Z"
HOSTS = ["web1", "web2", "natgw", "db1", "app9"]


@pytest.fixture(scope="session")
def stamp():
    return STAMP


@pytest.fixture(scope="session")
def fleet_hosts():
    return list(HOSTS)


@pytest.fixture(scope="module")
def records():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        return json.load(handle)


def load_validator():
    with open(SCHEMA) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


VALIDATOR = load_validator()


@pytest.fixture(scope="module")
def validator():
    return VALIDATOR


def hostvars(records):
    """What the role leaves behind: records on audited hosts, a registered result on web2."""
    result = dict((host, {"__audit_record": copy.deepcopy(record)}) for host, record in records.items())
    result["web2"] = {"__audit_facts": {"unreachable": True, "changed": False,
                                        "msg": "Failed to connect to the host via ssh: Connection timed out"}}
    result["app9"] = {"__audit_record": {"status": "failed", "error": "permission denied: /proc/net/netstat",
                                         "task": "Read the TCP state of the host"}}
    return result


@pytest.fixture
def make_hostvars():
    return hostvars


@pytest.fixture
def report(records):
    return build_report(hostvars(records), hosts=HOSTS, active=["web1", "natgw", "db1", "app9"],
                        probe_vars=["__audit_facts", "__audit_check"], generated_at=STAMP)


@pytest.fixture
def entry_of():
    def entry(report, host):
        return [item for item in report["hosts"] if item["host"] == host][0]
    return entry
