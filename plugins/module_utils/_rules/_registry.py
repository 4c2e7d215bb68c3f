# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule registry: every rule's identity, documentation, kernels and check in one place.

PRIVATE: internal to the netfleet.tcp collection.

A rule registers once, where its check is written (input.py, value.py,
persisted.py, pressure.py); sysctl_check, sysctl_profile, the tuning role, the audit
report and the generated reference all read it from here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import re

FAMILIES = ("input", "value", "persisted", "pressure")
_VERSION = re.compile(r"^(\d+)\.(\d+)")

RULES = collections.OrderedDict()


class Rule(object):
    """One rule.

    ``keys`` are the keys it judges (empty: any key); ``cross_key`` rules involve all
    of them at once (a finding on tcp_tw_reuse is also about tcp_timestamps);
    ``kernels`` is ``(since, before)``, kernel versions as text or None, between which
    the rule applies; ``check`` is the function that finds it, where the rule has one;
    ``list_value`` rules judge a value as written in a list against the kernel and memory
    alone, so they also judge keys absent here (a namespace without net.core.rmem_max);
    ``listed_only`` rules judge only values a list sets, never a live value left as it is
    (the kernel's own tcp_max_syn_backlog is not advice anyone gave);
    ``remediation`` the fixed advice of rules whose advice does not depend on the host.
    """

    def __init__(self, rule_id, severity, title, description, *, keys=(), family="value", blocking=False,
                 cross_key=False, kernels=(None, None), remediation=None, check=None, list_value=False,
                 listed_only=False):
        if family not in FAMILIES:
            raise ValueError("unknown rule family %r" % family)
        self.id = rule_id
        self.severity = severity
        self.title = title
        self.description = description
        self.keys = tuple(keys)
        self.family = family
        self.blocking = blocking
        self.cross_key = cross_key
        self.kernels = tuple(kernels)
        self.remediation = remediation
        self.check = check
        self.list_value = list_value
        self.listed_only = listed_only

    def applies(self, kernel_version):
        """False only when ``kernel_version`` is known and outside the rule's kernels."""
        if not kernel_version:
            return True
        version = tuple(kernel_version)[:2]
        since, before = (_parse(text) for text in self.kernels)
        return not (since and version < since) and not (before and version >= before)

    def as_dict(self):
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "description": self.description,
            "keys": list(self.keys),
            "family": self.family,
            "blocking": self.blocking,
            "cross_key": self.cross_key,
            "kernels": list(self.kernels),
            "remediation": self.remediation,
            "list_value": self.list_value,
            "listed_only": self.listed_only,
        }


def _parse(text):
    match = _VERSION.match(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def register(rule):
    """Add ``rule``; an id registered twice is a programming error."""
    if rule.id in RULES:
        raise ValueError("rule %s is registered twice" % rule.id)
    RULES[rule.id] = rule
    return rule


def checked(rule_id, severity, title, description, **options):
    """Decorator: register the rule whose check is the decorated function."""
    def decorate(function):
        register(Rule(rule_id, severity, title, description, check=function, **options))
        return function
    return decorate


def rule(rule_id):
    """The Rule for ``rule_id``; KeyError for unknown ids."""
    return RULES[rule_id]


def describe(family=None):
    """Every rule (of ``family``) as a dict, in registration order: for docs and returns."""
    return [item.as_dict() for item in RULES.values() if family is None or item.family == family]


def ids(family=None):
    """Every rule id (of ``family``), in registration order."""
    return [item.id for item in RULES.values() if family is None or item.family == family]


def finding(rule_id, key, value, message, remediation=None, severity=None):
    """Build one finding dict for ``rule_id``; ``remediation`` defaults to the rule's own."""
    registered = RULES[rule_id]
    return {
        "id": rule_id,
        "severity": severity or registered.severity,
        "key": key,
        "value": value,
        "message": message,
        "remediation": remediation if remediation is not None else (registered.remediation or ""),
    }


def involved_keys(found):
    """The keys a finding is about: its key, plus every key of a cross-key rule."""
    keys = set([found.get("key")]) if found.get("key") else set()
    registered = RULES.get(found.get("id"))
    if registered is not None and registered.cross_key:
        keys.update(registered.keys)
    return keys
