# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One sysctl_profile run: its arguments, roots, mode, injected I/O and the result it builds.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import is_initial_netns
from ansible_collections.netfleet.tcp.plugins.module_utils._lock import LOCK_NAME, host_lock
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value, write_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _binding


class Job(object):
    """What every step of a run needs, passed as one object.

    ``params`` are the module options; ``name``, ``path`` and ``state_dir`` the validated
    profile id, drop-in path and record directory (``state_dir`` as seen on the host,
    under ``root``); ``proc`` and ``root`` the trees read and written; ``writer`` /
    ``reader`` the /proc/sys I/O (injectable for tests); ``run_command`` and ``which``
    serve NAT detection only. ``result`` is filled as the run goes.
    """

    def __init__(self, params, result, *, name, path, state_dir, proc="/proc", root="/", check_mode=False,
                 diff=False, writer=write_value, reader=read_value, run_command=None, which=None):
        self.params = params
        self.result = result
        self.name = name
        self.path = path
        self.state_dir = state_dir
        self.proc = proc
        self.root = root
        self.check_mode = check_mode
        self.diff = diff
        self.writer = writer
        self.reader = reader
        self.run_command = run_command
        self.which = which
        # A killed run's journal, in check mode only: reads see the host as the real run will after undoing it.
        self.pending = None
        # Whether the recovery step undid a killed run's changes (the run then reports a change).
        self.recovered = False

    def read_live(self, key, sys_root=None):
        """The live value of ``key`` (the journal's old value while one is pending in check mode)."""
        if self.pending is not None:
            for journaled, old in self.pending["live"]:
                if journaled == key:
                    return old
        return self.reader(key, sys_root or self.sys_root)

    def read_dropin(self, path):
        if self.pending is not None:
            for journaled, old in self.pending["files"]:
                if journaled == path:
                    return old
        return _dropin.read(path, self.root)

    def load_record(self, name):
        if self.pending is not None:
            for journaled, old in self.pending["records"]:
                if journaled == name:
                    return old
        return _state_record.load(self.state_dir, name)

    @property
    def sys_root(self):
        return os.path.join(self.proc, "sys")

    def binding(self, record):
        """The binding of the stack this run changes, and the problem using ``record`` here, if any."""
        here = _binding.current(self.proc, self.root, is_initial_netns(self.proc))
        recorded = record.get("binding") if record else None
        return here, _binding.problem(_state_record.record_path(self.state_dir, self.name), recorded, here)

    @property
    def lock_timeout(self):
        return self.params.get("lock_timeout", 60)


@contextlib.contextmanager
def locked(state_dir, timeout, check_mode):
    """Hold the host lock in ``state_dir``: shared and creating nothing in check mode."""
    lock_path = os.path.join(state_dir, LOCK_NAME)
    if check_mode:
        # Judge the state dir as a real run would, but create nothing.
        _state_record.check_dir(state_dir)
        with host_lock(lock_path, timeout, shared=True, create=False):
            yield
        return
    _state_record.ensure_dir(state_dir)
    with host_lock(lock_path, timeout):
        yield
