# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Coverage-guided fuzzing with atheris (libFuzzer) of the sysctl.conf, /proc/net and netlink parsers.

Each target runs in its own process for a fixed number of inputs (-runs) with a fixed
seed, so the run time is bounded; a crash fails the test with atheris' report.
atheris ships wheels for CPython 3.11 on x86_64 Linux; elsewhere the test skips.
"""

import os
import re
import subprocess
import sys

import pytest

from ansible_collections.netfleet.tcp.tests.unit.reliability.support import count

atheris = pytest.importorskip("atheris", reason="atheris is not installed (pip install atheris; CPython <= 3.11 wheels)")

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = 10000


@pytest.mark.parametrize("target", ["sysctl_conf", "proc_net", "netlink"])
def test_atheris_finds_no_crash(target, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(  # pylint: disable=subprocess-run-check
        [sys.executable, os.path.join(HERE, "atheris_targets.py"), target, "-runs=%d" % RUNS, "-seed=1",
         "-max_len=4096", "-rss_limit_mb=1024", "-artifact_prefix=%s/" % tmp_path],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:]
    done = re.findall(r"Done (\d+) runs", proc.stdout)
    count("fuzz examples", "atheris %s" % target, int(done[-1]) if done else RUNS)
