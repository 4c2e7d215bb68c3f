# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuning role's report: per-key lines, one summary and the values a re-read must show.

PRIVATE: internal to the netfleet.tcp collection. Runs on the managed host (the
tcp_tuning engine) and on the controller (the tcp_profile_* filters are glue over it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning._common import (
    CHANGED,
    SKIPPED,
    UNCHANGED,
    profile_label,
    text,
)


def _persisted_drift(check, key, wanted):
    entry = ((check or {}).get("keys") or {}).get(key) or {}
    persisted = entry.get("persisted")
    if persisted is None or wanted is None or equivalent(key, text(persisted), text(wanted)):
        return None
    return persisted, entry.get("persisted_file")


def _predicted_file_effect(apply, entry, path, file_changed, absent):
    """What check mode predicts for the drop-in, as sysctl_profile decided it.

    sysctl_profile compares the drop-in's content with what a real run would write and
    sets ``file_changed`` only when they differ; a key whose live value drifted while the
    drop-in already holds the wanted value changes the live value alone.
    """
    if path is None:
        return "live value only (persist: false)"
    if absent:
        if file_changed and path in (apply.get("removed_files") or [path]):
            return "%s would be removed" % path
        return "%s is already absent" % path
    if file_changed:
        return "%s would change" % path
    persisted = entry.get("persisted")
    if persisted is not None:
        return "%s already persists %s (only the live value would change)" % (path, text(persisted))
    return "%s would not change (only the live value would change)" % path


def report(apply, hostname, check_mode=False, profile=None, check=None):
    """Per-key lines, one summary line and the values a re-read must show.

    ``apply`` is the registered result of sysctl_profile (a prediction under --check).
    Returns ``{lines, summary, expected, changed_keys, skipped_keys}``.
    """
    label = profile_label(profile) if profile is not None else "profile"
    if not isinstance(apply, dict) or not apply:
        return {"lines": [], "summary": "%s: the apply phase did not run" % hostname,
                "expected": {}, "changed_keys": [], "skipped_keys": []}
    if apply.get("skipped"):
        return {"lines": [], "expected": {}, "changed_keys": [], "skipped_keys": [],
                "summary": "%s: nothing to apply (profile %s and no overrides)" % (hostname, label)}
    keys = apply.get("keys") or {}
    path = apply.get("file")
    file_changed = bool(apply.get("file_changed"))
    absent = apply.get("state") == "absent"
    changed = [key for key, entry in keys.items() if entry.get("status") == CHANGED]
    unchanged = [key for key, entry in keys.items() if entry.get("status") == UNCHANGED]
    skipped = [key for key, entry in keys.items() if entry.get("status") == SKIPPED]
    expected = {}
    for key, entry in keys.items():
        if entry.get("status") not in (CHANGED, UNCHANGED):
            continue
        value = entry.get("before") if check_mode else entry.get("after")
        if value is not None:
            expected[key] = value

    lines = []
    where = path or "no file (persist: false)"
    for key in changed:
        entry = keys[key]
        if check_mode:
            lines.append("%s: live %s, wanted %s; %s" % (
                key, text(entry.get("before")), text(entry.get("after")),
                _predicted_file_effect(apply, entry, path, file_changed, absent)))
        else:
            lines.append("%s: %s -> %s; %s" % (
                key, text(entry.get("before")), text(entry.get("after")), where))
    if file_changed and not absent:
        for key in unchanged:
            drift = _persisted_drift(check, key, keys[key].get("after"))
            if drift:
                lines.append("%s: live %s as wanted, but %s persists %s; %s %s" % (
                    key, text(keys[key].get("after")), drift[1] or "the boot configuration",
                    text(drift[0]), where, "would change" if check_mode else "rewritten"))
        if not changed and not any(line.startswith(tuple(unchanged)) for line in lines):
            lines.append("%s: %s (the persisted values differ from the profile)" % (
                where, "would be rewritten" if check_mode else "rewritten"))
    if absent and file_changed:
        for removed in apply.get("removed_files") or [path]:
            lines.append("%s: %s" % (removed, "would be removed" if check_mode else "removed"))

    skipped_text = ""
    if skipped:
        skipped_text = "; %d skipped (absent here: %s)" % (len(skipped), ", ".join(skipped))
    if absent:
        verb = "would restore" if check_mode else "restored"
        summary = "%s: profile removed%s: %d key(s) %s, %d already at their original value; %s %s" % (
            hostname, " (check mode, nothing changed)" if check_mode else "", len(changed), verb,
            len(unchanged), path, ("would be removed" if check_mode else "removed") if file_changed
            else "was already absent")
    elif check_mode:
        drifted = [line.split(":", 1)[0] for line in lines]
        if drifted:
            summary = "%s: %d drifted from %s (%s); nothing changed (check mode)%s" % (
                hostname, len(drifted), label, ", ".join(drifted), skipped_text)
        else:
            summary = "%s: no drift from %s (%d keys in line)%s" % (
                hostname, label, len(unchanged), skipped_text)
    else:
        summary = "%s: %s applied: %d changed, %d unchanged%s; %s %s" % (
            hostname, label, len(changed), len(unchanged), skipped_text, where,
            "written" if file_changed else "unchanged")
    return {"lines": lines, "summary": summary, "expected": expected,
            "changed_keys": changed, "skipped_keys": skipped}
