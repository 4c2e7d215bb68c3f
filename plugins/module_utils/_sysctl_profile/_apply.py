# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_profile's side effects: live writes read back, rollback, and the failure report.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import contextlib
import errno
import signal
import threading

from ansible_collections.netfleet.tcp.plugins.module_utils import _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    NetfleetError,
    ProfileError,
    SysctlInputError,
    SysctlReadError,
    SysctlWriteError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value, write_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._plan import CHANGED, REFUSED, UNCHANGED
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent

# What a failed run did: keys applied before the failure, restored, not restored, the error.
Outcome = collections.namedtuple("Outcome", "applied restored unrestored error")


class LiveApplyError(NetfleetError):
    """A live write failed; every key written before it was rolled back (see ``unrestored``)."""

    def __init__(self, key, value, error, outcome):
        self.key = key
        self.value = value
        self.error = error
        self.outcome = outcome
        super(LiveApplyError, self).__init__(str(error))

    @property
    def applied(self):
        return self.outcome.applied

    @property
    def restored(self):
        return self.outcome.restored

    @property
    def unrestored(self):
        return self.outcome.unrestored


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


def read_one(key, sys_root, reader):
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
    kernel took part of it, is restored; raises LiveApplyError saying what happened.
    """
    changes = []
    for step in steps:
        if not step["write"]:
            continue
        key, target, previous = step["key"], step["target"], step["before"]
        try:
            writer(key, target, sys_root)
            now = reader(key, sys_root)
            if not _stuck(step, now):
                raise SysctlWriteError(key, target, OSError(
                    0, "the kernel kept %r after %r was written" % (now, target)))
            if "accept" in step:
                step["after"] = now
        except (SysctlWriteError, SysctlReadError, SysctlInputError) as error:
            to_restore = list(changes)
            current, _problem = read_one(key, sys_root, reader)
            if current is not None and not equivalent(key, current, previous):
                to_restore.append((key, previous))
            restored, unrestored = rollback(to_restore, sys_root, writer, reader)
            raise LiveApplyError(key, target, error, Outcome([k for k, _v in changes], restored, unrestored, None))
        changes.append((key, previous))
    return changes


def _stuck(step, now):
    """True when the read-back ``now`` is what writing the step's target should leave."""
    key = step["key"]
    if equivalent(key, now, step.get("after", step["target"])):
        return True
    return any(equivalent(key, now, text) for text in step.get("accept", ()))


def restore_record(real_state_dir, name, previous):
    if previous is None:
        _state_record.delete(real_state_dir, name)
    else:
        _state_record.save(real_state_dir, name, previous)


def fail_after_rollback(job, steps, message, outcome, failed_key=None, persisted=None):
    """Fill the per-key result after a rollback, then raise ProfileError with it."""
    result = job.result
    left = dict((item["key"], item["error"]) for item in outcome.unrestored)
    persisted = persisted or {}
    for step in steps:
        key = step["key"]
        entry = result["keys"][key]
        entry["persisted"] = persisted.get(key)
        if key in left:
            now, _error = read_one(key, job.sys_root, job.reader)
            entry.update(after=now, status=CHANGED, reason="could not be rolled back: %s" % left[key])
        elif key == failed_key:
            entry.update(after=step["before"], status=REFUSED, reason="the kernel refused it: %s" % outcome.error)
        elif key in outcome.restored:
            entry.update(after=step["before"], status=UNCHANGED,
                         reason="rolled back to %s after the failure" % step["before"])
        elif step["write"]:
            entry.update(after=step["before"], status=UNCHANGED, reason="not applied: an earlier step failed")
    result.update(applied=list(outcome.applied), restored=list(outcome.restored),
                  unrestored=list(outcome.unrestored), error=outcome.error, failed_key=failed_key,
                  changed=bool(outcome.unrestored), file_changed=False)
    raise ProfileError(message, result)


def live_failure_outcome(failure):
    """The Outcome of a LiveApplyError, with the kernel's error as text."""
    return failure.outcome._replace(error=error_text(failure.error))


def refused_verb(error):
    if getattr(error, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "could not write"
    return "the kernel refused"


def error_text(error):
    return getattr(error, "strerror", None) or str(error)


def unrestored_text(unrestored):
    if not unrestored:
        return ""
    return "; could NOT restore: %s" % ", ".join("%s (%s)" % (u["key"], u["error"]) for u in unrestored)
