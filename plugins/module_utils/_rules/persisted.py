# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persisted rules: the boot configuration against the live and desired values.

PRIVATE: internal to the netfleet.tcp collection.

A value persisted in a file is also judged by the input and value rules, exactly as
the same value passed in ``settings``: the finding has the same id and severity and
carries the ``file`` and ``line`` it comes from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _sysctl_conf
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import Rule, finding, register
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.host_files import unreadable_findings
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.input import reading_findings, value_refusal
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.value import evaluate
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    desired_met,
    desired_text,
    equivalent,
    normalize_text,
)

register(Rule(
    "persisted-drift", "warning", "Persisted value differs from the live value",
    "The value the boot configuration applies differs from the running value, so the next "
    "reboot (or 'sysctl --system') changes it. This is drift: sysctl_check returns it in its drift "
    "list, apart from the findings, and fail_on does not count it.",
    family="persisted"))
register(Rule(
    "persisted-shadows-desired", "warning", "A boot configuration file overrides the desired value",
    "At boot the last assignment wins; the file that wins sets another value than the "
    "desired one, so the desired value is lost on reboot.",
    family="persisted"))
register(Rule(
    "persisted-conflict", "warning", "Key persisted in several files with different values",
    "Only the last file in boot order counts; the others are dead configuration that "
    "misleads whoever reads them.",
    family="persisted"))
register(Rule(
    "persisted-missing-key", "warning", "Persisted key does not exist on this kernel",
    "systemd-sysctl and 'sysctl --system' report an error for it at every boot (unless the "
    "line starts with '-').",
    family="persisted"))
register(Rule(
    "persisted-invalid", "warning", "Persisted line is not an assignment",
    "A line that is neither a 'key = value' assignment, a '-key' exclusion nor a comment. "
    "Values and key names in files are judged by the input rules (key-invalid, value-quoted, "
    "value-shape, ...), with the file and line.",
    family="persisted"))
register(Rule(
    "persisted-boot-disagree", "warning", "systemd-sysctl and 'sysctl --system' disagree",
    "systemd-sysctl skips /etc/sysctl.conf unless /etc/sysctl.d/99-sysctl.conf links it in, "
    "while procps 'sysctl --system' applies it last; the two leave different values.",
    family="persisted"))


def where(record):
    """``/etc/sysctl.d/x.conf line 3``."""
    return "%s line %s" % (record["file"], record["line"]) if record.get("line") else record["file"]


def located(found, record):
    """A finding about a persisted line: same id and severity, plus its file and line."""
    found = dict(found)
    found.update(file=record["file"], line=record.get("line"))
    return found


def _persisted_records(resolution):
    seen = {}
    for key, records in sorted(resolution["assignments"].items()):
        seen.setdefault(key, []).extend(records)
    conf_path = resolution["sysctl_conf"]["path"]
    if resolution["sysctl_conf"]["linked_as"] is None:
        for key, record in sorted(resolution["procps_effective"].items()):
            if record["file"] == conf_path:
                seen.setdefault(key, []).append(record)
    return seen


def _key_findings(resolution, all_live, context):
    """Keys persisted but unusable here: bad names (key-invalid), absent keys (an error at every boot)."""
    found = []
    kernel = _catalog.version_text(context.get("kernel_version"))
    seen = _persisted_records(resolution)
    for key in sorted(seen):
        records = [record for record in seen[key] if not record["ignore_errors"]]
        if not records:
            continue
        problem = key_problem(key)
        if problem:
            found.append(located(finding(
                "key-invalid", key, records[-1]["value"],
                "%s in %s is not a valid sysctl name: %s." % (key, where(records[-1]), problem),
                "Fix or delete the line in %s; at boot it only produces an error." % records[-1]["file"]),
                records[-1]))
            continue
        if all_live.get(key) is not None:
            continue
        reason = _catalog.absence_reason(key, context.get("kernel_version"), context.get("initial_netns") is not False)
        files = sorted(set(where(record) for record in records))
        found.append(located(finding(
            "persisted-missing-key", key, records[-1]["value"],
            "%s is set in %s but does not exist here (%s); systemd-sysctl and 'sysctl --system' report an "
            "error for it at every boot." % (key, ", ".join(files),
                                             reason or "no such key under /proc/sys on kernel %s" % kernel),
            "Delete the line from %s, or prefix it with '-' (as in '-%s = %s') if the key only exists on "
            "some of your kernels or namespaces."
            % (", ".join(sorted(set(r["file"] for r in records))), key, records[-1]["value"])), records[-1]))
    return found


def _line_findings(resolution):
    found = []
    for item in resolution["quoted"]:
        found.append(located(finding(
            "value-quoted", item["key"], item["value"],
            "%s line %d quotes the value of %s (%s); the quotes reach the kernel, which refuses the value at boot."
            % (item["file"], item["line"], item["key"], item["value"]),
            "Remove the quotes in %s line %d: write '%s = %s'." % (
                item["file"], item["line"], item["key"],
                normalize_text(item["value"].replace('"', "").replace("'", "")))), item))
    for item in resolution["invalid"]:
        found.append(finding(
            "persisted-invalid", None, item["text"],
            "%s: %s." % (item["file"], item["reason"]),
            "Fix the line in %s to read 'key = value', or comment it out with '#'." % item["file"]))
    return found


