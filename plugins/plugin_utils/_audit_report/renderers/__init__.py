# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The formats registry: every ``fmt_<name>.py`` file beside this one is a report format.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.

A renderer file holds ``FORMAT`` and ``render_<name>``::

    FORMAT = {"name": "markdown",      # the name users give (tcp_audit_report_formats, audit_render)
              "file": "audit.md",      # the file it writes; "{host}.prom" for one file per host;
                                       # None for a format that is only printed
              "scope": "fleet",        # fleet: render(report) -> text, one file for the fleet
                                       # host: render(report, host) -> text, one file per host
                                       # lines: render(report) -> [str], printed, never written
              "description": "..."}    # one line for the docs
    def render_markdown(report, ...): ...

The audit_files action plugin, the audit_render filter, the audit role's argument spec and
the generated docs all read this registry, so a new format is one new file here (then
``make docs`` to refresh the lists generated from it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

SCOPES = ("fleet", "host", "lines")


def _load():
    folder = os.path.dirname(os.path.abspath(__file__))
    found = {}
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("fmt_") and name.endswith(".py")):
            continue
        module = importlib.import_module("%s.%s" % (__name__, name[:-3]))
        spec = dict(module.FORMAT)
        if spec.get("scope") not in SCOPES or not spec.get("name") or spec["name"] in found:
            raise ImportError("%s: FORMAT needs a unique name and a scope of %s" % (name, ", ".join(SCOPES)))
        spec["render"] = getattr(module, "render_%s" % spec["name"], None)
        if not callable(spec["render"]):
            raise ImportError("%s: no render_%s function" % (name, spec["name"]))
        found[spec["name"]] = spec
    return found


FORMATS = _load()


def names():
    """Every format name, sorted."""
    return sorted(FORMATS)


def file_formats():
    """The formats written as one file for the fleet into the report folder, sorted."""
    return sorted(name for name, spec in FORMATS.items() if spec["scope"] == "fleet")


def get(name):
    """The format's spec (with its ``render``), or None."""
    return FORMATS.get(name)


def reference_page(header):
    """docs/reference/report_formats.md: every format with its file and what it holds."""
    scope_text = {"fleet": "one file for the fleet", "host": "one file per host", "lines": "printed, not written"}
    lines = [header, "", "# Report formats", "",
             "The formats of the fleet audit report, from the formats registry "
             "(`plugins/plugin_utils/_audit_report/renderers/`, one `fmt_<name>.py` file per format). "
             "`tcp_audit_report_formats` of the tcp_audit role and `formats` of the audit_files module take the "
             "formats written as one file for the fleet; the audit_render filter takes every format.", "",
             "| Format | File | Written | What it holds |", "| --- | --- | --- | --- |"]
    for name in names():
        spec = FORMATS[name]
        shown = "`%s`" % spec["file"] if spec["file"] else "-"
        lines.append("| `%s` | %s | %s | %s |" % (name, shown, scope_text[spec["scope"]], spec["description"]))
    lines.extend(["", "## Adding a format", "",
                  "Add `fmt_<name>.py` beside the others with `FORMAT` (name, file, scope, description) and "
                  "`render_<name>(report)` (or `render_<name>(report, host)` for one file per host), then run `make docs`.", ""])
    return "\n".join(lines)
