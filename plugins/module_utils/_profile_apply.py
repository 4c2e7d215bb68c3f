# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply or remove a whole sysctl profile: validate, plan, then one guarded block of changes.

PRIVATE: internal to the netfleet.tcp collection.

The order is fixed and each step only runs when the one before succeeded:

1. validate every input (the profile id, the drop-in path, each key and value,
   the guards) with the rules shared with sysctl_check; any refusal means
   nothing is written, and the error names every offending key;
2. under the host lock, read the live values, the record and the drop-in and
   build the plan (a pure function of those); check mode stops here and
   reports the plan;
3. one guarded block: update the record of original values, write each live
   value to /proc/sys and read it back; on the first failure restore every key
   already changed (verified by reading again) and fail; once the live values
   stuck, write the drop-in atomically; if that fails, roll the live values
   back too.

SIGHUP, SIGTERM and SIGINT are held back during step 3 (a dropped SSH
connection delivers SIGHUP), so a host ends fully old or fully new.
Every function takes the roots it reads and writes (``proc``, ``root``,
``state_dir``) so unit tests run over a fake tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import copy
import errno
import os
import signal
import threading

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _sysctl_conf, _validate
from ansible_collections.netfleet.tcp.plugins.module_utils._rule_context import gather_context
from ansible_collections.netfleet.tcp.plugins.module_utils import _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    NetfleetError,
    SysctlInputError,
    SysctlReadError,
    SysctlWriteError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._lock import LOCK_NAME, host_lock
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import (
    key_problem,
    key_to_path,
    read_value,
    value_problem,
    write_value,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    bound_satisfied,
    equivalent,
    normalize_text,
)

CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped-missing"
REFUSED = "refused"



class ProfileError(NetfleetError):
    """The profile was refused or could not be applied; ``result`` holds what happened."""

    def __init__(self, message, result):
        self.result = result
        super(ProfileError, self).__init__(message)


class _LiveApplyError(NetfleetError):
    def __init__(self, key, value, error, applied, restored, unrestored):
        self.key = key
        self.value = value
        self.error = error
        self.applied = applied
        self.restored = restored
        self.unrestored = unrestored
        super(_LiveApplyError, self).__init__(str(error))


# ---------------------------------------------------------------------------
# Comparison and planning: pure functions.

def plan(desired, live):
    """Per-key steps from the validated desired set and the live values; pure.

    ``desired`` is validate_settings' ``{key: {"value": text, "bound": None or (op, n)}}``
    (in the user's order), ``live`` maps each key to its normalised live value or None.
    A bound keeps a live value already beyond it, as tuned's ``>``/``<`` modifiers do.
    Each step: ``{key, before, target, write, status, reason}``; ``target`` is the value
    the key holds after the run (and the one persisted), None for a missing key.
    """
    steps = []
    for key, want in desired.items():
        before = live.get(key)
        step = {"key": key, "before": before, "target": None, "write": False}
        bound = want.get("bound")
        if before is None:
            step.update(status=SKIPPED, reason="the key does not exist on this host")
        elif bound:
            op, limit = bound
            if bound_satisfied(op, limit, before):
                step.update(target=before, status=UNCHANGED,
                            reason="live value %s already satisfies %s%d and is kept" % (before, op, limit))
            else:
                step.update(target=str(limit), write=True, status=CHANGED,
                            reason="live value %s does not satisfy %s%d" % (before, op, limit))
        else:
            target = want.get("value")
            if equivalent(key, before, target):
                step.update(target=before, status=UNCHANGED, reason="live value already matches")
            else:
                step.update(target=target, write=True, status=CHANGED,
                            reason="live value %s differs from %s" % (before, target))
        steps.append(step)
    return steps


def persisted_entries(steps, desired):
    """``[(key, value)]`` the drop-in holds: every key set or kept, in the profile's order.

    The file gets the value as the user wrote it (normalised) for plain values and
    the value the key holds after the run for bounds, so a reboot reproduces it.
    """
    entries = []
    for step in steps:
        if step["status"] not in (CHANGED, UNCHANGED):
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
        return "create", _dropin.render(name, entries)
    old = _dropin.entries_of(existing_text)
    new = dict(entries)
    same = (set(old) == set(new)
            and all(equivalent(key, old[key], new[key]) for key in new)
            and _dropin.owner(existing_text) == name)
    if same:
        return "unchanged", existing_text
    return "update", _dropin.render(name, entries)


