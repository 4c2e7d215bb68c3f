# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write-ahead journal that makes a killed run's changes all-or-nothing, and debris cleanup.

PRIVATE: internal to the netfleet.tcp collection.

Before a run changes anything it writes ``sysctl_profile.journal`` in the state dir
(atomically, mode 0600): every live value it is about to write with the value it
replaces, every drop-in it is about to write or remove with its old text (None: it did
not exist), and every record it is about to save or delete with the old record. Only
then does it change the host, and it removes the journal once everything is done.

A run killed in between (SIGKILL, a power cut) leaves the journal behind. The next run
of any profile in that state dir, under the host lock and before it judges anything,
undoes it: old live values written back and read again, old drop-ins and records put
back. So after that run the host is wholly as it was before the killed run or, once the
new run has applied, wholly new; never a mix. A check-mode run changes nothing: it
plans as if the journal had been undone (see ``Job``) and reports what the real run
will undo in ``recovery``.

Temporary files an atomic write leaves when killed (``.netfleet-tcp-*.tmp`` in the
drop-in directories, ``.sysctl_profile-*.tmp`` in the state dir) are removed by the
same step. A writer holds an flock on its temporary file, so a file whose lock can be
taken belongs to a dead process (see _dropin.atomic_write).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import json
import os
import stat

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    SysctlInputError,
    SysctlReadError,
    SysctlWriteError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._host_file import read_regular
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent

JOURNAL_NAME = "sysctl_profile.journal"
FORMAT = 1
TEMP_PREFIXES = (".netfleet-tcp-", ".sysctl_profile-")
TEMP_SUFFIX = ".tmp"


def journal_path(state_dir):
    return os.path.join(state_dir, JOURNAL_NAME)


def _shape_problem(entry):
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return "has an unknown format"
    for field, width in (("live", 2), ("files", 2), ("records", 2)):
        items = entry.get(field)
        if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == width for i in items):
            return "has no usable %s list" % field
    for key, old in entry["live"]:
        if not isinstance(key, str) or not isinstance(old, str):
            return "holds a non-text live value for %r" % (key,)
    for path, old in entry["files"]:
        if _dropin.path_problem(path) is not None or not isinstance(old, (str, type(None))):
            return "holds an unusable drop-in entry %r" % (path,)
    for name, old in entry["records"]:
        if _dropin.name_problem(name) is not None or not isinstance(old, (dict, type(None))):
            return "holds an unusable record entry %r" % (name,)
    if not isinstance(entry.get("binding"), (dict, type(None))):
        return "has a binding that is not a mapping"
    return None


def read_journal(state_dir):
    """The journal a killed run left in ``state_dir``, or None; StateRecordError when unusable."""
    path = journal_path(state_dir)
    try:
        info = os.lstat(path)
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise _state_record.StateRecordError("cannot inspect journal %s: %s" % (path, error.strerror or error))
    if not stat.S_ISREG(info.st_mode):
        raise _state_record.StateRecordError("journal %s is not a regular file; move it aside" % path)
    try:
        entry = json.loads(read_regular(path, _state_record.MAX_RECORD_BYTES * 8).decode("utf-8"))
    except (IOError, OSError, ValueError, RecursionError) as error:
        raise _state_record.StateRecordError(
            "journal %s of an interrupted run is unreadable (%s); nothing was changed. Compare the live values "
            "with the drop-ins, then move it aside" % (path, error))
    problem = _shape_problem(entry)
    if problem:
        raise _state_record.StateRecordError("journal %s %s; nothing was changed, move it aside" % (path, problem))
    return entry


def write_journal(state_dir, entry):
    """Write the journal (before any change); ``entry`` holds ``live``, ``files``, ``records``, ``binding``."""
    entry = dict(entry, format=FORMAT)
    text = json.dumps(entry, indent=1, sort_keys=True) + "\n"
    try:
        _dropin.atomic_write(journal_path(state_dir), text, mode=0o600, prefix=TEMP_PREFIXES[1])
    except (IOError, OSError) as error:
        raise _state_record.StateRecordError("cannot write journal %s: %s; nothing was changed" % (
            journal_path(state_dir), error.strerror or error))


def end_journal(state_dir):
    """Remove the journal: the run's changes are complete (or undone)."""
    try:
        os.unlink(journal_path(state_dir))
    except (IOError, OSError) as error:
        if error.errno != errno.ENOENT:
            raise _state_record.StateRecordError("cannot remove journal %s: %s" % (
                journal_path(state_dir), error.strerror or error))
    _dropin.fsync_dir(state_dir)


def undo(entry, state_dir, sys_root, root, writer, reader):
    """Put back what ``entry`` says was there; returns ``(undone keys, problems)``.

    Live values first (each verified by reading it again), then drop-ins, then records.
    Every part is tried even when an earlier one fails; the journal, which the caller
    keeps when anything failed, still holds all of it for the next attempt.
    """
    undone, problems = [], []
    for key, old in reversed(entry["live"]):
        try:
            if not equivalent(key, reader(key, sys_root), old):
                writer(key, old, sys_root)
                now = reader(key, sys_root)
                if not equivalent(key, now, old):
                    problems.append("%s reads %s after restoring %s" % (key, now, old))
                    continue
                undone.append(key)
        except (SysctlWriteError, SysctlReadError, SysctlInputError) as error:
            problems.append("%s: %s" % (key, error))
    for path, old in entry["files"]:
        try:
            if old is None:
                if os.path.lexists(_dropin.host_path(path, root)):
                    _dropin.remove(path, root)
            elif _dropin.read(path, root) != old:
                _dropin.write(path, old, root)
        except _dropin.DropinError as error:
            problems.append(str(error))
    for name, old in entry["records"]:
        try:
            if old is None:
                _state_record.delete(state_dir, name)
            else:
                _state_record.save(state_dir, name, old)
        except _state_record.StateRecordError as error:
            problems.append(str(error))
    return undone, problems


def _lock_free(path):
    """True when nobody holds the temporary file's flock (its writer died)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except (IOError, OSError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (IOError, OSError):
        os.close(fd)
        return False
    return fd


def debris(state_dir, root):
    """Host paths of temporary files killed writers left in the state dir and the drop-in directories."""
    found = []
    directories = [state_dir] + [_dropin.host_path(d, root) for d in _dropin.ALLOWED_DIRS]
    for directory in directories:
        try:
            names = sorted(os.listdir(directory))
        except (IOError, OSError):
            continue
        for name in names:
            if name.endswith(TEMP_SUFFIX) and name.startswith(TEMP_PREFIXES):
                path = os.path.join(directory, name)
                if stat.S_ISREG(os.lstat(path).st_mode):
                    found.append(path)
    return found


def clean(paths):
    """Remove the temporary files among ``paths`` whose writer is gone; returns those removed."""
    removed = []
    for path in paths:
        fd = _lock_free(path)
        if fd is False:
            continue
        try:
            os.unlink(path)
            removed.append(path)
        except (IOError, OSError):
            pass
        finally:
            os.close(fd)
    for directory in sorted(set(os.path.dirname(p) for p in removed)):
        _dropin.fsync_dir(directory)
    return removed
