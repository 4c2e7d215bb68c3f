# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the reliability suite and the end-of-run counts (hostile inputs, fuzz examples)."""

import pytest

# Imported when first used: the collection loader is in place only once collection has begun.


def pytest_terminal_summary(terminalreporter):
    from ansible_collections.netfleet.tcp.tests.unit.reliability.support import TALLY, write_counts

    if not TALLY:
        return
    terminalreporter.section("reliability counts")
    for category, per in TALLY.items():
        terminalreporter.write_line("%s: %d" % (category, sum(per.values())))
        for entry_point, number in per.items():
            terminalreporter.write_line("    %-48s %d" % (entry_point, number))
    write_counts()


@pytest.fixture
def fake_host(tmp_path):
    """A fake host: ``proc`` (a 6.1 kernel, initial namespace) and ``root`` with /etc/sysctl.d.

    Next to them ``outside/`` holds a file hostile input might try to reach; snapshots
    of ``base`` cover all three.
    """
    from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc, write

    proc = build_proc(tmp_path, listeners=[])
    root = tmp_path / "root"
    (root / "etc" / "sysctl.d").mkdir(parents=True)
    write(str(root / "etc" / "sysctl.conf"), "# distribution defaults\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("do not touch\n")
    return {"base": tmp_path, "proc": proc, "root": str(root), "outside": str(outside)}
