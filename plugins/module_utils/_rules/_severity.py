# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One severity ranking and one fail_on gate, for the modules, the roles and the report.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SEVERITIES = ("error", "warning", "info")
FAIL_ON = ("error", "warning", "never")


def severity_rank(severity):
    """info 0, warning 1, error 2; anything else -1 (higher is worse)."""
    return {"info": 0, "warning": 1, "error": 2}.get(severity, -1)


def by_severity(findings):
    """``findings`` sorted worst first; the order within one severity is kept."""
    return sorted(findings, key=lambda item: -severity_rank(item.get("severity")))


def check_fail_on(fail_on):
    """Raise ValueError for a gate that is not one of FAIL_ON."""
    if fail_on not in FAIL_ON:
        raise ValueError("fail_on must be one of %s, got %r" % (", ".join(FAIL_ON), fail_on))


def gate_reached(severity, fail_on):
    """True when a finding of ``severity`` fails a gate set to ``fail_on``."""
    check_fail_on(fail_on)
    if fail_on == "never":
        return False
    return severity_rank(severity) >= severity_rank(fail_on)


def should_fail(findings, fail_on="error"):
    """True when a finding reaches the ``fail_on`` severity (error, warning; never: never)."""
    check_fail_on(fail_on)
    return any(gate_reached(item.get("severity"), fail_on) for item in findings)
