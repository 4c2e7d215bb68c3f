# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.fleet_query: a JMESPath expression over per-host results (docs: fleet_query.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import plain
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import MAX_ECHO, elide, filter_error, short_repr

try:
    import jmespath
except ImportError:  # pragma: no cover - exercised only where jmespath is missing
    jmespath = None


def hosts_of(data):
    """The list of per-host records a query runs over.

    - the audit report (a mapping with ``schema_version`` and ``hosts``): its ``hosts``;
    - a mapping of host name to record: the records, each with ``host`` set to its name;
    - a list of records: as given.
    """
    data = plain(data)
    if isinstance(data, dict):
        if "schema_version" in data and isinstance(data.get("hosts"), list):
            return data["hosts"]
        records = []
        for name in sorted(data):
            record = data[name]
            if isinstance(record, dict):
                record = dict(record)
                record.setdefault("host", name)
            else:
                record = {"host": name, "value": record}
            records.append(record)
        return records
    if isinstance(data, list):
        return data
    raise AnsibleFilterError(
        "fleet_query expects the audit report, a list of per-host records or a mapping of host "
        "name to record, got %s" % type(data).__name__
    )


def fleet_query(data, expression):
    """Run ``expression`` (JMESPath) over the per-host records of ``data``."""
    if jmespath is None:
        raise AnsibleFilterError(
            "fleet_query needs the jmespath library on the controller (pip install jmespath)"
        )
    if not isinstance(expression, str) or not expression.strip():
        raise AnsibleFilterError("fleet_query needs a JMESPath expression (a non-empty string)")
    records = hosts_of(data)
    try:
        compiled = jmespath.compile(str(expression))
    except jmespath.exceptions.JMESPathError as error:
        raise filter_error("fleet_query", "invalid JMESPath expression %s: %s"
                           % (short_repr(str(expression)), _parse_problem(error, str(expression))))
    try:
        return compiled.search(records)
    except jmespath.exceptions.JMESPathError as error:
        raise filter_error("fleet_query", "%s failed: %s" % (short_repr(str(expression)), elide(error, str(expression))))


def _parse_problem(error, expression):
    """jmespath's parse error; for a long expression its first line and the position, not the
    expression again with a caret line as long as the expression."""
    text = str(error)
    if len(expression) <= MAX_ECHO:
        return text
    position = getattr(error, "lex_position", None)
    text = text.split("\n", 1)[0].rstrip(": ")
    return text + (" at character %d" % position if isinstance(position, int) else "")


class FilterModule(object):

    def filters(self):
        return {"fleet_query": fleet_query}
