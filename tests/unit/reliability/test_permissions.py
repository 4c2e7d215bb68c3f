# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modes of what sysctl_profile and the audit write, temporary files included, seen as they are made."""

import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin
from ansible_collections.netfleet.tcp.plugins.modules import sysctl_profile
from ansible_collections.netfleet.tcp.tests.unit.reliability.support import snapshot


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def renames(monkeypatch):
    """Every rename the code makes, with the temporary file's mode and size just before it."""
    seen = []
    real = os.rename

    def spy(source, target):
        info = os.lstat(source)
        seen.append({"temp": source, "target": target, "mode": stat.S_IMODE(info.st_mode),
                     "uid": info.st_uid, "size": info.st_size})
        return real(source, target)

    monkeypatch.setattr(_dropin.os, "rename", spy)
    return seen


def test_profile_files_and_their_temporary_files_have_safe_modes(fake_host, monkeypatch, capsys, renames):
    monkeypatch.setattr(sysctl_profile, "PROC", fake_host["proc"])
    monkeypatch.setattr(sysctl_profile, "ROOT", fake_host["root"])
    old_umask = os.umask(0)  # the modes must not depend on a friendly umask
    try:
        with patch_module_args({"name": "web", "nat_facing": "false",
                                "settings": {"net.ipv4.tcp_fin_timeout": 30}}):
            with pytest.raises(SystemExit):
                sysctl_profile.main()
    finally:
        os.umask(old_umask)
    out = json.loads(capsys.readouterr().out)
    assert out["changed"] is True, out
    root = fake_host["root"]
    dropin = os.path.join(root, "etc", "sysctl.d", "99-zz-netfleet-tcp-web.conf")
    state = os.path.join(root, "var", "lib", "netfleet-tcp")
    record = os.path.join(state, "sysctl_profile-web.json")
    by_target = dict((item["target"], item) for item in renames)
    # Temporary files: created in the target's own directory, mode set before any content went in.
    assert by_target[dropin]["mode"] == 0o644 and os.path.dirname(by_target[dropin]["temp"]) == os.path.dirname(dropin)
    assert by_target[record]["mode"] == 0o600 and os.path.dirname(by_target[record]["temp"]) == state
    # Final files.
    assert mode(dropin) == 0o644 and os.lstat(dropin).st_uid == 0 and os.lstat(dropin).st_gid == 0
    assert mode(state) == 0o700
    assert mode(record) == 0o600
    assert mode(os.path.join(state, "sysctl_profile.lock")) == 0o600
    assert not [p for p in snapshot(fake_host["base"]) if p.endswith(".tmp")]


def test_atomic_write_never_shows_content_through_a_loose_mode(tmp_path, monkeypatch):
    """The mode is set on the empty temporary file, so no reader sees the data under mkstemp's or the umask's mode."""
    modes = []
    real_write = os.write

    def spy(fd, data):
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(_dropin.os, "write", spy)
    target = tmp_path / "record.json"
    _dropin.atomic_write(str(target), b"{}", mode=0o600)
    assert modes and set(modes) == {0o600}


def test_audit_report_temporary_files_are_private_until_complete(tmp_path, monkeypatch):
    from ansible_collections.netfleet.tcp.plugins.action import audit_files

    seen = []
    real_chmod = os.chmod

    def spy(path, mode_):
        if os.path.basename(str(path)).startswith("."):
            seen.append((stat.S_IMODE(os.lstat(path).st_mode), os.path.getsize(path)))
        return real_chmod(path, mode_)

    monkeypatch.setattr(audit_files.os, "chmod", spy)
    path = tmp_path / "audit.json"
    audit_files.write_atomic(str(path), b'{"hosts": []}', 0o644)
    assert seen and all(m == 0o600 for m, _size in seen), seen
    assert os.listdir(str(tmp_path)) == ["audit.json"]
