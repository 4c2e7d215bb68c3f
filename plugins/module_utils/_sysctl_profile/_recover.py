# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first step of every run: undo what a killed run left half done, and remove its debris.

PRIVATE: internal to the netfleet.tcp collection.

A real run takes the host lock, undoes a journal a killed run left (see _journal) and
removes temporary files killed writers left, before it judges anything; a check-mode
run changes nothing, reports the same in ``recovery`` and plans on the host as the
real run will find it once the journal is undone. Both report the same thing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _binding, _journal
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._job import locked
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent


def _refuse_foreign(job, entry):
    here, _problem = job.binding(None)
    problem = _binding.problem(_journal.journal_path(job.state_dir), entry.get("binding"), here)
    if problem:
        raise ProfileError("a run interrupted in another network stack left its journal: %s" % problem.replace(
            "record ", "journal ", 1), job.result)


def _pending_changes(job, entry):
    """Live keys and files the undo of ``entry`` changes (read, not changed)."""
    keys = []
    for key, old in entry["live"]:
        now, _error = _read(job, key)
        if not equivalent(key, now, old):
            keys.append(key)
    files = []
    for path, old in entry["files"]:
        try:
            current = job.read_dropin(path)
        except Exception:  # pylint: disable=broad-except  # an unreadable drop-in is restored too
            current = False
        if current != old:
            files.append(path)
    return keys, files


def _read(job, key):
    try:
        return job.reader(key, job.sys_root), None
    except Exception as error:  # pylint: disable=broad-except  # reported by the undo itself
        return None, error


def _report(job, entry, keys, files, removed):
    if entry is None and not removed:
        return
    job.result["recovery"] = {
        "journal": _journal.journal_path(job.state_dir) if entry is not None else None,
        "profile": entry.get("profile") if entry is not None else None,
        "undone": sorted(keys),
        "files": sorted(files),
        "removed_temp_files": sorted(removed),
    }
    if keys or files:
        job.recovered = True
        job.result["warnings"].append(
            "a run of profile %r was interrupted part way; its changes were undone first (%s)" % (
                entry.get("profile"), ", ".join(sorted(keys) + sorted(files))))


def recover(job):
    """Undo a killed run's journal and clean debris (under the lock); check mode plans it only."""
    if not os.path.isdir(job.state_dir):
        return
    entry = _journal.read_journal(job.state_dir)
    debris = _journal.debris(job.state_dir, job.root)
    if entry is None and not debris:
        return
    if entry is not None:
        _refuse_foreign(job, entry)
    if job.check_mode:
        keys, files = _pending_changes(job, entry) if entry is not None else ([], [])
        job.pending = entry
        _report(job, entry, keys, files, debris)
        return
    with locked(job.state_dir, job.lock_timeout, False):
        entry = _journal.read_journal(job.state_dir)
        keys, files = [], []
        if entry is not None:
            _refuse_foreign(job, entry)
            keys, files = _pending_changes(job, entry)
            _undone, problems = _journal.undo(entry, job.state_dir, job.sys_root, job.root, job.writer, job.reader)
            if problems:
                raise ProfileError("a run of profile %r was interrupted and its changes cannot be undone: %s; nothing "
                                   "else was changed and the journal %s is kept for the next run" % (
                                       entry.get("profile"), "; ".join(problems),
                                       _journal.journal_path(job.state_dir)), job.result)
            _journal.end_journal(job.state_dir)
        removed = _journal.clean(_journal.debris(job.state_dir, job.root))
    _report(job, entry, keys, files, removed)
