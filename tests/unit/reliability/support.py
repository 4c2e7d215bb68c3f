# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the reliability suite (imported by its tests and its conftest)."""

import collections
import json
import os
import stat

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COUNTS_FILE = os.path.join(REPO, ".tmp", "reliability-counts.json")
TALLY = collections.OrderedDict()


def count(category, entry_point, n=1):
    """Count ``n`` things tried (hostile inputs, fuzz examples) for the end-of-run summary."""
    per = TALLY.setdefault(category, collections.OrderedDict())
    per[entry_point] = per.get(entry_point, 0) + n


def write_counts():
    try:
        os.makedirs(os.path.dirname(COUNTS_FILE), exist_ok=True)
        with open(COUNTS_FILE, "w") as handle:
            json.dump(TALLY, handle, indent=1)
    except OSError:
        pass


def snapshot(base):
    """Every file, directory and link under ``base``: content, mode, owner and mtime."""
    found = {}
    base = str(base)
    for directory, dirs, names in os.walk(base):
        for name in sorted(dirs + names):
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[path] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[path] = ("dir", stat.S_IMODE(info.st_mode), info.st_uid)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    found[path] = ("file", handle.read(), stat.S_IMODE(info.st_mode), info.st_uid,
                                   info.st_mtime_ns)
            else:
                found[path] = ("other", stat.S_IFMT(info.st_mode))
    return found


def case_ids(cases):
    """pytest ids for ``[(id, ...), ...]`` case tables."""
    return [case[0] for case in cases]


def expect_failure(code, out, *needles):
    """The module failed, changed nothing it reports, and its message names every needle."""
    assert code == 1, out
    assert out.get("failed") is True, out
    assert out.get("changed") in (False, None), out
    message = out.get("msg", "")
    for needle in needles:
        assert needle in message, "%r not in %r" % (needle, message)
    return message


__all__ = ["count", "write_counts", "snapshot", "case_ids", "expect_failure", "pytest"]
