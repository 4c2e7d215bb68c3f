"""The resolver alone on the boot corpus (tests/fleet/sysctl_corpus.py): each case's telling keys
resolve to what systemd-sysctl leaves. tests/integration/test_sysctl_boot_loaders.py holds the
real loader, the fleet's emulation and the resolver to each other on every key."""

import os
import sys

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_conf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fleet"))
import sysctl_corpus  # noqa: E402


@pytest.mark.parametrize("name", sorted(sysctl_corpus.CASES))
def test_resolver_matches_systemd_sysctl_on_the_corpus(name, tmp_path):
    case = sysctl_corpus.CASES[name]
    sysctl_corpus.materialize(tmp_path, case["files"])
    resolution = _sysctl_conf.resolve(root=str(tmp_path))
    got = {}
    for key in case["expect"]:
        record = _sysctl_conf.effective_for(resolution, key)
        got[key] = record["value"] if record else None
    assert got == case["expect"]


def test_a_line_over_one_mebibyte_is_reported_where_reading_stops():
    entries = _sysctl_conf.parse("a.b = 1\n# %s\nc.d = 2\n" % ("x" * (1024 * 1024)), "f.conf")
    assert [(e["kind"], e["key"]) for e in entries] == [("assign", "a.b"), ("invalid", None)]
    assert "longer than 1 MiB" in entries[1]["reason"]


def test_a_file_under_run_is_named_as_volatile(tmp_path):
    """/run is a tmpfs: what a file there does at boot holds at the next boot only if something
    creates it again before systemd-sysctl runs, and the notes say so for masks and settings."""
    sysctl_corpus.materialize(tmp_path, {
        "/usr/lib/sysctl.d/60-vendor.conf": "net.ipv4.tcp_syn_retries = 3\n",
        "/run/sysctl.d/60-vendor.conf": ("link", "/dev/null"),
        "/run/sysctl.d/70-runtime.conf": "net.ipv4.tcp_fin_timeout = 33\n",
        "/etc/sysctl.d/80-local.conf": "net.ipv4.tcp_keepalive_time = 600\n",
    })
    resolution = _sysctl_conf.resolve(root=str(tmp_path))
    volatile = [note for note in resolution["notes"] if "tmpfs" in note]
    assert len(volatile) == 3, resolution["notes"]
    assert any(note.startswith("/usr/lib/sysctl.d/60-vendor.conf is masked by /run/sysctl.d/60-vendor.conf")
               for note in volatile)
    assert any(note.startswith("/run/sysctl.d/70-runtime.conf is on a tmpfs") for note in volatile)
    assert all("systemd-sysctl.service" in note for note in volatile)
    assert not any("80-local.conf" in note for note in resolution["notes"])
