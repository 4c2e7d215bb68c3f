# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enter another network namespace from a worker thread, standard library only.

PRIVATE: internal to the netfleet.tcp collection.

``setns(2)`` with CLONE_NEWNET moves only the calling thread (os.setns arrives in
Python 3.12; before that ctypes calls the C library's setns). The module's main
thread never moves: a worker thread joins each namespace in turn and ends with the
pass. Everything the census needs follows the thread: netlink sockets belong to the
namespace of the thread that creates them, /proc/sys/net resolves against it, and
/proc/thread-self/net is its /proc/net.

A reference to a namespace (``/proc/PID/ns/net``, ``/run/netns/NAME``) is opened only
when its turn comes and checked against the inode found before, so a namespace that
disappeared in between is reported as gone, and a recycled PID cannot substitute
another namespace.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import threading

CLONE_NEWNET = 0x40000000
THREAD_NET = "/proc/thread-self"


class NamespaceGone(Exception):
    """Every reference to the namespace has gone: it no longer exists."""


class CannotEnter(Exception):
    """The namespace exists but this process may not open or join it."""


def setns_function():
    """``(setns(fd), None)``, or ``(None, reason)`` when this Python cannot call setns."""
    if hasattr(os, "setns"):  # Python 3.12+
        return (lambda fd: os.setns(fd, CLONE_NEWNET)), None
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.setns
    except (ImportError, OSError, AttributeError) as error:
        return None, "setns(2) is not reachable from Python here (%s)" % error

    def setns(fd):
        if call(fd, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
    return setns, None


def references(proc, namespace):
    """Paths that reference ``namespace`` (``{names, mounts, pids}``), names first."""
    paths = [os.path.join("/run/netns", name) for name in namespace.get("names", ())]
    paths.extend(namespace.get("mounts", ()))
    paths.extend(os.path.join(proc, str(pid), "ns", "net") for pid in namespace.get("pids", ()))
    return paths


def open_namespace(paths, inode):
    """An fd of the namespace with ``inode`` through the first reference that still holds it.

    Raises NamespaceGone when no reference leads to it any more, CannotEnter (with the
    reason) when one exists but cannot be opened.
    """
    denied = None
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM):
                denied = "cannot open %s: %s" % (path, error.strerror)
            continue
        try:
            if os.fstat(fd).st_ino == inode:
                return fd
        except OSError:
            pass
        os.close(fd)
    if denied:
        raise CannotEnter(denied)
    raise NamespaceGone("no process, name or mount references it any more")


def run_in_thread(func, *args):
    """Call ``func(*args)`` in a new thread and return its value (or raise its exception).

    The thread is free to join other namespaces: it ends with the call.
    """
    box = {}

    def worker():
        try:
            box["value"] = func(*args)
        except BaseException as error:  # re-raised in the caller's thread
            box["error"] = error

    thread = threading.Thread(target=worker, name="netfleet-netns")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
