# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render a tuning profile for one host, guard it and report on it.

Documented in one sidecar YAML file per filter. They turn registered results of
netfleet.tcp.sysctl_check and netfleet.tcp.sysctl_profile into what the tuning role
decides and prints, so no data is built in Jinja.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _rules
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import plan, render
from ansible_collections.netfleet.tcp.plugins.module_utils._validate import validate_settings
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    desired_met,
    equivalent,
    normalize_text,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import clip, filter_error, short_repr

# Findings that describe the change itself or the boot configuration before it,
# which applying the profile is about to fix: never a reason to refuse it.
NOT_A_PROBLEM = frozenset(["live-differs-desired", "persisted-drift", "tw-recycle-obsolete"])
MISSING_RULE = "key-missing"

CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped-missing"


def _error(name, error):
    return filter_error("netfleet.tcp.%s" % name, error)


def _edge(name):
    """Turn anything a malformed input makes Python raise into one AnsibleFilterError."""
    def wrap(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except AnsibleFilterError:
                raise
            except NetfleetError as error:
                raise _error(name, error)
            except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as error:
                raise _error(name, "malformed input (%s: %s); pass the registered results and "
                                   "values this filter documents" % (type(error).__name__, clip(error)))
        return wrapper
    return wrap


def _is_skipped(result):
    return not isinstance(result, dict) or not result or bool(result.get("skipped"))


def _short(key):
    return _rules.short(key) if isinstance(key, str) else repr(key)


def _text(value):
    if value is None:
        return "absent"
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    return normalize_text(str(value))


def _profile_label(profile):
    if isinstance(profile, (list, tuple)):
        return "+".join(str(item) for item in profile)
    return str(profile)


# ---------------------------------------------------------------------------
# Rendering


@_edge("tcp_profile")
def tcp_profile(host, profile, group_overrides=None, host_overrides=None):
    """Settings ``{key: value}`` of ``profile`` for the host described by ``host``."""
    try:
        return render(host, profile, group_overrides, host_overrides)
    except NetfleetError as error:
        raise _error("tcp_profile", error)


@_edge("tcp_profile_plan")
def tcp_profile_plan(host, profile, group_overrides=None, host_overrides=None):
    """Like tcp_profile, as a list of ``{key, value, source, reason, formula}``."""
    try:
        return plan(host, profile, group_overrides, host_overrides)
    except NetfleetError as error:
        raise _error("tcp_profile_plan", error)


# ---------------------------------------------------------------------------
# Guard


def _relevant_findings(check, settings):
    if _is_skipped(check):
        return []
    keys = list(settings or {})
    return [finding for finding in check.get("findings") or []
            if isinstance(finding, dict) and _rules.involved_keys(finding) & set(keys)]


@_edge("tcp_profile_findings")
def tcp_profile_findings(check, settings):
    """One line per finding of a sysctl_check result that involves the wanted keys."""
    lines = []
    for finding in _relevant_findings(check, settings):
        if finding.get("id") in NOT_A_PROBLEM:
            continue
        line = "%s %s: %s" % (finding.get("severity"), finding.get("id"), finding.get("message"))
        if finding.get("remediation"):
            line += " Fix: %s" % finding["remediation"]
        lines.append(line)
    return lines


def _live_values(check, settings):
    """``{key: live text or None}`` for the settings' keys that the check result read."""
    keys = check.get("keys") or {}
    fallback = (check.get("context") or {}).get("sysctl_live") or {}
    live = {}
    for key in settings:
        entry = keys.get(key)
        if isinstance(entry, dict) and "live" in entry:
            live[key] = None if entry["live"] is None else normalize_text(str(entry["live"]))
        elif key in fallback:
            live[key] = fallback[key]
    return live


TW_RECYCLE_GUARDS = ("tw-recycle-nat", "tw-recycle-removed")


def _tw_recycle_refusal(hostname, context, item):
    """Every reason tcp_tw_recycle=1 is refused here, in one sentence.

    The shared guard stops at the first reason; the operator deserves all of them,
    since removing the key from one list must not leave it in another for old kernels.
    """
    reasons = []
    if context.get("nat_facing"):
        evidence = context.get("nat_evidence") or []
        reasons.append("NAT-facing (%s)" % ("; ".join(evidence) if evidence else "nat_facing: true"))
    if item.get("id") == "tw-recycle-removed" or _catalog.exists_on_kernel(
            _rules.K_TW_RECYCLE, context.get("kernel_version")) is False:
        reasons.append("removed in Linux 4.12 (this host runs %s)"
                       % _catalog.version_text(context.get("kernel_version")))
    return ("tcp_tw_recycle refused on %s: %s; use tcp_tw_reuse=1 on the connecting side instead, "
            "which is safe with clients behind NAT" % (hostname, " and ".join(reasons) or item.get("reason")))


@_edge("tcp_profile_guard")
def tcp_profile_guard(check, settings, hostname, missing="skip", fail_on="error"):
    """Why the wanted ``settings`` must not be applied on ``hostname``; empty when they may.

    ``check`` is the result of sysctl_check run with those settings. Refusals come from
    the validation sysctl_profile itself runs (guards, invalid keys and values, absent
    keys when ``missing`` is ``fail``), judged here on the context and live values the
    check read, so the role refuses exactly what the module would, before any change.
    Other findings of the check on the wanted keys refuse at or above ``fail_on``;
    a read-only /proc/sys refuses everything.
    """
    if missing not in ("skip", "fail"):
        raise _error("tcp_profile_guard", "missing must be skip or fail, not %s" % short_repr(missing))
    if fail_on not in _rules.FAIL_ON:
        raise _error("tcp_profile_guard", "fail_on must be error, warning or never, not %s" % short_repr(fail_on))
    if not settings or _is_skipped(check):
        return []
    if not isinstance(settings, dict):
        raise _error("tcp_profile_guard", "settings must be a dict, not %s" % type(settings).__name__)
    context = check.get("context") or {}
    refusals = []
    if context.get("proc_sys_net_writable") is False:
        refusals.append(
            "nothing written on %s: /proc/sys/net is read-only here (a container or a read-only "
            "mount of /proc/sys); tune the host or namespace that owns these settings" % hostname)
    try:
        validation = validate_settings(settings, context, _live_values(check, settings), missing)
    except NetfleetError as error:
        raise _error("tcp_profile_guard", error)
    refused_keys = set()
    for item in validation.get("refused") or []:
        refused_keys.add(item.get("key"))
        if item.get("id") in TW_RECYCLE_GUARDS:
            refusals.append(_tw_recycle_refusal(hostname, context, item))
            continue
        message = "%s refused on %s: %s" % (_short(item.get("key")), hostname, item.get("reason"))
        if item.get("remediation"):
            message += " %s" % item["remediation"]
        refusals.append(message)
    for finding in _relevant_findings(check, settings):
        rule_id = finding.get("id")
        rule = _rules.RULES.get(rule_id)
        if rule_id in NOT_A_PROBLEM or rule_id == MISSING_RULE or (rule and rule.blocking):
            continue  # blocking rules were judged above, exactly as sysctl_profile judges them
        if finding.get("key") in refused_keys:
            continue
        if not _rules.gate_reached(finding.get("severity"), fail_on):
            continue
        message = "%s refused on %s (tuning_fail_on: %s): %s" % (
            _short(finding.get("key")), hostname, fail_on, finding.get("message") or rule_id)
        if finding.get("remediation"):
            message += " %s" % finding["remediation"]
        refusals.append(message)
    return refusals


# ---------------------------------------------------------------------------
# Report


def _persisted_drift(check, key, wanted):
    entry = ((check or {}).get("keys") or {}).get(key) or {}
    persisted = entry.get("persisted")
    if persisted is None or wanted is None or equivalent(key, _text(persisted), _text(wanted)):
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
        return "%s already persists %s (only the live value would change)" % (path, _text(persisted))
    return "%s would not change (only the live value would change)" % path


@_edge("tcp_profile_report")
def tcp_profile_report(apply, hostname, check_mode=False, profile=None, check=None):
    """Per-key lines, one summary line and the values a re-read must show.

    ``apply`` is the registered result of sysctl_profile (a prediction under --check).
    Returns ``{lines, summary, expected, changed_keys, skipped_keys}``.
    """
    label = _profile_label(profile) if profile is not None else "profile"
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
                key, _text(entry.get("before")), _text(entry.get("after")),
                _predicted_file_effect(apply, entry, path, file_changed, absent)))
        else:
            lines.append("%s: %s -> %s; %s" % (
                key, _text(entry.get("before")), _text(entry.get("after")), where))
    if file_changed and not absent:
        for key in unchanged:
            drift = _persisted_drift(check, key, keys[key].get("after"))
            if drift:
                lines.append("%s: live %s as wanted, but %s persists %s; %s %s" % (
                    key, _text(keys[key].get("after")), drift[1] or "the boot configuration",
                    _text(drift[0]), where, "would change" if check_mode else "rewritten"))
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


