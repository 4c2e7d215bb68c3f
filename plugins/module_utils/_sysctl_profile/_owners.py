# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which profile owns which key on this network stack, and explicit take-overs.

PRIVATE: internal to the netfleet.tcp collection.

One key, one owner. A profile owns every key it sets or keeps (``keys`` of its record)
and every key whose original value it holds (``originals``): it would restore that
key on ``state=absent``. Records written before ``keys`` existed own their originals
and the keys of their own drop-in.

A profile that wants a key another profile of the same stack owns is refused, in
check mode too, unless it lists the key in ``take_over``. Taking a key over moves it
whole: the previous owner's drop-in is rewritten without the key, its record loses
the key, and the original value it held moves to the new owner's record. Afterwards
exactly one drop-in sets the key, so the files give at boot what is live now, and
removing either profile, in either order, leaves each key as its remaining owner
wants it or, once both are gone, at the value it had before either profile.

Records of other stacks sharing the state dir (see _binding) own nothing here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _binding

_RECORD_NAME = re.compile(r"^sysctl_profile-([a-z0-9_-]+)\.json\Z")


def owned_keys(name, record, dropin_text):
    """The keys profile ``name`` owns according to its record (and, for old records, its drop-in)."""
    if not record:
        return set()
    keys = set(record.get("originals") or {})
    listed = record.get("keys")
    if isinstance(listed, dict):
        keys.update(listed)
    elif dropin_text is not None and _dropin.owner(dropin_text) == name:
        keys.update(_dropin.entries_of(dropin_text))
    return keys


def other_owners(job, here):
    """``{key: (profile, record)}`` for keys other profiles of this stack own; plus warnings."""
    owners, warnings = {}, []
    try:
        names = sorted(os.listdir(job.state_dir))
    except (IOError, OSError):
        return owners, warnings
    for file_name in names:
        match = _RECORD_NAME.match(file_name)
        if not match or match.group(1) == job.name:
            continue
        other = match.group(1)
        try:
            record = job.load_record(other)
        except _state_record.StateRecordError as error:
            warnings.append("cannot tell which keys profile %r owns: %s" % (other, error))
            continue
        path = _state_record.record_path(job.state_dir, other)
        if not record or _binding.problem(path, record.get("binding"), here) is not None:
            continue
        text = _read_text(job, record.get("path"))
        for key in owned_keys(other, record, text):
            owners[key] = (other, record)
    return owners, warnings


def _read_text(job, path):
    if not path or _dropin.path_problem(path) is not None:
        return None
    try:
        return job.read_dropin(path)
    except _dropin.DropinError:
        return None


def conflicts(job, keys, here):
    """``(refusals, moves, warnings)`` for the keys this run would own.

    ``refusals`` are ``[(key, reason)]`` for keys another profile owns and ``take_over``
    does not name; ``moves`` is ``{profile: (record, [keys])}`` for keys it does.
    """
    take_over = set(job.params.get("take_over") or ())
    owners, warnings = other_owners(job, here)
    refusals, moves = [], {}
    for key in keys:
        if key not in owners:
            continue
        other, record = owners[key]
        if key in take_over:
            moves.setdefault(other, (record, []))[1].append(key)
            continue
        refusals.append((key, "profile %r already manages it (%s); two profiles never set one key. List it in "
                              "take_over to move it to this profile (%r then stops setting it and its original "
                              "value moves here), or leave it out of one of them"
                         % (other, record.get("path") or "live only", other)))
    return refusals, moves, warnings


def take_over(job, moves):
    """What taking keys over changes: ``(originals, record changes, file changes, report)``.

    ``originals`` are the originals moved to this profile; record changes are
    ``[(profile, old, new)]``, file changes ``[(path, old text, new text)]``.
    """
    originals, records, files, report = {}, [], [], []
    for other, (record, keys) in sorted(moves.items()):
        new = copy.deepcopy(record)
        for key in keys:
            if key in (new.get("originals") or {}):
                originals[key] = new["originals"].pop(key)
            if isinstance(new.get("keys"), dict):
                new["keys"].pop(key, None)
        path = record.get("path")
        text = _read_text(job, path)
        if text is not None and _dropin.owner(text) == other:
            if not isinstance(new.get("keys"), dict):
                new["keys"] = dict((k, v) for k, v in _dropin.entries_of(text).items() if k not in keys)
            kept = [(k, v) for k, v in _dropin.entries_of(text).items() if k not in keys]
            files.append((path, text, _dropin.render_dropin(other, kept)))
        records.append((other, record, new))
        for key in keys:
            report.append({"key": key, "from": other, "file": path if text is not None else None})
    return originals, records, files, report
