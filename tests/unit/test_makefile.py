"""The Makefile's promises: `make clean` removes what the targets and tools leave in the
checkout, and project commands run without cryptography's DSA deprecation warning while
other warnings still show.

The clean test runs the real Makefile on a scratch tree (a copy of the Makefile with the
leftovers planted next to it), never on the checkout itself.
"""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# What runs of the targets leave behind, relative to the checkout.
LEFTOVERS = (
    ".build/netfleet-tcp-0.1.0.tar.gz",
    ".build/reports/unit.xml",
    ".tmp/ansible/netfleet_tcp/reports/audit-20260101T000000Z/audit.md",
    ".tmp/pytest-unit/x",
    ".tmp/hypothesis/examples/x",
    "playbooks/reports/audit-20260101T000000Z/audit.md",
    "reports/audit.md",
    ".hypothesis/examples/x",
    "tests/unit/.hypothesis/examples/x",
    ".pytest_cache/v/x",
    "tests/unit/.pytest_cache/v/x",
    "plugins/module_utils/__pycache__/x.pyc",
    ".ansible/collections/x",
    "tests/output/x",
)
KEPT = (".venv/bin/python3", ".cache/pip/x", "plugins/module_utils/_check.py", "playbooks/audit.yml")


def _make(args, cwd, env=None):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    environ = dict(os.environ, **(env or {}))
    environ.pop("MAKEFLAGS", None)
    environ.pop("PYTHONWARNINGS", None)
    return subprocess.run(["make", "-s", "-C", str(cwd)] + args, env=environ, capture_output=True, text=True,
                          check=False, timeout=120)


def test_make_clean_removes_every_leftover_and_keeps_the_sources(tmp_path):
    tree = tmp_path / "checkout"
    tree.mkdir()
    shutil.copy(os.path.join(REPO, "Makefile"), str(tree / "Makefile"))
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    for name in LEFTOVERS + KEPT:
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    proc = _make(["clean"], tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    left = [name for name in LEFTOVERS if os.path.exists(str(tree / name))]
    assert left == []
    for name in (".tmp", ".build", "playbooks/reports", ".hypothesis", "tests/unit/.pytest_cache"):
        assert not os.path.exists(str(tree / name)), name
    for name in KEPT:
        assert (tree / name).is_file(), name


def test_project_commands_silence_only_the_dsa_warning(tmp_path):
    makefile = tmp_path / "show.mk"
    makefile.write_text("include %s/Makefile\nshow-warnings:\n\t@echo \"$$PYTHONWARNINGS\"\n" % REPO)
    proc = _make(["-f", str(makefile), "show-warnings"], REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    filters = proc.stdout.strip()
    assert filters == "ignore:DSA is deprecated"
    env = dict(os.environ, PYTHONWARNINGS=filters)
    ansible = subprocess.run([os.path.join(BIN, "ansible"), "--version"], env=env, capture_output=True, text=True,
                             check=False)
    assert ansible.returncode == 0, ansible.stderr
    assert "DSA is deprecated" not in ansible.stderr
    other = subprocess.run([sys.executable, "-c", "import warnings; warnings.warn('DSA-free notice', UserWarning);"
                            "warnings.warn('DSA is deprecated here too', UserWarning)"],
                           env=env, capture_output=True, text=True, check=False)
    assert "DSA-free notice" in other.stderr
    assert "DSA is deprecated here too" not in other.stderr


def test_user_warning_filters_are_kept(tmp_path):
    makefile = tmp_path / "show.mk"
    makefile.write_text("include %s/Makefile\nshow-warnings:\n\t@echo \"$$PYTHONWARNINGS\"\n" % REPO)
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    environ = dict(os.environ, PYTHONWARNINGS="error::ResourceWarning")
    environ.pop("MAKEFLAGS", None)
    proc = subprocess.run(["make", "-s", "-C", REPO, "-f", str(makefile), "show-warnings"], env=environ,
                          capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "error::ResourceWarning,ignore:DSA is deprecated"
