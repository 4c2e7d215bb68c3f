# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the tuning role's guard, report and verify share: reading registered results.

PRIVATE: internal to the netfleet.tcp collection. Runs on the managed host (the
tcp_tuning engine) and on the controller (the tcp_profile_* filters are glue over it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _rules
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text

CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped-missing"


MAX_ECHO = 200


def echo_repr(value, limit=MAX_ECHO):
    """``repr(value)`` cut to ``limit`` characters, for messages that quote what they were given."""
    try:
        text_ = repr(value)
    except Exception:  # pylint: disable=broad-except
        text_ = "<%s>" % type(value).__name__
    if len(text_) <= limit:
        return text_
    return "%s... (%d more characters)" % (text_[:limit], len(text_) - limit)


def is_skipped(result):
    return not isinstance(result, dict) or not result or bool(result.get("skipped"))


def key_label(key):
    return _rules.short(key) if isinstance(key, str) else repr(key)


def text(value):
    if value is None:
        return "absent"
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    return normalize_text(str(value))


def profile_label(profile):
    if isinstance(profile, (list, tuple)):
        return "+".join(str(item) for item in profile)
    return str(profile)