def _value_findings(key, record):
    """The input rules on a persisted value: the same ids and severities as for a setting."""
    if record is None or record["value"] is None or record["quoted"] or key_problem(key) is not None:
        return []
    refusal = value_refusal(key, record["value"])
    if refusal:
        return [located(finding(
            refusal[0], key, record["value"],
            "%s in %s: %s; the kernel refuses it at boot." % (key, where(record), refusal[1]),
            "Correct the value in %s (%s takes %s)." % (record["file"], key, _catalog.expected(key))), record)]
    return [located(dict(item, message="%s (%s, applied at boot)" % (item["message"].rstrip("."), where(record))),
                    record) for item in reading_findings(key, record["value"])]


def _compare_findings(resolution, key, live, desired):
    found = []
    record = _sysctl_conf.effective_for(resolution, key)
    entries = resolution["assignments"].get(key, [])
    if record is not None and any(not equivalent(key, entry["value"], record["value"]) for entry in entries):
        others = ", ".join("%s in %s" % (entry["value"], where(entry)) for entry in entries[:-1]
                           if not equivalent(key, entry["value"], record["value"]))
        found.append(finding(
            "persisted-conflict", key, record["value"],
            "%s is persisted with different values; %s wins at boot with %s, overriding %s."
            % (key, where(record), record["value"], others),
            "Keep %s in one file only: delete it from the files that lose (or make them agree with %s)."
            % (key, record["file"])))
    found.extend(_value_findings(key, record))
    if record is not None and live.get(key) is not None and not equivalent(key, record["value"], live[key]):
        found.append(finding(
            "persisted-drift", key, live[key],
            "%s is %s now but %s sets %s at boot: the next reboot or 'sysctl --system' changes it."
            % (key, live[key], where(record), record["value"]),
            "Decide which value is right: persist the live value in %s, or apply the file's value now "
            "(sysctl -p %s)." % (record["file"], record["file"])))
    wanted = desired.get(key)
    if wanted and record is not None and not desired_met(key, record["value"], wanted):
        found.append(finding(
            "persisted-shadows-desired", key, record["value"],
            "At boot %s wins for %s with %s, not the desired %s; a reboot loses the desired value."
            % (where(record), key, record["value"], desired_text(wanted)),
            "Change or remove %s in %s, or write the desired value to a file that sorts after it "
            "(sysctl_profile does this and warns about it)." % (key, record["file"])))
    return found


def _boot_view_findings(resolution, judged, view, context):
    """Value rules on the values boot would apply, where they differ from the view already judged."""
    boot = dict(view)
    records = {}
    for key in judged:
        record = _sysctl_conf.effective_for(resolution, key)
        if (record is not None and record["value"] is not None and not record["quoted"]
                and value_refusal(key, record["value"]) is None
                and not equivalent(key, record["value"], view.get(key))):
            boot[key] = record["value"]
            records[key] = record
    if not records:
        return []
    return [located(dict(item, message="%s (%s, applied at boot)" % (item["message"].rstrip("."),
                                                                     where(records[item["key"]]))),
                    records[item["key"]])
            for item in evaluate(boot, context, focus=set(records)) if item.get("key") in records]


def _disagreement_findings(resolution):
    found = []
    for key, sides in sorted(resolution["disagreements"].items()):
        systemd, procps = sides[_sysctl_conf.SYSTEMD], sides[_sysctl_conf.PROCPS]
        found.append(finding(
            "persisted-boot-disagree", key, (procps or systemd or {}).get("value"),
            "%s: systemd-sysctl leaves %s at boot, 'sysctl --system' leaves %s."
            % (key, _sysctl_conf.describe_record(systemd), _sysctl_conf.describe_record(procps)),
            "Move %s out of %s into a file under /etc/sysctl.d, or link it in with "
            "'ln -s ../sysctl.conf /etc/sysctl.d/99-sysctl.conf', so both loaders agree."
            % (key, resolution["sysctl_conf"]["path"])))
    return found


def persisted_findings(resolution, judged, desired, live, context, view=None):
    """Every finding about the boot configuration (``_sysctl_conf.resolve()``'s ``resolution``).

    ``judged`` are the keys being judged, ``desired`` validation's desired set, ``live``
    the live values, ``view`` the values the value rules judged (live with the desired laid
    over); a persisted value that differs from it is judged by the value rules too.
    """
    found = _key_findings(resolution, live, context)
    found.extend(_line_findings(resolution))
    found.extend(unreadable_findings(resolution))
    for key in sorted(judged):
        found.extend(_compare_findings(resolution, key, live, desired))
    found.extend(_boot_view_findings(resolution, judged, view if view is not None else live, context))
    found.extend(_disagreement_findings(resolution))
    return found
