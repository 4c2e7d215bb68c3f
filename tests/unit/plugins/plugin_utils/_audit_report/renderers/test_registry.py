"""The formats registry is the one list of report formats: the action, the filter, the role and the docs agree."""

import os

import yaml

from ansible_collections.netfleet.tcp.plugins.action import audit_files
from ansible_collections.netfleet.tcp.plugins.filter import audit_report as audit_filters
from ansible_collections.netfleet.tcp.plugins.modules import audit_files as audit_files_module
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import renderers

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 6))


def load(*path):
    with open(os.path.join(REPO, *path)) as handle:
        return yaml.safe_load(handle)


def test_every_renderer_file_is_registered():
    folder = os.path.dirname(renderers.__file__)
    files = sorted(name[4:-3] for name in os.listdir(folder) if name.startswith("fmt_") and name.endswith(".py"))
    assert sorted(spec["name"] for spec in renderers.FORMATS.values()) == files
    for spec in renderers.FORMATS.values():
        assert spec["scope"] in renderers.SCOPES and spec["description"] and callable(spec["render"])
        assert (spec["file"] is None) == (spec["scope"] == "lines")


def test_action_and_filter_read_the_registry():
    assert audit_files.FILES == dict((name, renderers.FORMATS[name]["file"]) for name in renderers.file_formats())
    assert audit_files.ARGUMENT_SPEC["formats"]["choices"] == renderers.file_formats()
    assert list(audit_filters.FORMATS) == renderers.names()


def test_documented_choices_equal_the_registry():
    module_doc = yaml.safe_load(audit_files_module.DOCUMENTATION)
    assert module_doc["options"]["formats"]["choices"] == renderers.file_formats()
    render_doc = load("plugins", "filter", "audit_render.yml")["DOCUMENTATION"]
    assert render_doc["options"]["format"]["choices"] == renderers.names()
    spec = load("roles", "tcp_audit", "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert spec["tcp_audit_report_formats"]["choices"] == renderers.file_formats()
    # The role names no format file itself: it prints the path audit_files returns.
    assert "audit.md" not in open(os.path.join(REPO, "roles", "tcp_audit", "vars", "main.yml")).read()
