# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate a desired set of sysctl settings: one implementation for check and profile.

PRIVATE: internal to the netfleet.tcp collection.

``validate_settings()`` is what sysctl_check judges a ``settings:`` dict with and
what sysctl_profile runs before it writes anything. It checks key and value
syntax (_sysctl_keys), shapes and ranges (_catalog), refuses YAML booleans and
quoted values, applies the guards no value can switch off (tcp_tw_recycle), and
decides what happens to keys absent on this kernel or in this namespace. The
advisory rules of _rules then run over the desired set laid over the live values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _catalog_scope, _rules
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlInputError
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import (
    display_value,
    reading_findings,
    value_refusal,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem, normalize_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import bound_satisfied, parse_bound

MISSING_POLICIES = ("fail", "skip")


def key_exists(key, context, live):
    """Whether ``key`` can be read here: from ``live`` when it holds the key, else from the catalog."""
    if key in live:
        return live[key] is not None
    context = context or {}
    if _catalog.exists_on_kernel(key, context.get("kernel_version")) is False:
        return False
    if context.get("initial_netns") is False and _catalog.CATALOG.get(key, {}).get("namespace") != "global" \
            and _catalog_scope.own_copy_in_child(key, context.get("kernel_version")) is False:
        return False
    return True


def absent_reason(key, context):
    """Why ``key`` is absent here, naming the kernel version."""
    context = context or {}
    version = context.get("kernel_version")
    if context.get("initial_netns", True) is False and _catalog_scope.wider_than_netns(key, version) \
            and _catalog.exists_on_kernel(key, version) is not False:
        return "%s; this host runs in a child network namespace (a container or netns)" % (
            _catalog_scope.key_scope(key, version)[1])
    reason = _catalog.absence_reason(key, version, context.get("initial_netns", True) is not False)
    if reason is None:
        reason = ("no such key under /proc/sys on this host (kernel %s); check the spelling, or "
                  "a kernel module it belongs to may not be loaded" % _catalog.version_text(version))
    return reason


def missing_remediation(key, reason):
    if "initial network namespace" in reason or "machine-wide" in reason:
        return ("Set %s on the host itself (the initial network namespace), not inside this "
                "container or namespace; leave it out of the settings for such hosts (sysctl_profile's "
                "missing: skip does that)." % key)
    if "removed in Linux" in reason:
        return "Remove %s from the settings and from sysctl files; this kernel no longer has it." % key
    return ("Check the key name against 'ls /proc/sys/%s'; if the key only exists on some kernels, "
            "leave it out for the others (sysctl_profile's missing: skip does that)."
            % "/".join(key.split(".")[:-1]))


def _refusal(key, value, rule_id, reason, remediation=None):
    return {
        "key": key,
        "value": display_value(value),
        "id": rule_id,
        "reason": reason,
        "remediation": remediation or _rules.rule(rule_id).remediation or "",
    }


def validate_settings(settings, context, live, missing="fail", allow_machine_wide=None):
    """Validate a desired set of sysctl settings against this host.

    ``settings``: ``{key: value}`` as given by the user (int, str, list, or a bound
    such as ``">=4096"``). ``context``: _rule_context.gather_context()'s dict. ``live``:
    ``{key: normalised text or None}`` for (at least) the settings' keys, None
    meaning absent here. ``missing``: ``fail`` refuses absent keys, ``skip`` skips them.

    Returns a dict:

    ``desired``   ``{key: {"value": text or None, "bound": None or (op, int)}}`` for keys that passed
    ``refusals``  ``[(key, reason)]``, blocking
    ``refused``   the same as ``[{key, value, id, reason, remediation}]`` (rule ids for findings; a
                  tcp_tw_recycle refusal also carries ``findings``, one per guard that refused it)
    ``skipped``   ``{key: reason}``
    ``findings``  advisory findings of the shared rules on the desired set
    """
    if missing not in MISSING_POLICIES:
        raise SysctlInputError([("missing", "must be one of %s, got %r" % (", ".join(MISSING_POLICIES), missing))])
    context = context or {}
    live = live or {}
    result = {"desired": {}, "refusals": [], "refused": [], "skipped": {}, "findings": []}
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        refused = _refusal("settings", None, "value-invalid",
                           "settings must be a mapping of sysctl keys to values, not %s"
                           % type(settings).__name__)
        result["refused"].append(refused)
        result["refusals"].append(("settings", refused["reason"]))
        return result

    for key in sorted(settings, key=str):
        if _scope_refused(key, settings[key], context, allow_machine_wide, result):
            continue
        _validate_one(key, settings[key], context, live, missing, result)
    result["refusals"] = [(item["key"], item["reason"]) for item in result["refused"]]
    values = planned_values(result["desired"], context, live)
    result["findings"] = result["findings"] + _rules.evaluate(
        values, context, focus=set(result["desired"]), listed=set(result["desired"]))
    return result


def _scope_refused(key, value, context, allowed, result):
    """Judge a key outside net.* by its scope; True when it is refused."""
    if not isinstance(key, str) or key_problem(key) or _catalog_scope.key_scope(key)[0] != _catalog_scope.MACHINE:
        return False
    _scope, why = _catalog_scope.key_scope(key)
    if context.get("initial_netns", True) is False:
        result["refused"].append(_refusal(key, value, "key-machine-wide", (
            "%s %s; this host runs in a child network namespace (a container or netns), where only that "
            "namespace's net.* keys may be set, so it is refused" % (key, why))))
        return True
    named = allowed is not None and key in allowed
    message = "%s %s; writing it changes the whole machine%s" % (
        key, why, " (allowed by allow_machine_wide)" if named else "")
    result["findings"].append(_rules.finding("key-machine-wide", key, display_value(value), message,
                                             severity="warning"))
    if allowed is not None and not named:
        result["refused"].append(_refusal(key, value, "key-machine-wide", (
            "%s %s; sysctl_profile writes a key outside net.* only when allow_machine_wide names it" % (key, why))))
        return True
    return False


def _tw_recycle(key, value, text, context, exists, result):
    """Judge tcp_tw_recycle with its guards; True when the key is settled (refused or satisfied)."""
    guards = _rules.tw_recycle_guards(text, context, exists)
    if guards:
        # One refusal per key whose reason gives every guard's reason; the separate
        # findings ride along for sysctl_check, which reports each rule id.
        refused = _refusal(key, value, guards[0]["id"], " ".join(guard["message"] for guard in guards),
                           guards[0]["remediation"])
        refused["findings"] = guards
        result["refused"].append(refused)
        return True
    if not exists:
        reason = ("tcp_tw_recycle=0 is already what this kernel does: the key was removed in "
                  "Linux 4.12 (this host runs %s); nothing to write"
                  % _catalog.version_text(context.get("kernel_version")))
        result["skipped"][key] = reason
        result["findings"].append(_rules.finding("tw-recycle-obsolete", key, display_value(value), reason + "."))
        return True
    return False


def _validate_one(key, value, context, live, missing, result):
    """Judge one setting: refuse it, skip it, or add it to ``result["desired"]``."""
    label = key if isinstance(key, str) else repr(key)
    problem = key_problem(key)
    if problem:
        result["refused"].append(_refusal(label, value, "key-invalid", problem))
        return
    refusal = value_refusal(key, value)
    if refusal:
        result["refused"].append(_refusal(key, value, refusal[0], refusal[1]))
        return
    bound = parse_bound(value)
    text = None if bound else normalize_value(value, key)
    exists = key_exists(key, context, live)
    if text is not None:
        result["findings"].extend(reading_findings(key, value))
    if key == _rules.K_TW_RECYCLE and _tw_recycle(
            key, value, text if text is not None else str(bound[1]), context, exists, result):
        return
    reason = None
    if not exists:
        reason = absent_reason(key, context)
    elif context.get("initial_netns", True) is False and _catalog_scope.wider_than_netns(
            key, context.get("kernel_version")):
        reason = "%s; set it on the host, not inside the namespace" % _catalog_scope.key_scope(
            key, context.get("kernel_version"))[1]
    if reason:
        if missing == "skip":
            result["skipped"][key] = reason
        else:
            result["refused"].append(_refusal(key, value, "key-missing", reason, missing_remediation(key, reason)))
        return
    result["desired"][key] = {"value": text, "bound": bound}


def planned_values(desired, context, live):
    """The view the rules judge: live values with the desired values laid over them.

    A bound keeps a live value that already satisfies it, otherwise its limit.
    ``context["sysctl_live"]`` (from gather_context) supplies the live values of
    catalog keys outside the desired set, which cross-key rules need.
    """
    values = dict((context or {}).get("sysctl_live") or {})
    for key, text in (live or {}).items():
        if text is not None:
            values[key] = text
    for key, wanted in (desired or {}).items():
        if wanted.get("bound"):
            op, limit = wanted["bound"]
            current = values.get(key)
            if current is None or not bound_satisfied(op, limit, current):
                values[key] = str(limit)
        elif wanted.get("value") is not None:
            values[key] = wanted["value"]
    return values
