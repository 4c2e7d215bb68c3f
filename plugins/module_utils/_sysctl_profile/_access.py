# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only and write-only keys in a profile, and the kernel's tick rate for rounded keys.

PRIVATE: internal to the netfleet.tcp collection.

A read-only key (no write bit on its /proc/sys file here, or listed in
_catalog_access.READ_ONLY) whose value already matches is an assertion: reported,
never written, never persisted (a boot would log an error writing it). With another
value it is refused before anything changes, in check mode too, since no run could
make it true. A write-only key is a trigger, not a setting: it cannot be read back,
restored or persisted, so it is refused.

The tick rate (CONFIG_HZ) comes from the running kernel's configuration
(/proc/config.gz, else /boot/config-<release>); without it, rounded keys are compared
as written and a read-back the kernel rounded is still accepted (see _plan).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import io
import os
import re

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog_access
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlInputError
from ansible_collections.netfleet.tcp.plugins.module_utils._host_file import read_regular
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_to_path
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    bound_satisfied,
    equivalent,
)

_HZ = re.compile(r"^CONFIG_HZ=([0-9]+)\s*$", re.M)
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def key_access(key, sys_root):
    """The mode-bit access of ``key``'s file here (None when it cannot be inspected)."""
    try:
        path = key_to_path(key, sys_root)
    except SysctlInputError:
        return None
    return _catalog_access.file_access(path)


WRITE_ONLY_REASON = ("is write-only here (a trigger such as a cache flush, not a setting): it cannot be read back, "
                     "restored or persisted; leave it out of the profile")


def write_only(key, sys_root):
    """True when ``key`` is a write-only trigger here (mode bits, else the catalog's side table)."""
    return _catalog_access.is_write_only(key, key_access(key, sys_root))


def judge(desired, live, sys_root):
    """``(refusals, asserted)``: keys that cannot be set here, and read-only keys that already match."""
    refusals, asserted = [], []
    for key, want in desired.items():
        access = key_access(key, sys_root)
        if _catalog_access.is_write_only(key, access):
            refusals.append((key, WRITE_ONLY_REASON))
            continue
        if not _catalog_access.is_read_only(key, access):
            continue
        before = live.get(key)
        bound = want.get("bound")
        if bound:
            matches = bound_satisfied(bound[0], bound[1], before)
        else:
            matches = before is not None and equivalent(key, before, want.get("value"))
        if matches:
            asserted.append(key)
        else:
            refusals.append((key, "is read-only here (the kernel reports it, e.g. what is loaded or how large a hash "
                                  "table is; its /proc/sys file has no write permission) and reads %s, not %s: no run "
                                  "can set it. Leave it out, or give its current value to assert it"
                             % (before, want.get("value") if not bound else "%s%d" % tuple(bound))))
    return refusals, asserted


def _config_text(path, compressed):
    try:
        data = read_regular(path, MAX_CONFIG_BYTES)
    except (IOError, OSError):
        return ""
    if compressed:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
                data = handle.read(MAX_CONFIG_BYTES)
        except (IOError, OSError, EOFError):
            return ""
    return data.decode("utf-8", "replace")


def tick_rate(proc="/proc", root="/"):
    """The running kernel's CONFIG_HZ, or None when its configuration cannot be read."""
    release = ""
    try:
        release = read_regular(os.path.join(proc, "sys", "kernel", "osrelease"), 256).decode("ascii", "replace").strip()
    except (IOError, OSError):
        pass
    sources = [(os.path.join(proc, "config.gz"), True)]
    if release and "/" not in release:
        sources.append((os.path.join(root, "boot", "config-" + release), False))
    for path, compressed in sources:
        match = _HZ.search(_config_text(path, compressed))
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None
