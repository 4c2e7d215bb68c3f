# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=present: validate, plan under the host lock, then one guarded block of changes.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _rules, _state_record, _validate
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    ProfileError,
    SysctlInputError,
    SysctlReadError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._catalog_scope import MACHINE, key_scope
from ansible_collections.netfleet.tcp.plugins.module_utils._rule_context import gather_context
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem, key_to_path, read_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._apply import (
    LiveApplyError,
    Outcome,
    apply_live,
    fail_after_rollback,
    live_failure_outcome,
    read_one,
    refused_verb,
    rollback,
    signals_deferred,
    unrestored_text,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _access, _journal, _owners
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._job import locked
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._recover import recover
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._txn import (
    begin_transaction,
    save_records,
    undo_or_keep,
    write_files,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._plan import (
    REFUSED,
    SKIPPED,
    UNCHANGED,
    file_plan,
    in_order,
    key_result,
    persisted_entries,
    plan_steps,
    present_diff,
    read_only_problem,
    shadowing,
    skipped_warning,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent

# Findings that describe the plan rather than a problem with it; no gate fails on them.
NOT_A_PROBLEM = frozenset(["live-differs-desired", "persisted-drift", "tw-recycle-obsolete"])


def validate(settings, proc="/proc", missing="fail", *, nat_facing="auto", run_command=None, which=None,
             reader=read_value, allow_machine_wide=()):
    """Run the shared validation; returns ``(validation, live, context)``.

    Live values are read only for keys whose names are acceptable; a key that cannot
    be read, or whose path would leave /proc/sys, becomes a refusal of its own.
    """
    sys_root = os.path.join(proc, "sys")
    context = gather_context(proc=proc, nat_facing=nat_facing, run=run_command, which=which)
    live = {}
    extra = []
    if isinstance(settings, dict):
        for key in settings:
            unlisted = key_scope(key)[0] == MACHINE and key not in (allow_machine_wide or ())
            if key_problem(key) is not None or unlisted:
                # Keys outside net.* are judged by scope before anything reads them.
                continue
            if _access.write_only(key, sys_root):
                extra.append((key, _access.WRITE_ONLY_REASON))
                continue
            try:
                key_to_path(key, sys_root)
                live[key] = reader(key, sys_root)
            except SysctlInputError as error:
                extra.extend(error.problems)
            except SysctlReadError as error:
                extra.append((key, str(error)))
    validation = _validate.validate_settings(settings, context, live, missing,
                                             allow_machine_wide=list(allow_machine_wide or ()))
    if extra:
        refused = set(key for key, _reason in validation.get("refusals", []))
        validation = dict(validation)
        validation["refusals"] = list(validation.get("refusals", [])) + [
            (key, reason) for key, reason in extra if key not in refused]
        for key, _reason in extra:
            validation.get("desired", {}).pop(key, None)
    return validation, live, context


def gated_findings(findings, fail_on, refusals=None):
    """``[(key, reason)]`` for findings at or above ``fail_on``, as sysctl_check's gate judges them.

    Keys already refused are not named twice; findings that only describe the plan
    (a value differs from the desired one, tcp_tw_recycle=0 already satisfied) never gate.
    """
    refused = set(key for key, _reason in refusals or ())
    gated = []
    for item in findings:
        if item.get("id") in NOT_A_PROBLEM or item.get("key") in refused:
            continue
        if _rules.gate_reached(item.get("severity"), fail_on):
            gated.append((item.get("key") or "settings", "%s [%s %s, fail_on=%s]" % (
                item.get("message"), item.get("severity"), item.get("id"), fail_on)))
    return gated


def _refused_result(result, settings, validation, live):
    reasons = {}
    for key, reason in validation.get("refusals", []):
        reasons.setdefault(key, []).append(reason)
    keys = {}
    for key in (settings if isinstance(settings, dict) else {}):
        label = key if isinstance(key, str) else repr(key)
        before = live.get(key) if isinstance(key, str) else None
        if label in reasons:
            keys[label] = {"before": before, "after": before, "persisted": None, "status": REFUSED,
                           "reason": "; ".join(reasons[label])}
        else:
            keys[label] = {"before": before, "after": before, "persisted": None, "status": UNCHANGED,
                           "reason": "not applied: the profile was refused"}
    result["keys"] = keys
    result["findings"] = list(validation.get("findings", []))
    return result


class _Validated(object):
    """The settings that passed validation, in the profile's own order."""

    def __init__(self, settings, validation, live, context):
        self.settings = settings
        # validate_settings sorts; apply, diff and persist in the profile's own order.
        self.desired = in_order(settings, validation.get("desired", {}))
        self.skipped = validation.get("skipped", {})
        self.live = live
        self.context = context


def _validated(job):
    result = job.result
    settings = job.params.get("settings")
    if not isinstance(settings, dict) or not settings:
        raise ProfileError(str(SysctlInputError([("settings", "state=present needs a non-empty dict of settings")])),
                           result)
    validation, live, context = validate(
        settings, job.proc, job.params.get("missing") or "fail", nat_facing=job.params.get("nat_facing") or "auto",
        run_command=job.run_command, which=job.which, reader=job.read_live,
        allow_machine_wide=job.params.get("allow_machine_wide") or ())
    result["findings"] = list(validation.get("findings", []))
    gated = gated_findings(result["findings"], job.params.get("fail_on") or "error", validation.get("refusals"))
    access_refusals, asserted = _access.judge(validation.get("desired", {}), live, job.sys_root)
    if validation.get("refusals") or gated or access_refusals:
        validation = dict(validation, refusals=list(validation.get("refusals") or []) + gated + access_refusals)
        _refused_result(result, settings, validation, live)
        raise ProfileError(str(SysctlInputError(validation["refusals"])), result)
    warning = skipped_warning(settings, validation)
    if warning:
        result["warnings"].append(warning)
    result["warnings"].extend(item["message"] for item in result["findings"] if item["id"] == "value-leading-zero")
    wanted = _Validated(settings, validation, live, context)
    wanted.asserted = set(asserted)
    return wanted


class _Plan(object):
    """Everything decided under the lock: steps, the record, the drop-in's old and new text."""

    def __init__(self, steps, entries, record, existing, persist):
        self.steps = steps
        self.entries = entries
        self.record = record
        self.existing = existing
        self.persist = persist
        self.file_action = "unchanged"
        self.new_text = existing
        self.stale = None
        self.persisted = {}
        self.binding = None
        self.stale_text = None
        # Keys taken over from other profiles: (originals, record changes, file changes, report).
        self.takeover = ({}, [], [], [])


def _read_existing(job, persist):
    if persist:
        existing = job.read_dropin(job.path)
        problem = _dropin.ownership_problem(job.path, existing, job.name)
        if problem:
            raise ProfileError(problem, job.result)
        return existing
    try:
        return job.read_dropin(job.path)
    except _dropin.DropinError:
        return None


def _owned(job, wanted, plan):
    """Refuse keys another profile owns (unless taken over); plan the take-overs."""
    keys = [key for key, _value in plan.entries]
    refusals, moves, warnings = _owners.conflicts(job, keys, plan.binding)
    job.result["warnings"].extend(warnings)
    if refusals:
        validation = {"refusals": refusals, "findings": job.result["findings"]}
        _refused_result(job.result, wanted.settings, validation, wanted.live)
        raise ProfileError(str(SysctlInputError(refusals)), job.result)
    plan.takeover = _owners.take_over(job, moves)
    job.result["taken_over"] = plan.takeover[3]


def _plan(job, wanted, persist):
    live_now = {}
    for key in wanted.desired:
        live_now[key], error = read_one(key, job.sys_root, job.read_live)
        if error is not None:
            raise ProfileError("cannot read %s: %s" % (key, error), job.result)
    record = job.load_record(job.name)
    binding, problem = job.binding(record)
    if problem:
        raise ProfileError(problem, job.result)
    existing = _read_existing(job, persist)
    steps = plan_steps(wanted.desired, live_now, wanted.asserted, _access.tick_rate(job.proc, job.root))
    problem = read_only_problem(wanted.context, steps)
    if problem:
        raise ProfileError(problem, job.result)
    plan = _Plan(steps, persisted_entries(steps, wanted.desired), record, existing, persist)
    plan.binding = binding
    _owned(job, wanted, plan)
    if persist:
        plan.file_action, plan.new_text = file_plan(job.name, job.path, existing, plan.entries)
        recorded_path = record.get("path") if record else None
        if recorded_path and recorded_path != job.path:
            stale_text = job.read_dropin(recorded_path)
            if stale_text is not None and _dropin.owner(stale_text) == job.name:
                plan.stale = recorded_path
                plan.stale_text = stale_text
        plan.persisted = _dropin.entries_of(plan.new_text) if plan.new_text is not None else {}
    elif existing is not None and _dropin.owner(existing) == job.name:
        plan.persisted = _dropin.entries_of(existing)
        for key, value in plan.entries:
            if key in plan.persisted and not equivalent(key, plan.persisted[key], value):
                job.result["warnings"].append(
                    "%s still persists %s = %s from an earlier run; persist=false leaves it alone, so a "
                    "reboot brings that value back" % (job.path, key, plan.persisted[key]))
    return plan


def _report(job, wanted, plan):
    result = job.result
    keys = {}
    for step in plan.steps:
        keys[step["key"]] = key_result(step, plan.persisted.get(step["key"]))
    for key, reason in wanted.skipped.items():
        keys[key] = {"before": wanted.live.get(key), "after": wanted.live.get(key), "persisted": None,
                     "status": SKIPPED, "reason": reason}
    result["keys"] = in_order(wanted.settings, keys)
    _originals, moved_records, moved_files, _report_items = plan.takeover
    result["file_changed"] = plan.file_action != "unchanged" or plan.stale is not None or bool(moved_files)
    result["file"] = job.path if plan.persist else None
    result["changed"] = (any(step["write"] for step in plan.steps) or result["file_changed"] or bool(moved_records)
                         or job.recovered)
    if job.diff:
        result["diff"] = present_diff(plan.steps, job.path if plan.persist else None, plan.existing, plan.new_text)


def run_present(job):
    """Apply the profile in ``job``; returns the result (raises ProfileError with the partial one)."""
    persist = job.params.get("persist", True)
    recover(job)
    wanted = _validated(job)
    if persist:
        # Refuse a file that is not ours before creating anything, even the state dir.
        problem = _dropin.ownership_problem(job.path, job.read_dropin(job.path), job.name)
        problem = problem or _dropin.placement_problem(job.path, job.name, job.root)
        if problem:
            raise ProfileError(problem, job.result)
        job.result["placement"] = _dropin.placement(job.path, job.root)

    with locked(job.state_dir, job.lock_timeout, job.check_mode):
        # Under the lock: the state every decision below is made on.
        plan = _plan(job, wanted, persist)
        _report(job, wanted, plan)
        record = _new_record(job, plan)
        if job.check_mode or not (job.result["changed"] or record != plan.record):
            kept = plan.record or record != plan.record
            job.result["record"] = _state_record.record_path(job.state_dir, job.name) if kept else None
            _add_shadowing(job, plan)
            return job.result
        with signals_deferred():
            _apply(job, plan, record)
    _add_shadowing(job, plan)
    return job.result


def _new_record(job, plan):
    """The record after this run: originals (taken-over ones first), the keys it owns, drop-in, binding."""
    record = copy.deepcopy(plan.record) if plan.record else _state_record.new_record(job.name, None)
    _state_record.add_originals(record, plan.takeover[0])
    _state_record.add_originals(record, dict((s["key"], s["before"]) for s in plan.steps if s["write"]))
    if plan.persist:
        record["path"] = job.path
    record["keys"] = dict(plan.entries)
    record["binding"] = plan.binding
    return record


def _transaction(job, plan, record):
    """The journal entry of this run: every old value, drop-in and record it is about to replace."""
    records = [(job.name, plan.record, record)] + list(plan.takeover[1])
    files = list(plan.takeover[2])
    if plan.file_action != "unchanged":
        files.insert(0, (job.path, plan.existing, plan.new_text))
    if plan.stale is not None:
        files.append((plan.stale, plan.stale_text, None))
    live = [(s["key"], s["before"]) for s in plan.steps if s["write"]]
    return records, files, live


def _apply(job, plan, record):
    result, steps = job.result, plan.steps
    old_persisted = _dropin.entries_of(plan.existing) if plan.existing is not None else {}
    records, files, live = _transaction(job, plan, record)
    entry = begin_transaction(job, "present", records, files, live)
    save_records(job, records)
    result["record"] = _state_record.record_path(job.state_dir, job.name)
    try:
        changes = apply_live(steps, job.sys_root, job.writer, job.reader)
    except LiveApplyError as failure:
        undo_or_keep(job, entry)
        outcome = live_failure_outcome(failure)
        fail_after_rollback(
            job, steps, "%s %s = %s (%s); %d key(s) applied before it were rolled back%s" % (
                refused_verb(failure.error), failure.key, failure.value, outcome.error, len(outcome.applied),
                unrestored_text(outcome.unrestored)),
            outcome, failure.key, old_persisted)

    for step in steps:
        if step["write"]:
            result["keys"][step["key"]]["after"] = step.get("after", step["target"])
    try:
        write_files(job, files)
    except _dropin.DropinError as error:
        restored, unrestored = rollback(changes, job.sys_root, job.writer, job.reader)
        undo_or_keep(job, entry)
        fail_after_rollback(
            job, steps, "%s; the live values were rolled back so the host is as it was%s" % (
                error, unrestored_text(unrestored)),
            Outcome([k for k, _v in changes], restored, unrestored, str(error)), None, old_persisted)
    _journal.end_journal(job.state_dir)


def _add_shadowing(job, plan):
    if not plan.persist or not plan.entries:
        return
    found = shadowing(job.path, plan.entries, job.root)
    job.result["shadowed"] = found
    for item in found:
        job.result["warnings"].append(
            "%s sets %s = %s and wins over %s at boot (%s), so the persisted %s = %s does not "
            "survive a reboot; remove the key from that file or give it this profile's value there"
            % (item["file"], item["key"], item["value"], job.path, " and ".join(item["loaders"]),
               item["key"], item["ours"]))
