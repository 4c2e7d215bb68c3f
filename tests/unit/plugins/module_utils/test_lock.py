"""The host lock: exclusive between runs, shared for check mode, bounded wait."""

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._lock import LockError, LockTimeout, host_lock

HOLDER = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def _hold(path, seconds):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, path, str(seconds)], stdout=subprocess.PIPE)
    assert process.stdout.readline().strip() == b"held"
    return process


def test_exclusive_lock_times_out_with_a_clear_error(tmp_path):
    path = str(tmp_path / "sysctl_profile.lock")
    holder = _hold(path, 5)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeout, match="held the lock .* more than 0.3 seconds; nothing was changed"):
            with host_lock(path, timeout=0.3):
                pytest.fail("entered a lock another process holds")
        assert time.monotonic() - started < 3
    finally:
        holder.kill()
        holder.wait()


def test_waits_for_the_holder_then_enters(tmp_path):
    path = str(tmp_path / "sysctl_profile.lock")
    holder = _hold(path, 0.5)
    try:
        with host_lock(path, timeout=10) as fd:
            assert fd is not None
            assert holder.poll() is not None  # the holder finished first
    finally:
        holder.wait()


def test_lock_is_released_and_reentrant_in_sequence(tmp_path):
    path = str(tmp_path / "l")
    with host_lock(path, timeout=0):
        pass
    with host_lock(path, timeout=0):
        pass
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)


def test_shared_lock_without_a_file_creates_nothing(tmp_path):
    path = str(tmp_path / "missing" / "l")
    with host_lock(path, timeout=0, shared=True, create=False) as fd:
        assert fd is None
    assert not os.path.exists(str(tmp_path / "missing"))


def test_shared_lock_waits_for_a_writer(tmp_path):
    path = str(tmp_path / "l")
    holder = _hold(path, 5)
    try:
        with pytest.raises(LockTimeout):
            with host_lock(path, timeout=0.2, shared=True, create=False):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_symlinked_lock_file_is_refused(tmp_path):
    os.symlink(str(tmp_path / "target"), str(tmp_path / "l"))
    with pytest.raises(LockError, match="symbolic link"):
        with host_lock(str(tmp_path / "l"), timeout=0):
            pass
    assert not os.path.exists(str(tmp_path / "target"))
