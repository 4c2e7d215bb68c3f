# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_profile's pure planning: steps, the drop-in's content, the diff and the per-key result.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _sysctl_conf
from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_access import kernel_form, rounding
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    bound_satisfied,
    equivalent,
    normalize_text,
)

CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped-missing"
REFUSED = "refused"
# Tick rates Linux is built with (kernel/Kconfig.hz), tried when the running one is unknown.
CANDIDATE_HZ = (100, 250, 300, 1000)


def plan_steps(desired, live, asserted=(), hz=None):
    """Per-key steps from the validated desired set and the live values; pure.

    ``desired`` is validate_settings' ``{key: {"value": text, "bound": None or (op, n)}}``
    (in the user's order), ``live`` maps each key to its normalised live value or None.
    A bound keeps a live value already beyond it, as tuned's ``>``/``<`` modifiers do.
    ``asserted`` are read-only keys whose value already matches: never written.
    Values are compared in the kernel's units: a key the kernel rounds to its tick
    (``hz``, see _catalog_access) matches when it reads what the value would read back.
    Each step: ``{key, before, target, write, status, reason}``; ``target`` is the value
    written (and persisted), None for a missing key; ``after``, when present, is what the
    kernel reads back after ``target`` is written, ``accept`` the read-backs accepted
    when the tick rate is unknown.
    """
    steps = []
    for key, want in desired.items():
        before = live.get(key)
        step = {"key": key, "before": before, "target": None, "write": False}
        bound = want.get("bound")
        if before is None:
            step.update(status=SKIPPED, reason="the key does not exist on this host")
        elif key in asserted:
            step.update(target=before, status=UNCHANGED, asserted=True,
                        reason="read-only here and already %s: asserted, never written nor persisted" % before)
        elif bound:
            op, limit = bound
            if bound_satisfied(op, limit, before):
                step.update(target=before, status=UNCHANGED,
                            reason="live value %s already satisfies %s%d and is kept" % (before, op, limit))
            else:
                step.update(target=str(limit), write=True, status=CHANGED,
                            reason="live value %s does not satisfy %s%d" % (before, op, limit))
        else:
            _plan_value(step, key, want.get("value"), before, hz)
        steps.append(step)
    return steps


def _plan_value(step, key, target, before, hz):
    expect = kernel_form(key, target, hz)
    if equivalent(key, before, expect):
        reason = "live value already matches"
        if expect != normalize_text(target):
            reason = "live value %s is %s in the kernel's units (it rounds to its %d Hz tick)" % (before, target, hz)
        step.update(target=before, status=UNCHANGED, reason=reason)
        return
    step.update(target=target, write=True, status=CHANGED, reason="live value %s differs from %s" % (before, target))
    if expect != normalize_text(target):
        step["after"] = expect
        step["reason"] += " (the kernel keeps %s: it rounds to its %d Hz tick)" % (expect, hz)
    elif hz is None and rounding(key):
        step["accept"] = sorted(set(kernel_form(key, target, rate) for rate in CANDIDATE_HZ))


def persisted_entries(steps, desired):
    """``[(key, value)]`` the drop-in holds: every key set or kept, in the profile's order.

    The file gets the value as the user wrote it (normalised) for plain values and
    the value the key holds after the run for bounds, so a reboot reproduces it.
    """
    entries = []
    for step in steps:
        if step["status"] not in (CHANGED, UNCHANGED) or step.get("asserted"):
            continue
        want = desired.get(step["key"]) or {}
        if want.get("bound") or want.get("value") is None:
            entries.append((step["key"], step["target"]))
        else:
            entries.append((step["key"], normalize_text(want["value"])))
    return entries


def file_plan(name, path, existing_text, entries):
    """``(action, new_text)`` for the drop-in: action is create, update or unchanged."""
    if existing_text is None:
        return "create", _dropin.render_dropin(name, entries)
    old = _dropin.entries_of(existing_text)
    new = dict(entries)
    same = (set(old) == set(new)
            and all(equivalent(key, old[key], new[key]) for key in new)
            and _dropin.owner(existing_text) == name)
    if same:
        return "unchanged", existing_text
    return "update", _dropin.render_dropin(name, entries)


def live_text(pairs):
    """``key = value`` lines for the diff of live values (missing keys left out)."""
    return "".join("%s = %s\n" % (key, value) for key, value in pairs if value is not None)


def read_only_problem(context, steps):
    """Why the planned writes cannot happen here (a read-only /proc/sys/net), or None."""
    if context.get("proc_sys_net_writable") is not False:
        return None
    keys = [step["key"] for step in steps if step["write"] and step["key"].startswith("net.")]
    if not keys:
        return None
    return ("/proc/sys/net is read-only here (a container, or /proc mounted read-only), so %s cannot be "
            "changed; nothing was changed. Apply the profile where this network namespace's sysctls can be "
            "written (the container's host or runtime settings), or use sysctl_check to report only"
            % ", ".join(keys))


def skipped_warning(settings, validation):
    """One warning naming every key skipped as absent here, each with its reason; or None.

    A key skipped because it is already satisfied (tcp_tw_recycle=0 on a kernel that
    removed it, which validation reports as an info finding) is not a problem and is
    left out.
    """
    satisfied = set(finding.get("key") for finding in validation.get("findings", [])
                    if finding.get("id") == "tw-recycle-obsolete")
    absent = [(key, reason) for key, reason in in_order(settings, validation.get("skipped", {})).items()
              if key not in satisfied]
    if not absent:
        return None
    return ("skipped %d key%s absent in this network namespace or kernel, neither applied nor persisted: %s"
            % (len(absent), "" if len(absent) == 1 else "s",
               "; ".join("%s (%s)" % (key, reason) for key, reason in absent)))


def in_order(settings, keys):
    ordered = {}
    for key in settings:
        if key in keys:
            ordered[key] = keys[key]
    for key in keys:
        ordered.setdefault(key, keys[key])
    return ordered


def key_result(step, persisted):
    after = step.get("after", step["target"] if step["status"] in (CHANGED, UNCHANGED) else step["before"])
    return {"before": step["before"], "after": after, "persisted": persisted,
            "status": step["status"], "reason": step["reason"]}


def present_diff(steps, path, existing, new_text):
    live_before = live_text((s["key"], s["before"]) for s in steps)
    live_after = live_text((s["key"], s.get("after", s["target"]) if s["target"] is not None else s["before"])
                           for s in steps)
    diffs = [{"before_header": "live values (/proc/sys)", "after_header": "live values (/proc/sys)",
              "before": live_before, "after": live_after}]
    if path is not None:
        diffs.append({"before_header": path if existing is not None else "%s (absent)" % path,
                      "after_header": path, "before": existing or "", "after": new_text or ""})
    return diffs


def shadowing(path, entries, root="/"):
    """``[{key, value, ours, file, line, loaders}]``: keys another file sets differently at boot.

    Uses _sysctl_conf's boot precedence resolver with our drop-in laid over the files
    on disk (so check mode sees the file it would write). ``loaders`` says which boot
    loader lets that file win: systemd-sysctl, 'sysctl --system', or both.
    """
    found = []
    index = {}
    for item in _sysctl_conf.shadows(path, dict(entries), root=root):
        ident = (item["key"], item["file"], item["value"])
        if ident in index:
            index[ident]["loaders"].append(item["loader"])
            continue
        entry = {"key": item["key"], "value": item["value"], "ours": item["ours"], "file": item["file"],
                 "line": item.get("line"), "loaders": [item["loader"]]}
        index[ident] = entry
        found.append(entry)
    return found