def live_text(pairs):
    """``key = value`` lines for the diff of live values (missing keys left out)."""
    return "".join("%s = %s\n" % (key, value) for key, value in pairs if value is not None)


# ---------------------------------------------------------------------------
# Side effects.

@contextlib.contextmanager
def signals_deferred():
    """Hold back SIGHUP, SIGTERM and SIGINT until the block ends (main thread only)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = set([signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
    previous = mask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def _read_live(key, sys_root, reader):
    try:
        return reader(key, sys_root), None
    except (SysctlReadError, SysctlInputError) as error:
        return None, error


def rollback(changes, sys_root, writer=write_value, reader=read_value):
    """Restore ``[(key, previous)]`` in reverse order, verifying each by reading it again.

    Returns ``(restored, unrestored)``: keys restored, and ``[{key, error}]`` for any
    the kernel would not take back (the caller reports them; nothing is hidden).
    """
    restored = []
    unrestored = []
    for key, previous in reversed(changes):
        try:
            writer(key, previous, sys_root)
            now = reader(key, sys_root)
        except (SysctlWriteError, SysctlReadError, SysctlInputError) as error:
            unrestored.append({"key": key, "error": str(error)})
            continue
        if equivalent(key, now, previous):
            restored.append(key)
        else:
            unrestored.append({"key": key, "error": "reads %s after restoring %s" % (now, previous)})
    restored.reverse()
    unrestored.reverse()
    return restored, unrestored


def apply_live(steps, sys_root, writer=write_value, reader=read_value):
    """Write each step's target and read it back; returns ``[(key, previous)]`` written.

    On the first failure (the kernel refuses the write, or the value read back is not
    the value written) every key already changed, and the failing key itself if the
    kernel took part of it, is restored; raises _LiveApplyError saying what happened.
    """
    changes = []
    for step in steps:
        if not step["write"]:
            continue
        key, target, previous = step["key"], step["target"], step["before"]
        try:
            writer(key, target, sys_root)
            now = reader(key, sys_root)
            if not equivalent(key, now, target):
                raise SysctlWriteError(key, target, OSError(
                    0, "the kernel kept %r after %r was written" % (now, target)))
        except (SysctlWriteError, SysctlReadError, SysctlInputError) as error:
            to_restore = list(changes)
            current, _problem = _read_live(key, sys_root, reader)
            if current is not None and not equivalent(key, current, previous):
                to_restore.append((key, previous))
            restored, unrestored = rollback(to_restore, sys_root, writer, reader)
            raise _LiveApplyError(key, target, error, [k for k, _v in changes], restored, unrestored)
        changes.append((key, previous))
    return changes


# ---------------------------------------------------------------------------
# Precedence: does a file that wins at boot set one of our keys to something else?

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


# ---------------------------------------------------------------------------
# The runner.

def _validate_common(params):
    problems = []
    name = params.get("name")
    problem = _dropin.name_problem(name)
    if problem:
        problems.append(("name", problem))
    path = params.get("path")
    if path is None and not problem:
        path = _dropin.default_path(name)
    elif path is not None:
        problem = _dropin.path_problem(path)
        if problem:
            problems.append(("path", problem))
    state_dir = params.get("state_dir") or _state_record.DEFAULT_STATE_DIR
    problem = _state_record.state_dir_problem(state_dir)
    if problem:
        problems.append(("state_dir", problem))
    return name, path, state_dir, problems


def _empty_result(name, path, state):
    return {
        "changed": False,
        "profile": name,
        "state": state,
        "keys": {},
        "file": path,
        "file_changed": False,
        "record": None,
        "warnings": [],
        "shadowed": [],
        "findings": [],
    }


def validate(settings, proc="/proc", missing="fail", nat_facing="auto", run_command=None, which=None,
             reader=read_value):
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
            if key_problem(key) is not None:
                continue
            try:
                key_to_path(key, sys_root)
                live[key] = reader(key, sys_root)
            except SysctlInputError as error:
                extra.extend(error.problems)
            except SysctlReadError as error:
                extra.append((key, str(error)))
    validation = _validate.validate_settings(settings, context, live, missing)
    if extra:
        refused = set(key for key, _reason in validation.get("refusals", []))
        validation = dict(validation)
        validation["refusals"] = list(validation.get("refusals", [])) + [
            (key, reason) for key, reason in extra if key not in refused]
        for key, _reason in extra:
            validation.get("desired", {}).pop(key, None)
    return validation, live, context


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


def run(params, proc="/proc", root="/", check_mode=False, diff=False,
        writer=write_value, reader=read_value, run_command=None, which=None):
    """Apply (state=present) or remove (state=absent) a profile; returns the result dict.

    ``params`` holds the module options; ``run_command(argv) -> (rc, out, err)`` and
    ``which(name)`` are used for NAT detection only. Raises ProfileError, whose ``result`` is the
    partial result, when the profile is refused or cannot be applied.
    """
    state = params.get("state") or "present"
    name, path, state_dir, problems = _validate_common(params)
    result = _empty_result(name, path, state)
    if problems:
        raise ProfileError(str(SysctlInputError(problems)), result)
    real_state_dir = _dropin.host_path(state_dir, root)
    try:
        if state == "absent":
            return _run_absent(params, result, name, path, real_state_dir, proc, root, check_mode, diff,
                               writer, reader)
        return _run_present(params, result, name, path, real_state_dir, proc, root, check_mode, diff,
                            writer, reader, run_command, which)
    except ProfileError:
        raise
    except NetfleetError as error:
        # Lock timeouts, unusable records, drop-ins that are not ours; the partial result says what changed.
        raise ProfileError(str(error), result)


@contextlib.contextmanager
def _locked(real_state_dir, timeout, check_mode):
    lock_path = os.path.join(real_state_dir, LOCK_NAME)
    if check_mode:
        # Judge the state dir as a real run would, but create nothing.
        _state_record.check_dir(real_state_dir)
        with host_lock(lock_path, timeout, shared=True, create=False):
            yield
        return
    _state_record.ensure_dir(real_state_dir)
    with host_lock(lock_path, timeout):
        yield


def _key_result(step, persisted):
    after = step.get("after", step["target"] if step["status"] in (CHANGED, UNCHANGED) else step["before"])
    return {"before": step["before"], "after": after, "persisted": persisted,
            "status": step["status"], "reason": step["reason"]}


def _run_present(params, result, name, path, real_state_dir, proc, root, check_mode, diff,
                 writer, reader, run_command, which):
    settings = params.get("settings")
    if not isinstance(settings, dict) or not settings:
        raise ProfileError(str(SysctlInputError([("settings", "state=present needs a non-empty dict of settings")])),
                           result)
    persist = params.get("persist", True)
    sys_root = os.path.join(proc, "sys")
    validation, live, context = validate(
        settings, proc, params.get("missing") or "fail",
        params.get("nat_facing") or "auto", run_command, which, reader)
    result["findings"] = list(validation.get("findings", []))
    if validation.get("refusals"):
        _refused_result(result, settings, validation, live)
        raise ProfileError(str(SysctlInputError(validation["refusals"])), result)
    # validate_settings sorts; apply, diff and persist in the profile's own order.
    desired = _in_order(settings, validation.get("desired", {}))
    skipped = validation.get("skipped", {})
    warning = skipped_warning(settings, validation)
    if warning:
        result["warnings"].append(warning)
    result["warnings"].extend(item["message"] for item in result["findings"] if item["id"] == "value-leading-zero")

    if persist:
        # Refuse a file that is not ours before creating anything, even the state dir.
        problem = _dropin.ownership_problem(path, _dropin.read(path, root), name)
        if problem:
            raise ProfileError(problem, result)

    with _locked(real_state_dir, params.get("lock_timeout", 60), check_mode):
        # Under the lock: the state every decision below is made on.
        live_now = {}
        for key in desired:
            live_now[key], error = _read_live(key, sys_root, reader)
            if error is not None:
                raise ProfileError("cannot read %s: %s" % (key, error), result)
        record = _state_record.load(real_state_dir, name)
        if persist:
            existing = _dropin.read(path, root)
            problem = _dropin.ownership_problem(path, existing, name)
            if problem:
                raise ProfileError(problem, result)
        else:
            try:
                existing = _dropin.read(path, root)
            except _dropin.DropinError:
                existing = None
        steps = plan(desired, live_now)
        problem = read_only_problem(context, steps)
        if problem:
            raise ProfileError(problem, result)
        entries = persisted_entries(steps, desired)
        stale = None
        if persist:
            file_action, new_text = file_plan(name, path, existing, entries)
            recorded_path = record.get("path") if record else None
            if recorded_path and recorded_path != path:
                stale_text = _dropin.read(recorded_path, root)
                if stale_text is not None and _dropin.owner(stale_text) == name:
                    stale = recorded_path
        else:
            file_action, new_text = "unchanged", existing
        persisted = _dropin.entries_of(new_text) if (persist and new_text is not None) else {}
        if not persist and existing is not None and _dropin.owner(existing) == name:
            persisted = _dropin.entries_of(existing)
            for key, value in entries:
                if key in persisted and not equivalent(key, persisted[key], value):
                    result["warnings"].append(
                        "%s still persists %s = %s from an earlier run; persist=false leaves it alone, so a "
                        "reboot brings that value back" % (path, key, persisted[key]))

        keys = {}
        for step in steps:
            keys[step["key"]] = _key_result(step, persisted.get(step["key"]))
        for key, reason in skipped.items():
            keys[key] = {"before": live.get(key), "after": live.get(key), "persisted": None,
                         "status": SKIPPED, "reason": reason}
        result["keys"] = _in_order(settings, keys)
        writes = [step for step in steps if step["write"]]
        result["file_changed"] = file_action != "unchanged" or stale is not None
        result["file"] = path if persist else None
        result["changed"] = bool(writes) or result["file_changed"]
        if diff:
            result["diff"] = _present_diff(steps, path if persist else None, existing, new_text)

        if check_mode or not result["changed"]:
            result["record"] = _state_record.record_path(real_state_dir, name) if record else None
            _add_shadowing(result, path, entries, root, persist)
            return result

        with signals_deferred():
            old_persisted = _dropin.entries_of(existing) if existing is not None else {}
            _apply_present(result, name, path, real_state_dir, root, sys_root, steps, record,
                           file_action, new_text, stale, writer, reader, old_persisted, persist)
    _add_shadowing(result, path, entries, root, persist)
    return result


def skipped_warning(settings, validation):
    """One warning naming every key skipped as absent here, each with its reason; or None.

    A key skipped because it is already satisfied (tcp_tw_recycle=0 on a kernel that
    removed it, which validation reports as an info finding) is not a problem and is
    left out.
    """
    satisfied = set(finding.get("key") for finding in validation.get("findings", [])
                    if finding.get("id") == "tw-recycle-obsolete")
    absent = [(key, reason) for key, reason in _in_order(settings, validation.get("skipped", {})).items()
              if key not in satisfied]
    if not absent:
        return None
    return ("skipped %d key%s absent in this network namespace or kernel, neither applied nor persisted: %s"
            % (len(absent), "" if len(absent) == 1 else "s",
               "; ".join("%s (%s)" % (key, reason) for key, reason in absent)))


def _in_order(settings, keys):
    ordered = {}
    for key in settings:
        if key in keys:
            ordered[key] = keys[key]
    for key in keys:
        ordered.setdefault(key, keys[key])
    return ordered


def _present_diff(steps, path, existing, new_text):
    live_before = live_text((s["key"], s["before"]) for s in steps)
    live_after = live_text((s["key"], s["target"] if s["target"] is not None else s["before"]) for s in steps)
    diffs = [{"before_header": "live values (/proc/sys)", "after_header": "live values (/proc/sys)",
              "before": live_before, "after": live_after}]
    if path is not None:
        diffs.append({"before_header": path if existing is not None else "%s (absent)" % path,
                      "after_header": path, "before": existing or "", "after": new_text or ""})
    return diffs


def _restore_record(real_state_dir, name, previous):
    if previous is None:
        _state_record.delete(real_state_dir, name)
    else:
        _state_record.save(real_state_dir, name, previous)


def _fail_after_rollback(result, steps, message, applied, restored, unrestored, error_text,
                         sys_root, reader, failed_key=None, persisted=None):
    """Fill the per-key result after a rollback, then raise ProfileError with it."""
    left = dict((item["key"], item["error"]) for item in unrestored)
    persisted = persisted or {}
    for step in steps:
        key = step["key"]
        entry = result["keys"][key]
        entry["persisted"] = persisted.get(key)
        if key in left:
            now, _error = _read_live(key, sys_root, reader)
            entry.update(after=now, status=CHANGED, reason="could not be rolled back: %s" % left[key])
        elif key == failed_key:
            entry.update(after=step["before"], status=REFUSED, reason="the kernel refused it: %s" % error_text)
        elif key in restored:
            entry.update(after=step["before"], status=UNCHANGED,
                         reason="rolled back to %s after the failure" % step["before"])
        elif step["write"]:
            entry.update(after=step["before"], status=UNCHANGED, reason="not applied: an earlier step failed")
    result.update(applied=list(applied), restored=list(restored), unrestored=list(unrestored),
                  error=error_text, failed_key=failed_key, changed=bool(unrestored), file_changed=False)
    raise ProfileError(message, result)


def _apply_present(result, name, path, real_state_dir, root, sys_root, steps, record,
                   file_action, new_text, stale, writer, reader, old_persisted, persist):
    previous_record = copy.deepcopy(record)
    record = copy.deepcopy(record) if record else _state_record.new_record(name, None)
    _state_record.add_originals(record, dict((s["key"], s["before"]) for s in steps if s["write"]))
    if persist:
        record["path"] = path
    if record != previous_record:
        _state_record.save(real_state_dir, name, record)
    result["record"] = _state_record.record_path(real_state_dir, name)

    try:
        changes = apply_live(steps, sys_root, writer, reader)
    except _LiveApplyError as failure:
        _restore_record(real_state_dir, name, previous_record)
        _fail_after_rollback(
            result, steps,
            "%s %s = %s (%s); %d key(s) applied before it were rolled back%s" % (
                _refused_verb(failure.error), failure.key, failure.value, _error_text(failure.error), len(failure.applied),
                _unrestored_text(failure.unrestored)),
            failure.applied, failure.restored, failure.unrestored, _error_text(failure.error),
            sys_root, reader, failure.key, old_persisted)

    for step in steps:
        if step["write"]:
            result["keys"][step["key"]]["after"] = step["target"]

    if file_action != "unchanged":
        try:
            _dropin.write(path, new_text, root)
        except _dropin.DropinError as error:
            restored, unrestored = rollback(changes, sys_root, writer, reader)
            _restore_record(real_state_dir, name, previous_record)
            _fail_after_rollback(
                result, steps,
                "%s; the live values were rolled back so the host is as it was%s" % (
                    error, _unrestored_text(unrestored)),
                [k for k, _v in changes], restored, unrestored, str(error), sys_root, reader,
                None, old_persisted)
    if stale is not None:
        try:
            _dropin.remove(stale, root)
        except _dropin.DropinError as error:
            result["warnings"].append("could not remove the profile's previous drop-in: %s" % error)


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


def _refused_verb(error):
    if getattr(error, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "could not write"
    return "the kernel refused"


def _error_text(error):
    return getattr(error, "strerror", None) or str(error)


def _unrestored_text(unrestored):
    if not unrestored:
        return ""
    return "; could NOT restore: %s" % ", ".join("%s (%s)" % (u["key"], u["error"]) for u in unrestored)


def _add_shadowing(result, path, entries, root, persist):
    if not persist or not entries:
        return
    found = shadowing(path, entries, root)
    result["shadowed"] = found
    for item in found:
        result["warnings"].append(
            "%s sets %s = %s and wins over %s at boot (%s), so the persisted %s = %s does not "
            "survive a reboot; remove the key from that file or give it this profile's value there"
            % (item["file"], item["key"], item["value"], path, " and ".join(item["loaders"]),
               item["key"], item["ours"]))


# ---------------------------------------------------------------------------
# state=absent

def _run_absent(params, result, name, path, real_state_dir, proc, root, check_mode, diff, writer, reader):
    sys_root = os.path.join(proc, "sys")
    problem = _dropin.ownership_problem(path, _dropin.read(path, root), name)
    if problem:
        raise ProfileError(problem, result)
    with _locked(real_state_dir, params.get("lock_timeout", 60), check_mode):
        record = _state_record.load(real_state_dir, name)
        existing = _dropin.read(path, root)
        problem = _dropin.ownership_problem(path, existing, name)
        if problem:
            raise ProfileError(problem, result)
        removals = [path] if existing is not None else []
        recorded_path = record.get("path") if record else None
        if recorded_path and recorded_path != path and _dropin.path_problem(recorded_path) is None:
            other = _dropin.read(recorded_path, root)
            if other is not None and _dropin.owner(other) == name:
                removals.append(recorded_path)

        steps = []
        for key, original in (record or {}).get("originals", {}).items():
            problem = key_problem(key) or value_problem(original)
            step = {"key": key, "before": None, "target": None, "write": False}
            if problem:
                step.update(status=REFUSED, reason="the record holds an unusable entry: %s" % problem)
                steps.append(step)
                continue
            before, error = _read_live(key, sys_root, reader)
            step["before"] = before
            if error is not None or before is None:
                step.update(status=SKIPPED, reason="the key does not exist on this host any more")
            elif equivalent(key, before, original):
                step.update(target=before, status=UNCHANGED, reason="already at the recorded original value")
            else:
                step.update(target=normalize_text(original), write=True, status=CHANGED,
                            reason="restored to the value recorded before the profile first changed it")
            steps.append(step)

        result["keys"] = dict((s["key"], _key_result(s, None)) for s in steps)
        result["file"] = path
        result["file_changed"] = bool(removals)
        result["removed_files"] = removals
        result["changed"] = bool(removals) or any(s["write"] for s in steps) or record is not None
        result["record"] = _state_record.record_path(real_state_dir, name) if record else None
        if diff:
            result["diff"] = [
                {"before_header": "live values (/proc/sys)", "after_header": "live values (/proc/sys)",
                 "before": live_text((s["key"], s["before"]) for s in steps),
                 "after": live_text((s["key"], s["target"] if s["target"] is not None else s["before"])
                                    for s in steps)},
                {"before_header": path, "after_header": "%s (absent)" % path,
                 "before": existing or "", "after": ""},
            ]
        if check_mode or not result["changed"]:
            return result

        with signals_deferred():
            try:
                changes = apply_live(steps, sys_root, writer, reader)
            except _LiveApplyError as failure:
                _fail_after_rollback(
                    result, steps,
                    "the kernel refused to restore %s = %s (%s); %d key(s) restored before it were put back%s" % (
                        failure.key, failure.value, _error_text(failure.error), len(failure.applied),
                        _unrestored_text(failure.unrestored)),
                    failure.applied, failure.restored, failure.unrestored, _error_text(failure.error),
                    sys_root, reader, failure.key)
            for step in steps:
                if step["write"]:
                    result["keys"][step["key"]]["after"] = step["target"]
            for index, removal in enumerate(removals):
                try:
                    _dropin.remove(removal, root)
                except _dropin.DropinError as error:
                    if index == 0:
                        restored, unrestored = rollback(changes, sys_root, writer, reader)
                        _fail_after_rollback(
                            result, steps, "%s; the live values were put back as they were%s" % (
                                error, _unrestored_text(unrestored)),
                            [k for k, _v in changes], restored, unrestored, str(error), sys_root, reader)
                    result["warnings"].append(str(error))
            _state_record.delete(real_state_dir, name)
    return result
