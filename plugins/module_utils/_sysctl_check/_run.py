# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only check: live, desired and persisted values judged by every rule.

PRIVATE: internal to the netfleet.tcp collection.

The result keeps two things apart: ``findings``, the judgement of the values (what the
list or the host's configuration gets wrong, and what the kernel would refuse), and
``drift``, where the running kernel differs from the desired or the persisted values
(``live-differs-desired``, ``persisted-drift``): the state of the host, not advice about
the list. ``fail_on`` gates the findings only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _rules, _sysctl_conf, _validate
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlInputError
from ansible_collections.netfleet.tcp.plugins.module_utils._rule_context import gather_context, read_live
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import acceptance
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem, key_to_path
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import desired_met, desired_text

DRIFT_IDS = ("live-differs-desired", "persisted-drift")


def _skipped_finding(key, reason):
    """A key absent here under ``missing: skip``: reported, but as info, so no gate trips on it."""
    return _rules.finding("key-missing", key, None, "%s: %s; skipped (missing: skip)." % (key, reason),
                          _validate.missing_remediation(key, reason), severity="info")


def _missing_finding(key, reason, missing):
    if missing == "skip":
        return _skipped_finding(key, reason)
    return _rules.finding("key-missing", key, None, "%s: %s." % (key, reason),
                          _validate.missing_remediation(key, reason))


def _judged_keys(keys, setting_keys, all_live, context, proc, missing):
    """``(judged, findings)``: the keys the check judges, and findings about ``keys`` themselves."""
    if not keys:
        return set(key for key in _catalog.keys() if all_live.get(key) is not None) | set(setting_keys), []
    findings = []
    judged = set()
    for key in keys:
        problem = key_problem(key)
        if problem:
            findings.append(_rules.finding("key-invalid", str(key), None, "%r: %s" % (key, problem)))
        else:
            judged.add(key)
    all_live.update(read_live([key for key in judged if key not in all_live], proc))
    for key in sorted(judged - set(setting_keys)):
        if all_live.get(key) is None:
            findings.append(_missing_finding(key, _validate.absent_reason(key, context), missing))
    return judged | set(setting_keys), findings


def _validation_findings(validation):
    """Refusals as findings, the reading notes, tw-recycle-obsolete, and skipped keys as info."""
    findings = []
    for item in validation["refused"]:
        if item.get("findings"):
            findings.extend(item["findings"])
        else:
            findings.append(_rules.finding(item["id"], item["key"], item["value"], item["reason"], item["remediation"]))
    obsolete = [item for item in validation["findings"] if item["id"] == "tw-recycle-obsolete"]
    findings.extend(obsolete)
    findings.extend(item for item in validation["findings"]
                    if item["id"] in _rules.READING_RULES or item["id"] == "key-machine-wide")
    skipped = set(validation["skipped"]) - set(item["key"] for item in obsolete)
    findings.extend(_skipped_finding(key, validation["skipped"][key]) for key in sorted(skipped))
    return findings, skipped


def _absent_values(settings, skipped, refused=()):
    """Keys of ``settings`` not set here, with their values as written (for the list rules): those
    skipped as absent, and ``refused`` ones (beyond this network namespace)."""
    if not isinstance(settings, dict):
        return {}
    absent = {}
    for key in set(skipped) | set(refused):
        value = settings.get(key)
        if value is not None and not isinstance(value, (bool, dict)) and _rules.value_refusal(key, value) is None:
            absent[key] = _rules.display_value(value)
    return absent


def _beyond_netns(validation):
    """Keys refused because they reach beyond this network namespace (fs.file-max in a container)."""
    return [item["key"] for item in validation["refused"] if item["id"] == "key-machine-wide"]


def _drift_findings(desired, all_live):
    findings = []
    for key in sorted(desired):
        if not desired_met(key, all_live.get(key), desired[key]):
            findings.append(_rules.finding(
                "live-differs-desired", key, all_live.get(key),
                "%s is %s now; the desired value is %s." % (key, all_live.get(key), desired_text(desired[key]))))
    return findings


def read_modes(keys, proc):
    """``{key: permission bits}`` of the /proc/sys files of ``keys`` that exist here (never written)."""
    modes = {}
    for key in keys:
        try:
            modes[key] = stat.S_IMODE(os.stat(key_to_path(key, os.path.join(proc, "sys"))).st_mode)
        except (SysctlInputError, IOError, OSError):
            continue
    return modes


def _write_only(findings, modes, settings):
    """A key that exists but cannot be read is not missing: its key-missing becomes key-write-only."""
    write_only = set(key for key, mode in modes.items() if acceptance.is_write_only(mode))
    kept = [item for item in findings if not (item["id"] == "key-missing" and item.get("key") in write_only)]
    for key in sorted(write_only):
        value = settings.get(key) if isinstance(settings, dict) else None
        kept.append(acceptance.write_only_finding(key, _rules.display_value(value), modes[key]))
    return kept, write_only


def _key_table(judged, resolution, desired, settings, skipped, all_live):
    table = {}
    for key in sorted(judged):
        record = _sysctl_conf.effective_for(resolution, key)
        wanted = desired.get(key)
        if wanted is None and isinstance(settings, dict) and key in settings and key not in skipped:
            shown = _rules.display_value(settings[key])
        else:
            shown = desired_text(wanted) if wanted else None
        table[key] = {
            "live": all_live.get(key),
            "persisted": record["value"] if record else None,
            "persisted_file": record["file"] if record else None,
            "desired": shown,
            "in_catalog": key in _catalog.CATALOG,
            "exists": all_live.get(key) is not None,
        }
    return table


def _persisted_summary(resolution):
    return {
        "sources": resolution["sources"],
        "procps_sources": resolution["procps_sources"],
        "effective": dict((key, {"value": record["value"], "file": record["file"], "line": record["line"]})
                          for key, record in resolution["effective"].items()),
        "notes": resolution["notes"],
        "masked": resolution["masked"],
        "sysctl_conf": resolution["sysctl_conf"],
        "disagreements": resolution["disagreements"],
    }


def _summary(findings, drift, key_table):
    """Counts of the findings by severity; ``drift`` counts drifted keys, apart from them."""
    return {
        "errors": sum(1 for item in findings if item["severity"] == "error"),
        "warnings": sum(1 for item in findings if item["severity"] == "warning"),
        "infos": sum(1 for item in findings if item["severity"] == "info"),
        "drift": len(drift),
        "keys_checked": len(key_table),
    }


def run_check(settings=None, *, proc="/proc", root="/", nat_facing="auto", keys=None, run=None, which=None,
              missing="fail"):
    """The read-only check: returns the sysctl_check result (findings, drift, keys, context, persisted,
    summary).

    ``missing``: ``fail`` reports a key of ``settings`` or ``keys`` that is absent here (or
    machine-wide, so not settable in this namespace) as a ``key-missing`` error; ``skip``
    reports it as an info ``key-missing`` finding and judges the other keys alone (a skipped
    key is not desired here: its ``desired`` is null).
    """
    context = gather_context(proc=proc, nat_facing=nat_facing, run=run, which=which)
    all_live = dict(context["sysctl_live"])
    settings = settings if settings is not None else {}
    setting_keys = [key for key in settings if isinstance(key, str) and key_problem(key) is None] \
        if isinstance(settings, dict) else []
    live_settings = read_live(setting_keys, proc)
    all_live.update(live_settings)
    validation = _validate.validate_settings(settings, context, live_settings, missing)
    desired = validation["desired"]

    resolution = _sysctl_conf.resolve(root)
    persisted_keys = set(resolution["assignments"]) | set(resolution["procps_effective"])
    all_live.update(read_live([key for key in persisted_keys if key not in all_live and key_problem(key) is None],
                              proc))
    judged, findings = _judged_keys(keys, setting_keys, all_live, context, proc, missing)
    refusals, skipped = _validation_findings(validation)
    findings.extend(refusals)
    view = _validate.planned_values(desired, context, all_live)
    modes = read_modes(setting_keys, proc)
    findings.extend(_rules.evaluate(view, dict(context, settings_live=live_settings, settings_modes=modes),
                                    focus=judged, absent=_absent_values(settings, skipped, _beyond_netns(validation)),
                                    listed=set(desired)))
    findings, write_only = _write_only(findings, modes, settings)
    drift_findings = _drift_findings(desired, all_live)
    persisted = _rules.persisted_findings(resolution, judged - write_only, desired, all_live, context, view=view)
    drift = _rules.by_severity(drift_findings + [item for item in persisted if item["id"] in DRIFT_IDS])
    findings = _rules.by_severity(findings + [item for item in persisted if item["id"] not in DRIFT_IDS])

    key_table = _key_table(judged, resolution, desired, settings, skipped, all_live)
    public_context = dict((name, value) for name, value in context.items() if name != "sysctl_live")
    return {"findings": findings, "drift": drift, "keys": key_table, "context": public_context,
            "persisted": _persisted_summary(resolution),
            "summary": _summary(findings, set(item["key"] for item in drift), key_table)}
