"""JSON: the report as it is, valid against its schema."""

import json

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers.fmt_json import render_json as render

STAMP = "2026-11-21T05:00:00Z"


# ------------------------------------------------------------------ schema

def test_json_validates(report, validator):
    document = json.loads(render(report))
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    assert not errors, [(list(error.absolute_path), error.message) for error in errors]


def test_schema_rejects_a_broken_report(report, validator):
    document = json.loads(render(report))
    document["hosts"][0]["status"] = "maybe"
    document["hosts"][2]["findings"][0]["severity"] = "fatal"
    del document["totals"]["errors"]
    assert len(list(validator.iter_errors(document))) >= 3


def test_schema_requires_error_on_unreachable(report, validator):
    document = json.loads(render(report))
    document["hosts"][1]["error"] = None
    assert list(validator.iter_errors(document))


def test_empty_fleet_validates(validator):
    assert not list(validator.iter_errors(json.loads(render(build_report({}, generated_at=STAMP)))))
