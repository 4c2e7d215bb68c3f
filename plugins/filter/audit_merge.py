# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.audit_merge: one fleet report from the reports of several runs.

Docs: audit_merge.yml beside this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_merge import merge_reports
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import ReportInputError
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import filter_error, whole_number


def audit_merge(reports, fail_on=None, top=5, title=None):
    """Merge fleet audit reports (a list of audit.json contents or audit_report facts) into one."""
    try:
        return merge_reports(reports, fail_on=fail_on, top=whole_number(top), title=title)
    except ReportInputError as error:
        raise filter_error("audit_merge", error)


class FilterModule(object):

    def filters(self):
        return {"audit_merge": audit_merge}
