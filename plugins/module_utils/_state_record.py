# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-profile record of original live values that state=absent restores.

PRIVATE: internal to the netfleet.tcp collection.

One JSON file per profile in the state directory (default /var/lib/netfleet-tcp,
mode 0700, owned by root), written atomically (temporary file, fsync, rename,
fsync of the directory) with mode 0600. The first run that changes a key records
the value it had before; later runs add keys they change for the first time and
never overwrite a recorded original. ``binding`` says which network stack the
record belongs to (see _sysctl_profile._binding); a record is used nowhere else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import stat

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._dropin import atomic_write

DEFAULT_STATE_DIR = "/var/lib/netfleet-tcp"
FORMAT = 1
MAX_RECORD_BYTES = 1024 * 1024


class StateRecordError(NetfleetError):
    """The state directory or a record in it is unusable (unsafe permissions, corrupt JSON)."""


def state_dir_problem(state_dir):
    """Why ``state_dir`` is not an acceptable option value, or None."""
    if not isinstance(state_dir, str) or not state_dir:
        return "state_dir must be a non-empty string"
    if not state_dir.startswith("/"):
        return "state_dir must be an absolute path"
    if os.path.normpath(state_dir) != state_dir or "//" in state_dir:
        return "state_dir must be normalised (no '..', '.', '//' or trailing '/')"
    if any(ord(char) < 32 or ord(char) == 127 for char in state_dir):
        return "state_dir contains a control character"
    return None


def record_path(state_dir, name):
    return os.path.join(state_dir, "sysctl_profile-%s.json" % name)


def check_dir(state_dir):
    """Refuse a state directory someone else could write to; True when it exists."""
    try:
        info = os.stat(state_dir)
    except (IOError, OSError) as error:
        if error.errno == errno.ENOENT:
            return False
        raise StateRecordError("cannot inspect state_dir %s: %s" % (state_dir, error.strerror or error))
    if not stat.S_ISDIR(info.st_mode):
        raise StateRecordError("state_dir %s is not a directory" % state_dir)
    if info.st_mode & 0o022:
        raise StateRecordError(
            "state_dir %s is writable by group or others (mode %04o); refusing to keep records "
            "there, make it 0700 or 0755 and owned by root" % (state_dir, stat.S_IMODE(info.st_mode)))
    if info.st_uid != os.geteuid():
        raise StateRecordError("state_dir %s is owned by uid %d, not by the user running this module (%d)"
                               % (state_dir, info.st_uid, os.geteuid()))
    return True


def ensure_dir(state_dir):
    """Create the state directory (mode 0700) when missing, then check it."""
    if not check_dir(state_dir):
        try:
            os.makedirs(state_dir, 0o700)
        except (IOError, OSError) as error:
            if error.errno != errno.EEXIST:
                raise StateRecordError("cannot create state_dir %s: %s" % (state_dir, error.strerror or error))
        check_dir(state_dir)


def new_record(name, path):
    return {"format": FORMAT, "profile": name, "path": path, "originals": {}}


def load(state_dir, name):
    """The profile's record, or None when the profile never changed anything here."""
    path = record_path(state_dir, name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise StateRecordError("cannot open record %s: %s" % (path, error.strerror or error))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StateRecordError("record %s is not a regular file; move it aside to start afresh" % path)
    try:
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_RECORD_BYTES + 1)
    except (IOError, OSError) as error:
        raise StateRecordError("cannot read record %s: %s" % (path, error.strerror or error))
    if len(data) > MAX_RECORD_BYTES:
        raise StateRecordError("record %s is larger than %d bytes" % (path, MAX_RECORD_BYTES))
    try:
        record = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise StateRecordError("record %s is not valid JSON (nested too deeply); move it aside to start afresh" % path)
    except ValueError as error:
        raise StateRecordError("record %s is not valid JSON (%s); move it aside to start afresh" % (path, error))
    problem = _shape_problem(record, name)
    if problem:
        raise StateRecordError("record %s %s; move it aside to start afresh" % (path, problem))
    return record


def _shape_problem(record, name):
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return "has an unknown format"
    if record.get("profile") != name:
        return "belongs to profile %r" % (record.get("profile"),)
    originals = record.get("originals")
    if not isinstance(originals, dict):
        return "has no originals mapping"
    for key, value in originals.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return "holds a non-text original for %r" % (key,)
    if not isinstance(record.get("path"), (str, type(None))):
        return "has a path that is not text"
    if not isinstance(record.get("binding"), (dict, type(None))):
        return "has a binding that is not a mapping"
    return None


def add_originals(record, originals):
    """Record ``{key: value}`` for keys not recorded yet; returns the keys added."""
    added = []
    for key, value in originals.items():
        if key not in record["originals"] and value is not None:
            record["originals"][key] = value
            added.append(key)
    return added


def save(state_dir, name, record):
    """Write the record atomically (mode 0600) in an existing, checked state_dir."""
    path = record_path(state_dir, name)
    text = json.dumps(record, indent=2, sort_keys=False) + "\n"
    try:
        atomic_write(path, text, mode=0o600, prefix=".sysctl_profile-")
    except (IOError, OSError) as error:
        raise StateRecordError("cannot write record %s: %s" % (path, error.strerror or error))


def delete(state_dir, name):
    path = record_path(state_dir, name)
    try:
        os.unlink(path)
    except (IOError, OSError) as error:
        if error.errno != errno.ENOENT:
            raise StateRecordError("cannot remove record %s: %s" % (path, error.strerror or error))
