# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=absent: restore the recorded original values and remove the profile's drop-ins.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem, value_problem
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._apply import (
    LiveApplyError,
    Outcome,
    apply_live,
    fail_after_rollback,
    live_failure_outcome,
    read_one,
    rollback,
    signals_deferred,
    unrestored_text,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _journal
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._job import locked
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._recover import recover
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._txn import begin_transaction, undo_or_keep
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._plan import (
    CHANGED,
    REFUSED,
    SKIPPED,
    UNCHANGED,
    key_result,
    live_text,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent, normalize_text


def _removals(job, record):
    existing = job.read_dropin(job.path)
    problem = _dropin.ownership_problem(job.path, existing, job.name)
    if problem:
        raise ProfileError(problem, job.result)
    removals = [job.path] if existing is not None else []
    recorded_path = record.get("path") if record else None
    if recorded_path and recorded_path != job.path and _dropin.path_problem(recorded_path) is None:
        other = job.read_dropin(recorded_path)
        if other is not None and _dropin.owner(other) == job.name:
            removals.append(recorded_path)
    return existing, removals


def _restore_steps(job, record):
    steps = []
    for key, original in (record or {}).get("originals", {}).items():
        # An empty original is what the kernel printed (ip_local_reserved_ports by default); it is restored.
        problem = key_problem(key) or (value_problem(original) if original != "" else None)
        step = {"key": key, "before": None, "target": None, "write": False}
        if problem:
            step.update(status=REFUSED, reason="the record holds an unusable entry: %s" % problem)
            steps.append(step)
            continue
        before, error = read_one(key, job.sys_root, job.read_live)
        step["before"] = before
        if error is not None or before is None:
            step.update(status=SKIPPED, reason="the key does not exist on this host any more")
        elif equivalent(key, before, original):
            step.update(target=before, status=UNCHANGED, reason="already at the recorded original value")
        else:
            step.update(target=normalize_text(original), write=True, status=CHANGED,
                        reason="restored to the value recorded before the profile first changed it")
        steps.append(step)
    return steps


def _report(job, steps, record, existing, removals):
    result = job.result
    result["keys"] = dict((s["key"], key_result(s, None)) for s in steps)
    result["file"] = job.path
    result["file_changed"] = bool(removals)
    result["removed_files"] = removals
    result["changed"] = bool(removals) or any(s["write"] for s in steps) or record is not None or job.recovered
    result["record"] = _state_record.record_path(job.state_dir, job.name) if record else None
    if job.diff:
        result["diff"] = [
            {"before_header": "live values (/proc/sys)", "after_header": "live values (/proc/sys)",
             "before": live_text((s["key"], s["before"]) for s in steps),
             "after": live_text((s["key"], s["target"] if s["target"] is not None else s["before"]) for s in steps)},
            {"before_header": job.path, "after_header": "%s (absent)" % job.path,
             "before": existing or "", "after": ""},
        ]


def _apply(job, steps, removals, record):
    texts = dict((path, job.read_dropin(path)) for path in removals)
    files = [(path, texts[path], None) for path in removals]
    live = [(s["key"], s["before"]) for s in steps if s["write"]]
    entry = begin_transaction(job, "absent", [(job.name, record, None)], files, live)
    try:
        changes = apply_live(steps, job.sys_root, job.writer, job.reader)
    except LiveApplyError as failure:
        undo_or_keep(job, entry)
        outcome = live_failure_outcome(failure)
        fail_after_rollback(
            job, steps, "the kernel refused to restore %s = %s (%s); %d key(s) restored before it were put back%s" % (
                failure.key, failure.value, outcome.error, len(outcome.applied), unrestored_text(outcome.unrestored)),
            outcome, failure.key)
    for step in steps:
        if step["write"]:
            job.result["keys"][step["key"]]["after"] = step["target"]
    for index, removal in enumerate(removals):
        try:
            _dropin.remove(removal, job.root)
        except _dropin.DropinError as error:
            if index == 0:
                restored, unrestored = rollback(changes, job.sys_root, job.writer, job.reader)
                undo_or_keep(job, entry)
                fail_after_rollback(
                    job, steps, "%s; the live values were put back as they were%s" % (
                        error, unrestored_text(unrestored)),
                    Outcome([k for k, _v in changes], restored, unrestored, str(error)))
            job.result["warnings"].append(str(error))
    _state_record.delete(job.state_dir, job.name)
    _journal.end_journal(job.state_dir)


def run_absent(job):
    """Remove the profile in ``job``; returns the result (raises ProfileError with the partial one)."""
    recover(job)
    problem = _dropin.ownership_problem(job.path, job.read_dropin(job.path), job.name)
    if problem:
        raise ProfileError(problem, job.result)
    with locked(job.state_dir, job.lock_timeout, job.check_mode):
        record = job.load_record(job.name)
        _binding, problem = job.binding(record)
        if problem:
            raise ProfileError(problem, job.result)
        existing, removals = _removals(job, record)
        steps = _restore_steps(job, record)
        _report(job, steps, record, existing, removals)
        unusable = [step for step in steps if step["status"] == REFUSED]
        if unusable:
            job.result["changed"] = False
            raise ProfileError("cannot restore %s; nothing was changed and the record %s is kept so the originals "
                               "are not lost: fix or remove the entry, then run state=absent again" % (
                                   "; ".join("%s (%s)" % (step["key"], step["reason"]) for step in unusable),
                                   _state_record.record_path(job.state_dir, job.name)), job.result)
        if job.check_mode or not job.result["changed"]:
            return job.result
        with signals_deferred():
            _apply(job, steps, removals, record)
    return job.result
