# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostvars adapter: a host's record from the results the audit role registered.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import _mapping


def get_var(variables, name):
    """``variables[name]``; a dotted name (``__facts.check``) reads a key of a registered result."""
    if not name or not hasattr(variables, "get"):
        return None
    head, _dot, rest = name.partition(".")
    value = variables.get(head)
    for key in rest.split(".") if rest else ():
        value = value.get(key) if hasattr(value, "get") else None
    return value


def _usable(result):
    return isinstance(result, dict) and not result.get("skipped") and not result.get("failed") \
        and not result.get("unreachable")


def record_from_results(variables, facts_var, check_vars, profile=None):
    """A host's record from its registered results, or None when the facts are missing.

    ``facts_var`` names the registered result of netfleet.tcp.tcp_state_facts (its
    ``ansible_facts.tcp_state``); ``check_vars`` the registered netfleet.tcp.sysctl_check
    results, the first one that ran being used (the profile's check before the plain one).
    """
    facts_result = get_var(variables, facts_var)
    if not _usable(facts_result):
        return None
    facts = _mapping(facts_result.get("ansible_facts")).get("tcp_state")
    if not isinstance(facts, dict):
        return None
    check = {}
    for name in check_vars:
        result = get_var(variables, name)
        if _usable(result):
            check = result
            break
    return {"status": "ok", "tcp_state": facts, "check": check, "profile": profile}


def missing_status(variables, probe_vars):
    """Status and reason of a host of the play that has no record."""
    for name in probe_vars:
        result = get_var(variables, name)
        if isinstance(result, dict) and (result.get("unreachable") or result.get("failed")):
            status = "unreachable" if result.get("unreachable") else "failed"
            return status, str(result.get("msg") or status)
    return "failed", "no result: the host left the play before it was audited (unreachable or failed earlier)"