# ---------------------------------------------------------------------------
# Verify


@_edge("tcp_profile_verify")
def tcp_profile_verify(reread, expected, hostname, apply=None, check_mode=False, missing="skip"):
    """Keys whose re-read live value is not the ``expected`` one; empty when all hold.

    ``reread`` is a sysctl_check result, ``expected`` maps keys to values or bounds. A key
    the re-read finds absent on this host is left out when ``missing`` is ``skip``.
    With an ``apply`` result of state=absent outside check mode, also checks that the
    drop-ins it removed are gone from the boot configuration.
    """
    if _is_skipped(reread):
        return []
    live_keys = reread.get("keys") or {}
    problems = []
    for key, want in (expected or {}).items():
        entry = live_keys.get(key) or {}
        live = entry.get("live")
        if live is None and missing == "skip" and entry.get("exists") is False:
            continue
        if not desired_met(key, None if live is None else _text(live), want if isinstance(want, str) else _text(want)):
            problems.append("%s on %s: re-read %s, expected %s" % (
                key, hostname, _text(live), _text(want)))
    if (not check_mode and isinstance(apply, dict) and apply.get("state") == "absent"
            and apply.get("file_changed")):
        sources = (reread.get("persisted") or {}).get("sources") or []
        for removed in apply.get("removed_files") or []:
            if removed in sources:
                problems.append("%s on %s: the drop-in is still there" % (removed, hostname))
    return problems


class FilterModule(object):
    """Tuning profile filters."""

    def filters(self):
        return {
            "tcp_profile": tcp_profile,
            "tcp_profile_plan": tcp_profile_plan,
            "tcp_profile_findings": tcp_profile_findings,
            "tcp_profile_guard": tcp_profile_guard,
            "tcp_profile_report": tcp_profile_report,
            "tcp_profile_verify": tcp_profile_verify,
        }
