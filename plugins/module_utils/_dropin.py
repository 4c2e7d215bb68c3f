# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drop-in file sysctl_profile owns: where it may live, what it says, how it is written.

PRIVATE: internal to the netfleet.tcp collection.

A drop-in is ours when its first line is the managed-by header naming the
profile. Anything else at the chosen path belongs to somebody else and is
never edited, overwritten or removed. Writes are atomic: a temporary file in
the same directory, fsync, rename over the target, fsync of the directory.
Every function that touches the file system takes ``root`` so tests run on a
fake tree; paths given by the user are always host paths (``/etc/sysctl.d/...``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import re
import stat
import tempfile

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._host_file import read_regular
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text

# Directories systemd-sysctl and procps read drop-ins from that a user may write to.
# /usr/lib/sysctl.d belongs to the distribution's packages and is never written.
ALLOWED_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d")
DEFAULT_DIR = "/etc/sysctl.d"
# "99-zz-" sorts after 99-sysctl.conf (the link to /etc/sysctl.conf), so the
# profile's values win at boot over /etc/sysctl.conf under systemd-sysctl.
DEFAULT_TEMPLATE = "99-zz-netfleet-tcp-%s.conf"
# \Z, not $: "$" also matches before a trailing newline, which would reach the file name.
NAME_PATTERN = re.compile(r"^[a-z0-9_-]+\Z")
MAX_NAME_LENGTH = 64
_BASENAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.conf\Z")
_OWNER = re.compile(r"^# Managed by netfleet\.tcp sysctl_profile, profile ([a-z0-9_-]+)\s*$")
HEADER = (
    "# Managed by netfleet.tcp sysctl_profile, profile %s\n"
    "# Do not edit: the next run of this profile overwrites this file.\n"
    "# Remove it with netfleet.tcp.sysctl_profile state=absent, which also restores the live values.\n"
)


class DropinError(NetfleetError):
    """The drop-in could not be read, written or removed, or is not ours to touch."""


def name_problem(name):
    """Why ``name`` is not an acceptable profile id, or None."""
    if not isinstance(name, str) or not name:
        return "profile name must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH:
        return "profile name is longer than %d characters" % MAX_NAME_LENGTH
    if not NAME_PATTERN.match(name):
        return "profile name %r may only hold lowercase letters, digits, '_' and '-'" % name
    return None


def default_path(name):
    """The drop-in a profile writes when no path is given."""
    return os.path.join(DEFAULT_DIR, DEFAULT_TEMPLATE % name)


def path_problem(path):
    """Why ``path`` is not a drop-in this module may write, or None.

    It must be absolute, normalised (no ``..``, ``.`` or ``//``), sit directly in
    one of ALLOWED_DIRS and have a plain file name ending in ``.conf``.
    """
    if not isinstance(path, str) or not path:
        return "path must be a non-empty string"
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return "path contains a control character"
    if not path.startswith("/"):
        return "path must be absolute"
    if os.path.normpath(path) != path or "//" in path:
        return "path must be normalised (no '..', '.', '//' or trailing '/')"
    directory, basename = os.path.split(path)
    if directory not in ALLOWED_DIRS:
        return "path must be a file directly in one of %s" % ", ".join(ALLOWED_DIRS)
    if not _BASENAME.match(basename):
        return ("file name %r must end in .conf and hold only letters, digits, '_', '.', '+' and '-'"
                " (sysctl.d ignores other names)" % basename)
    return None


def host_path(path, root="/"):
    """Where a host path lives under ``root`` (the real file system when root is '/')."""
    if root in ("", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


def render_dropin(name, entries):
    """The drop-in text: the header naming the profile, then one ``key = value`` line per entry."""
    lines = [HEADER % name]
    for key, value in entries:
        lines.append("%s = %s\n" % (key, value))
    return "".join(lines)


def owner(text):
    """The profile named by a managed-by header on the first line, or None."""
    first = text.split("\n", 1)[0]
    match = _OWNER.match(first)
    return match.group(1) if match else None


def entries_of(text):
    """``{key: normalised value}`` of a drop-in this module wrote.

    Only needs to understand our own rendering plus whitespace edits; parsing
    sysctl.d files in general is _sysctl_conf's job.
    """
    result = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("-"):
            stripped = stripped[1:]
        key, sep, value = stripped.partition("=")
        if not sep:
            continue
        result[key.strip()] = normalize_text(value)
    return result


def read(path, root="/"):
    """Return the drop-in's text, or None when there is no file at ``path``.

    Refuses a symbolic link or anything that is not a regular file: a link could
    point the write elsewhere, and neither can be ours.
    """
    real = host_path(path, root)
    try:
        info = os.lstat(real)
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise DropinError("cannot inspect %s: %s" % (path, error.strerror or error))
    if stat.S_ISLNK(info.st_mode):
        raise DropinError("%s is a symbolic link; it is not a file this module wrote, refusing to touch it" % path)
    if not stat.S_ISREG(info.st_mode):
        raise DropinError("%s is not a regular file; refusing to touch it" % path)
    try:
        data = read_regular(real)
    except (IOError, OSError) as error:
        raise DropinError("cannot read %s: %s" % (path, (error.strerror or str(error)).replace(real, path)))
    return data.decode("utf-8", "replace")


def ownership_problem(path, text, name):
    """Why the existing file at ``path`` must not be touched by profile ``name``, or None."""
    if text is None:
        return None
    found = owner(text)
    if found is None:
        return ("%s exists and is not managed by netfleet.tcp (no managed-by header); "
                "refusing to overwrite or remove it, choose another path" % path)
    if found != name:
        return ("%s belongs to profile %r, not %r; refusing to touch it, choose another path"
                % (path, found, name))
    return None


def fsync_dir(directory):
    """fsync a directory so a rename or unlink in it survives a power cut (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (IOError, OSError):
        return
    try:
        os.fsync(fd)
    except (IOError, OSError):
        pass
    finally:
        os.close(fd)


def atomic_write(real_path, data, mode=0o644, chown_root=True, prefix=".netfleet-tcp-"):
    """Replace ``real_path`` with ``data`` (bytes or text) atomically.

    A reader sees the old file or the new one, never a mix: temporary file in
    the same directory (mode set before any content goes in), fsync, rename,
    fsync of the directory. Raises OSError/IOError; the temporary file is
    removed on failure. The temporary file is flock'ed while it exists, so a
    cleaner (_sysctl_profile._journal.clean) can tell one a killed writer left
    behind (lock free) from one being written.
    """
    if not isinstance(data, bytes):
        data = data.encode("utf-8")
    directory = os.path.dirname(real_path)
    fd, temp = _locked_temp(directory, prefix)
    try:
        os.fchmod(fd, mode)
        if chown_root and os.geteuid() == 0:
            os.fchown(fd, 0, 0)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        # Rename while the flock is held: the temporary name is never lock-free while it exists.
        os.rename(temp, real_path)
        temp = None
        fsync_dir(directory)
    finally:
        os.close(fd)
        if temp is not None:
            try:
                os.unlink(temp)
            except (IOError, OSError):
                pass


def _locked_temp(directory, prefix):
    """A new temporary file in ``directory`` whose flock this process holds: ``(fd, path)``."""
    while True:
        fd, temp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd, temp
        except (IOError, OSError):
            # A cleaner took it between mkstemp and flock and is removing it: take another name.
            os.close(fd)


def write(path, text, root="/"):
    """Write the drop-in atomically, mode 0644 owned by root; DropinError on failure."""
    real = host_path(path, root)
    directory = os.path.dirname(real)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        atomic_write(real, text, mode=0o644)
    except (IOError, OSError) as error:
        raise DropinError("cannot write %s: %s" % (path, error.strerror or error))


def remove(path, root="/"):
    """Remove the drop-in (a missing file is fine); DropinError on failure."""
    real = host_path(path, root)
    try:
        os.unlink(real)
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return
        raise DropinError("cannot remove %s: %s" % (path, error.strerror or error))
    fsync_dir(os.path.dirname(real))


# Every directory systemd-sysctl or procps reads drop-ins from, highest precedence first:
# a file masks every file of the same name in the directories after its own.
READ_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


def _same_named(path, root):
    """``[(directory, host path)]`` of files named like ``path`` in the other READ_DIRS."""
    directory, basename = os.path.split(path)
    found = []
    seen = set([os.path.realpath(host_path(path, root))])
    for other in READ_DIRS:
        if other == directory:
            continue
        candidate = host_path(os.path.join(other, basename), root)
        if os.path.lexists(candidate) and not (os.path.isdir(candidate) and not os.path.islink(candidate)):
            real = os.path.realpath(candidate)
            if real in seen:
                continue  # /lib/sysctl.d is /usr/lib/sysctl.d on merged-/usr systems
            seen.add(real)
            found.append((other, candidate))
    return found


def placement_problem(path, name, root="/"):
    """Why writing the drop-in at ``path`` would mask or be masked by another file, or None.

    A same-named file in a directory read earlier masks ours (it would never be read at
    boot); one in a directory read later is masked by ours (Debian's
    /usr/lib/sysctl.d/99-protect-links.conf hardening would be gone). A file this
    profile wrote itself (an earlier path) is not a conflict: it is removed.
    """
    directory = os.path.dirname(path)
    problems = []
    for other, candidate in _same_named(path, root):
        try:
            head = read_regular(candidate).decode("utf-8", "replace")
        except (IOError, OSError):
            head = ""
        if owner(head) == name:
            continue
        shown = os.path.join(other, os.path.basename(path))
        if READ_DIRS.index(other) < READ_DIRS.index(directory):
            problems.append("%s masks it: systemd-sysctl and 'sysctl --system' read only the first file of a name, "
                            "in %s order, so the drop-in would never be applied at boot" % (
                                shown, ", ".join(READ_DIRS)))
        else:
            problems.append("it would mask %s: systemd-sysctl and 'sysctl --system' read only the first file of a "
                            "name, so every setting of that file would be lost at the next boot" % shown)
    if not problems:
        return None
    return "refusing to write %s: %s; choose another file name (path)" % (path, "; ".join(problems))


def placement(path, root="/"):
    """Where the drop-in sorts among the host's sysctl.d files (systemd-sysctl order, by file name).

    ``{"position": n (1-based), "of": total, "after": path or None, "before": path or None}``.
    """
    names = {}
    for directory in reversed(READ_DIRS):
        try:
            listed = os.listdir(host_path(directory, root))
        except (IOError, OSError):
            continue
        for basename in listed:
            if basename.endswith(".conf"):
                names[basename] = os.path.join(directory, basename)
    names[os.path.basename(path)] = path
    ordered = sorted(names)
    index = ordered.index(os.path.basename(path))
    return {
        "position": index + 1,
        "of": len(ordered),
        "after": names[ordered[index - 1]] if index > 0 else None,
        "before": names[ordered[index + 1]] if index + 1 < len(ordered) else None,
    }
