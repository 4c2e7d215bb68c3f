# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether two values are the same to the kernel, and whether a value meets a bound.

PRIVATE: internal to the netfleet.tcp collection.

``equivalent()`` is the only equality sysctl_check, sysctl_profile, the tuning role's
verify and the audit report use: both sides are parsed as the kernel reads them, so
``8080-8081`` equals ``8080,8081``, ``0x1e`` equals ``30``, tabs equal spaces, and
``030`` (octal 24 to the kernel) does not equal ``30``. Text the kernel would refuse is
compared as text, white space collapsed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import (
    KernelReadError,
    read_vector,
)

BOUND_OPERATORS = (">=", "<=")
_BOUND = re.compile(r"^\s*(>=|<=)\s*(-?[0-9]+)\s*$")


def normalize_text(text):
    """Collapse runs of white space (tabs from the kernel, double spaces from users) to one space."""
    return " ".join(str(text).split())


def equivalent(key, first, second):
    """True when ``first`` and ``second`` leave ``key`` holding the same value; None equals only None."""
    if first is None or second is None:
        return first is None and second is None
    try:
        return parse_value(key, first) == parse_value(key, second)
    except KernelReadError:
        return normalize_text(_joined(first)) == normalize_text(_joined(second))


def _joined(value):
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    return str(value)


def parse_bound(value):
    """``(op, int)`` for a bound such as ``">=4096"``, or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    match = _BOUND.match(value)
    if not match:
        return None
    return match.group(1), int(match.group(2))


def bound_text(bound):
    """``(">=", 4096)`` -> ``">=4096"``."""
    return "%s%d" % tuple(bound)


def desired_text(wanted):
    """Validation's ``{"value", "bound"}`` for a key as the text a person reads (``">=4096"``)."""
    return bound_text(wanted["bound"]) if wanted.get("bound") else wanted.get("value")


def bound_satisfied(op, limit, live_text):
    """True when a live single-integer value already satisfies ``op limit``."""
    if live_text is None:
        return False
    try:
        integers, _ignored = read_vector(str(live_text), 1)
    except KernelReadError:
        return False
    live = integers[0].value
    return live >= limit if op == ">=" else live <= limit


def desired_met(key, live, desired):
    """Whether ``live`` meets ``desired``: a value, a bound text, or ``{"value", "bound"}``.

    The dict is what validation returns per key (``bound`` a pair or None); a dict with
    neither is met by anything.
    """
    if live is None:
        return False
    if isinstance(desired, dict):
        bound = desired.get("bound")
        if bound:
            return bound_satisfied(bound[0], bound[1], live)
        desired = desired.get("value")
        if desired is None:
            return True
    bound = parse_bound(desired) if isinstance(desired, str) else None
    if bound:
        return bound_satisfied(bound[0], bound[1], live)
    return equivalent(key, live, desired)
