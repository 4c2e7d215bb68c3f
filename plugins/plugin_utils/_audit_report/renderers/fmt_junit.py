# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JUnit XML: one testsuite per host; findings at or above the gate are failures.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import gate_reached
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import change_lines, change_summary

FORMAT = {"name": "junit", "file": "audit.junit.xml", "scope": "fleet",
          "description": "JUnit XML for CI: one testsuite per host, findings at or above the gate are failures"}

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value):
    """Text XML 1.0 can carry: other control characters are written as \\xNN."""
    return _XML_INVALID.sub(lambda match: "\\x%02x" % ord(match.group(0)), str(value))


def render_junit(report):
    """JUnit XML: one testsuite per host; findings at or above the gate are failures.

    Each host has a ``reachable`` testcase (an error when the host could not be
    audited) and one testcase per finding, named ``<rule id> <key>``; a host without
    findings has a passing ``no findings`` testcase.
    """
    fail_on = report["gate"]["fail_on"]
    root = ET.Element("testsuites", {"name": report["title"], "timestamp": report["generated_at"]})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for entry in report["hosts"]:
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(entry["host"]), "timestamp": report["generated_at"]})
        classname = _xml_text("netfleet.tcp.audit.%s" % entry["host"])
        counts = {"tests": 0, "failures": 0, "errors": 0}
        case = ET.SubElement(suite, "testcase", {"name": "reachable", "classname": classname})
        counts["tests"] += 1
        if entry["status"] != "ok":
            counts["errors"] += 1
            reason = _xml_text(entry["error"] or entry["status"])
            error = ET.SubElement(case, "error", {"type": entry["status"], "message": reason})
            error.text = reason
        for finding in entry["findings"]:
            name = finding["id"] if not finding["key"] else "%s %s" % (finding["id"], finding["key"])
            case = ET.SubElement(suite, "testcase", {"name": _xml_text(name), "classname": classname})
            counts["tests"] += 1
            text = _xml_text("%s\nvalue: %s\nremediation: %s" % (
                finding["message"], finding["value"], finding["remediation"]))
            if gate_reached(finding["severity"], fail_on):
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", {"type": finding["severity"],
                                                          "message": _xml_text(finding["message"])})
                failure.text = text
            else:
                out = ET.SubElement(case, "system-out")
                out.text = "[%s] %s" % (finding["severity"], text)
        if entry["status"] == "ok" and not entry["findings"]:
            ET.SubElement(suite, "testcase", {"name": "no findings", "classname": classname})
            counts["tests"] += 1
        for field, value in counts.items():
            suite.set(field, str(value))
            totals[field] += value
        suite.set("skipped", "0")
    _changes_suite(root, report, totals)
    for field, value in totals.items():
        root.set(field, str(value))
    _indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _changes_suite(root, report, totals):
    """With a previous audit: one passing testcase per change, in a suite of its own."""
    changes = report.get("changes") or {}
    if not changes.get("previous"):
        return
    suite = ET.SubElement(root, "testsuite", {"name": "changes since the previous audit",
                                              "timestamp": report["generated_at"]})
    lines = change_lines(changes)
    for line in lines:
        case = ET.SubElement(suite, "testcase", {"name": _xml_text(line), "classname": "netfleet.tcp.audit.changes"})
        out = ET.SubElement(case, "system-out")
        out.text = _xml_text(change_summary(changes))
    for field, value in (("tests", len(lines)), ("failures", 0), ("errors", 0), ("skipped", 0)):
        suite.set(field, str(value))
        if field in totals:
            totals[field] += value


def _indent(element, level=0):
    pad = "\n" + "  " * level
    if len(element):
        if not element.text or not element.text.strip():
            element.text = pad + "  "
        for child in element:
            _indent(child, level + 1)
        if not child.tail or not child.tail.strip():
            child.tail = pad
    if level and (not element.tail or not element.tail.strip()):
        element.tail = pad
