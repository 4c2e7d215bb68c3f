# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON: the report itself, indented, valid against roles/tcp_audit/files/audit_report.schema.json.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import plain

FORMAT = {"name": "json", "file": "audit.json", "scope": "fleet",
          "description": "the whole report as JSON, valid against audit_report.schema.json (copied beside it)"}


def render_json(report):
    """The report as indented JSON text with a trailing newline."""
    return json.dumps(plain(report), indent=2, sort_keys=False) + "\n"
