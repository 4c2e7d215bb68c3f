# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuning role's verify: keys whose re-read live value does not meet what was applied.

PRIVATE: internal to the netfleet.tcp collection. Runs on the managed host (the
tcp_tuning engine) and on the controller (the tcp_profile_* filters are glue over it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import desired_met
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning._common import is_skipped, text


def verify(reread, expected, hostname, apply=None, check_mode=False, missing="skip"):
    """Keys whose re-read live value is not the ``expected`` one; empty when all hold.

    ``reread`` is a sysctl_check result, ``expected`` maps keys to values or bounds. A key
    the re-read finds absent on this host is left out when ``missing`` is ``skip``.
    With an ``apply`` result of state=absent outside check mode, also checks that the
    drop-ins it removed are gone from the boot configuration.
    """
    if is_skipped(reread):
        return []
    live_keys = reread.get("keys") or {}
    problems = []
    for key, want in (expected or {}).items():
        entry = live_keys.get(key) or {}
        live = entry.get("live")
        if live is None and missing == "skip" and entry.get("exists") is False:
            continue
        if not desired_met(key, None if live is None else text(live), want if isinstance(want, str) else text(want)):
            problems.append("%s on %s: re-read %s, expected %s" % (
                key, hostname, text(live), text(want)))
    if (not check_mode and isinstance(apply, dict) and apply.get("state") == "absent"
            and apply.get("file_changed")):
        sources = (reread.get("persisted") or {}).get("sources") or []
        for removed in apply.get("removed_files") or []:
            if removed in sources:
                problems.append("%s on %s: the drop-in is still there" % (removed, hostname))
    return problems
