# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host-wide lock so two runs that change sysctls on one host never interleave.

PRIVATE: internal to the netfleet.tcp collection.

The lock is an ``fcntl.flock`` on a file in the state directory. flock locks
belong to the open file description, so the kernel drops them when the process
dies, however it dies: a killed run never leaves a stale lock behind.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import os
import time

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError

LOCK_NAME = "sysctl_profile.lock"
POLL_INTERVAL = 0.05


class LockTimeout(NetfleetError):
    """Another run held the lock for longer than the caller was willing to wait."""

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        super(LockTimeout, self).__init__(
            "another sysctl_profile run on this host held the lock %s for more than %s seconds; "
            "nothing was changed, run again once it has finished (or raise lock_timeout)"
            % (path, timeout)
        )


class LockError(NetfleetError):
    """The lock file could not be opened (permissions, a symbolic link planted in its place)."""


def _open(path, shared, create):
    flags = os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    if shared and not create:
        flags |= os.O_RDONLY
    else:
        flags |= os.O_RDWR | (os.O_CREAT if create else 0)
    try:
        return os.open(path, flags, 0o600)
    except (IOError, OSError) as error:
        if error.errno == errno.ENOENT and not create:
            return None
        if error.errno == errno.ELOOP:
            raise LockError("lock file %s is a symbolic link; refusing to follow it" % path)
        raise LockError("cannot open lock file %s: %s" % (path, error.strerror or error))


@contextlib.contextmanager
def host_lock(path, timeout=60, shared=False, create=True, clock=time.monotonic, sleep=time.sleep):
    """Hold an flock on ``path`` for the duration of the ``with`` block.

    ``shared=True`` takes a shared lock (readers such as a check-mode run); with
    ``create=False`` a missing lock file means nobody ever changed anything, so
    the block runs without a lock and nothing is created. Waits at most
    ``timeout`` seconds, then raises LockTimeout.
    """
    fd = _open(path, shared, create)
    if fd is None:
        yield None
        return
    operation = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
    deadline = clock() + max(0, timeout)
    try:
        while True:
            try:
                fcntl.flock(fd, operation)
                break
            except (IOError, OSError) as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise LockError("cannot lock %s: %s" % (path, error.strerror or error))
                if clock() >= deadline:
                    raise LockTimeout(path, timeout)
                sleep(POLL_INTERVAL)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
