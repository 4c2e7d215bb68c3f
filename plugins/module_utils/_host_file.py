# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded, non-blocking reads of configuration files on the managed host.

PRIVATE: internal to the netfleet.tcp collection.

A sysctl.d directory can hold anything named ``*.conf``: a FIFO (an open() for
reading waits for a writer forever), a link to /dev/zero (reads never end), a
device. As systemd-sysctl does, only regular files are read, symbolic links to
regular files included. The file is checked before it is opened, opened with
O_NONBLOCK and O_NOCTTY, checked again on the open descriptor (so a swap in
between changes nothing), and read up to ``limit`` bytes. Anything else raises
OSError with a message naming what the file is, which callers report as a
finding naming the file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

MAX_FILE_BYTES = 1024 * 1024


def _kind(mode):
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _refuse(path, mode):
    raise OSError(errno.EINVAL, "%s is %s, not a regular file; it is not read (a sysctl.d file must be a regular "
                                "file or a link to one)" % (path, _kind(mode)), path)


def read_regular(path, limit=MAX_FILE_BYTES):
    """The bytes of the regular file at ``path`` (links followed); OSError for anything else or > ``limit``."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        _refuse(path, info.st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            _refuse(path, info.st_mode)
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise OSError(errno.EFBIG, "%s is larger than %d bytes; it is not read" % (path, limit), path)
        return b"".join(chunks)
    finally:
        os.close(fd)
