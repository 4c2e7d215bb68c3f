# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a profile for one host: merge profile, group and host overrides; compute formulas.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles._data import (
    KERNEL_DEFAULT_FORMULAS,
    KERNEL_DEFAULTS_EXCLUDED,
    KERNEL_DEFAULTS_EXTRA,
    KERNEL_DEFAULTS_SUMMARY,
    NO_PROFILE,
    PROFILES,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles._formulas import FORMULAS
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem


def catalog_entry(key):
    """The knob catalog's entry for ``key`` as a dict, or None when the catalog lacks it."""
    return _catalog.knob(key)


def _kernel_defaults_profile():
    keys = set(KERNEL_DEFAULTS_EXTRA)
    for profile in PROFILES.values():
        keys.update(entry["key"] for entry in profile["settings"])
    keys.difference_update(KERNEL_DEFAULTS_EXCLUDED)
    settings = []
    for key in sorted(keys):
        users = sorted(
            name for name, profile in PROFILES.items()
            if any(entry["key"] == key for entry in profile["settings"])
        )
        undo = ("undoes %s" % ", ".join(users)) if users else "pasted lists enable it"
        if key in KERNEL_DEFAULT_FORMULAS:
            settings.append({
                "key": key,
                "formula": KERNEL_DEFAULT_FORMULAS[key],
                "reason": "The kernel's own default (%s), computed per host as the kernel does "
                          "at boot." % undo,
            })
        else:
            entry = catalog_entry(key)
            default = entry.get("default") if entry else None
            if default is None:
                raise ProfileError("the knob catalog has no kernel default for %s" % key)
            settings.append({
                "key": key,
                "value": default,
                "reason": "The kernel's own default (%s), from the knob catalog." % undo,
            })
    return {"summary": KERNEL_DEFAULTS_SUMMARY, "settings": tuple(settings)}


def profile_names():
    """Every profile name the role accepts, ``none`` (overrides only) last."""
    return sorted(PROFILES) + ["kernel_defaults", NO_PROFILE]


def get_profile(name):
    """The profile ``name`` as ``{summary, settings: (entries)}``."""
    if not isinstance(name, str):
        raise ProfileError(
            "a profile is given by its name (one of %s), not a %s"
            % (", ".join(profile_names()), type(name).__name__)
        )
    if name == "kernel_defaults":
        return _kernel_defaults_profile()
    if name == NO_PROFILE:
        return {"summary": "No profile: only the group and host overrides.", "settings": ()}
    if name not in PROFILES:
        raise ProfileError(
            "unknown profile %r; choose one of %s" % (name, ", ".join(profile_names()))
        )
    return PROFILES[name]


def _value_text(value):
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    return str(value)


def describe_profiles():
    """Every profile with its keys, values or formulas and reasons, for the documentation.

    Returns ``[{name, summary, settings: [{key, value, formula, formula_text, reason,
    host_dependent}]}]``; ``value`` is None for host-dependent entries and
    ``formula_text`` says how the value is computed.
    """
    described = []
    for name in profile_names():
        profile = get_profile(name)
        rows = []
        for entry in profile["settings"]:
            formula = entry.get("formula")
            rows.append({
                "key": entry["key"],
                "value": None if formula else _value_text(entry["value"]),
                "formula": formula,
                "formula_text": FORMULAS[formula][1] if formula else None,
                "reason": entry["reason"],
                "host_dependent": bool(formula),
            })
        described.append({"name": name, "summary": profile["summary"], "settings": rows})
    return described


# ---------------------------------------------------------------------------
# Rendering for one host
# ---------------------------------------------------------------------------


def split_host(host):
    """Accept a whole sysctl_check result or just its ``context``; return ``(context, host)``."""
    if not isinstance(host, dict):
        raise ProfileError(
            "the host must be a sysctl_check result or its context (a dict), not %s"
            % type(host).__name__
        )
    if isinstance(host.get("context"), dict):
        return host["context"], host
    return host, {"context": host}


def _check_overrides(overrides, label):
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise ProfileError(
            "%s must be a dict of sysctl key to value, not %s" % (label, type(overrides).__name__)
        )
    problems = []
    for key in overrides:
        problem = key_problem(key)
        if problem:
            problems.append("%r: %s" % (key, problem))
    if problems:
        raise ProfileError("%s: %s" % (label, "; ".join(problems)))
    return overrides


def plan(host, profile, group_overrides=None, host_overrides=None):
    """Work out one host's settings and where each value came from.

    Merge order: profile < group overrides < host overrides. An override whose value is
    None (``~`` in YAML) removes the key, leaving it as it is on the host. Returns an
    ordered list of ``{key, value, source, reason, formula}``; ``source`` is
    ``profile``, ``group`` or ``host``. Values are passed on unvalidated: sysctl_check
    and sysctl_profile judge them with the shared rules.
    """
    context, full = split_host(host)
    profiles = profile if isinstance(profile, (list, tuple)) else [profile]
    layers = [("group", _check_overrides(group_overrides, "group overrides")),
              ("host", _check_overrides(host_overrides, "host overrides"))]

    chosen = {}
    for name in profiles:
        for entry in get_profile(name)["settings"]:
            chosen[entry["key"]] = dict(entry, source="profile", profile=name)
    for source, overrides in layers:
        for key, value in overrides.items():
            if value is None:
                chosen.pop(key, None)
            else:
                chosen[key] = {"key": key, "value": value, "source": source,
                               "reason": "set by the %s overrides" % source}

    literals = dict((key, entry["value"]) for key, entry in chosen.items() if "formula" not in entry)
    rows = []
    for key in sorted(chosen):
        entry = chosen[key]
        formula = entry.get("formula")
        if formula:
            value = FORMULAS[formula][0](key, context, full, literals)
            if value is None:
                continue
        else:
            value = entry["value"]
        rows.append({
            "key": key,
            "value": value,
            "source": entry["source"],
            "reason": entry["reason"],
            "formula": formula,
        })
    return rows


def render_profile(host, profile, group_overrides=None, host_overrides=None):
    """The settings one host should get, as ``{key: value}`` for sysctl_profile."""
    return dict((row["key"], row["value"])
                for row in plan(host, profile, group_overrides, host_overrides))
