# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run's changes as a journaled transaction: records, drop-ins and their undo.

PRIVATE: internal to the netfleet.tcp collection.

``begin_transaction`` writes the journal (see _journal) from the run's ``records`` (``[(profile, old,
new)]``), ``files`` (``[(path, old text, new text)]``, None for "absent") and ``live``
(``[(key, old value)]``); the caller then saves the records, writes the live values and
the files, and ends the journal. A failure the run catches is undone from the same
journal entry the next run would use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _journal


def begin_transaction(job, state, records, files, live):
    """Write the journal of the changes about to be made; returns its entry."""
    here, _problem = job.binding(None)
    entry = {
        "profile": job.name,
        "state": state,
        "binding": here,
        "live": [[key, old] for key, old in live],
        "files": [[path, old] for path, old, _new in files],
        "records": [[name, old] for name, old, _new in records],
    }
    _journal.write_journal(job.state_dir, entry)
    return entry


def save_records(job, records):
    for name, old, new in records:
        if new == old:
            continue
        if new is None:
            _state_record.delete(job.state_dir, name)
        else:
            _state_record.save(job.state_dir, name, new)


def write_files(job, files):
    """Write or remove each drop-in; DropinError on the first that fails."""
    for path, _old, new in files:
        if new is None:
            _dropin.remove(path, job.root)
        else:
            _dropin.write(path, new, job.root)


def undo_or_keep(job, entry):
    """Undo a failed run's drop-ins and records from its journal entry; keep the journal if that fails."""
    _undone, problems = _journal.undo(entry, job.state_dir, job.sys_root, job.root, job.writer, job.reader)
    if problems:
        job.result["warnings"].append(
            "could not undo everything (%s); the journal %s is kept and the next run tries again"
            % ("; ".join(problems), _journal.journal_path(job.state_dir)))
        return
    _journal.end_journal(job.state_dir)
