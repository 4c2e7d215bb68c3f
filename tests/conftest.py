"""Make the checkout importable as ``ansible_collections.netfleet.tcp`` for every test.

The collection lives at the repository root, so one symlink under the ignored
``.tmp/collections`` folder gives Python (and ansible-playbook, through
ANSIBLE_COLLECTIONS_PATH) the ``ansible_collections/netfleet/tcp`` layout it needs.

The link points back at the repository root, so ``.tmp`` contains a loop; every
tool that walks the tree skips ``.tmp`` (git and ansible-galaxy through
.gitignore/build_ignore, ansible-lint through exclude_paths, pytest through its
default norecursedirs, ansible-test because it runs on a copy without ``.tmp``).
pytest.ini passes ``--ansible-unit-inject-only`` so pytest-ansible reuses this
path instead of building its own symlink farm under ``./collections``.
"""

import importlib.util
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "netfleet", "tcp")


def _ensure_link():
    """Create (or repair) the .tmp/collections/ansible_collections/netfleet/tcp link."""
    if os.path.islink(LINK):
        if os.path.realpath(LINK) == os.path.realpath(REPO):
            return
        os.unlink(LINK)  # left over from a checkout that lived elsewhere
    elif os.path.exists(LINK):
        raise RuntimeError("%s exists and is not a symlink to %s; remove it" % (LINK, REPO))
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    try:
        os.symlink(REPO, LINK)
    except FileExistsError:  # another pytest process (xdist worker) won the race
        pass


def _prepend_collections_path():
    """Put our collections dir first so this checkout wins over installed copies."""
    current = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    if current[:1] != [COLLECTIONS]:
        current = [COLLECTIONS] + [p for p in current if p != COLLECTIONS]
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(current)
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


def _hypothesis_profile():
    """No wall-clock deadlines (shared CI machines are slow), examples kept under .tmp,
    and a fixed seed under CI=true so two CI runs exercise the same examples."""
    try:
        from hypothesis import settings
        from hypothesis.database import DirectoryBasedExampleDatabase
    except ImportError:
        return
    if os.environ.get("CI", "").lower() == "true":
        settings.register_profile("netfleet", deadline=None, derandomize=True)
    else:
        database = DirectoryBasedExampleDatabase(os.path.join(REPO, ".tmp", "hypothesis"))
        settings.register_profile("netfleet", deadline=None, database=database)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "netfleet"))


_ensure_link()
_prepend_collections_path()
_hypothesis_profile()


# --- the machine is left alone ---------------------------------------------------------
# kernel.*, vm.*, fs.* and the initial namespace's net.* are read at the start of the session
# and again at its end; any difference fails the session (see machine_guard.py). Under
# pytest-xdist the controller process does it once for all workers.

_MACHINE_BEFORE = {}


def _load_machine_guard():
    # pytest runs with --import-mode=importlib, so tests/ is not on sys.path: load by path.
    spec = importlib.util.spec_from_file_location(
        "netfleet_machine_guard", os.path.join(REPO, "tests", "machine_guard.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.setdefault(spec.name, module)
    return sys.modules[spec.name]


machine_guard = _load_machine_guard()


def _is_xdist_worker(session):
    return hasattr(session.config, "workerinput")


def pytest_sessionstart(session):
    if not _is_xdist_worker(session) and os.path.isdir(machine_guard.PROC_SYS):
        _MACHINE_BEFORE.update(machine_guard.machine_settings())


def pytest_sessionfinish(session, exitstatus):
    if _is_xdist_worker(session) or not _MACHINE_BEFORE:
        return
    changed = machine_guard.differences(_MACHINE_BEFORE, machine_guard.machine_settings())
    if not changed:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["the machine's own kernel settings changed during the tests (%d):" % len(changed)]
    lines += ["  " + line for line in changed]
    if reporter is not None:
        reporter.write_sep("=", "MACHINE SETTINGS CHANGED", red=True)
        reporter.write_line("\n".join(lines))
    else:
        sys.stderr.write("\n".join(lines) + "\n")
    session.exitstatus = 1
