"""The built collection: no local state in the tarball, an offline install, every plugin visible.

Copies the files git knows about into a temporary tree, plants there what runs of the
audit, the tests and the fleet leave behind (a report folder under playbooks/, a fleet
folder, caches at several depths), builds that tree with ansible-galaxy, checks the
tarball's listing, installs it with ``--offline`` and asks ansible-doc (pointed only at
that install) for the collection's modules and filters.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Paths that must never reach the tarball: virtualenvs, scratch, fleet state, build
# output, caches, VCS and CI files, and what pytest, hypothesis or ansible-lint leave.
LOCAL_STATE = (
    ".venv/", ".tmp/", ".fleet/", ".build/", ".cache/", ".git/", ".ci/", ".pytest_cache/",
    ".hypothesis/", ".ansible/", "collections/", "tests/output/", "reports/",
)
# Folder names that mark local state at any depth (a report folder next to a playbook,
# a hypothesis or pytest cache next to a test).
LOCAL_DIRS = {"reports", ".hypothesis", ".pytest_cache", ".ansible", ".fleet", ".cache", "__pycache__"}
# What a run leaves in the checkout, planted in the copy that is built: path -> content.
PLANTED = {
    "playbooks/reports/audit-20260101T000000Z/audit.md": "# TCP fleet audit of the build machine\n",
    "playbooks/reports/audit-20260101T000000Z/audit.json": "{}\n",
    "reports/audit.junit.xml": "<testsuites/>\n",
    ".fleet/5/inventory.ini": "[fleet]\n",
    ".hypothesis/examples/x": "x",
    "tests/unit/.hypothesis/examples/x": "x",
    "tests/unit/.pytest_cache/v/cache/lastfailed": "{}",
    "plugins/module_utils/__pycache__/_check.cpython-311.pyc": "",
    ".build/netfleet-tcp-0.0.0.tar.gz": "",
    "web1.prom": "netfleet_tcp_up 1\n",
}


def _tool(name):
    path = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        pytest.skip("%s is not installed" % name)
    return found


def _run(argv, env):
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, "%s failed (%d):\n%s\n%s" % (" ".join(argv), proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


@pytest.fixture(scope="module")
def galaxy():
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("ansible-home")
    environ = dict(os.environ)
    environ.update(ANSIBLE_HOME=str(home), ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")
    environ.pop("ANSIBLE_COLLECTIONS_PATH", None)
    return environ


def _tracked_files():
    proc = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip("not a git checkout: %s" % proc.stderr.decode(errors="replace").strip())
    return [name for name in proc.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the checkout's files with a run's leftovers planted in it."""
    tree = tmp_path_factory.mktemp("source") / "tcp"
    for name in _tracked_files():
        src = os.path.join(REPO, name)
        if not os.path.isfile(src):  # deleted in the work tree, not yet committed
            continue
        os.makedirs(str(tree / os.path.dirname(name)), exist_ok=True)
        shutil.copy2(src, str(tree / name))
    for name, content in PLANTED.items():
        os.makedirs(str(tree / os.path.dirname(name)), exist_ok=True)
        (tree / name).write_text(content)
    return str(tree)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory, env, galaxy, source):
    out = tmp_path_factory.mktemp("build")
    _run([_tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), source], env)
    found = glob.glob(str(out / "*.tar.gz"))
    assert [os.path.basename(p) for p in found] == ["netfleet-tcp-%s.tar.gz" % galaxy["version"]]
    return found[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory, env, tarball):
    dest = tmp_path_factory.mktemp("collections")
    _run([_tool("ansible-galaxy"), "collection", "install", "--offline", "-p", str(dest), tarball], env)
    environ = dict(env, ANSIBLE_COLLECTIONS_PATH=str(dest))
    return dest, environ


def test_tarball_holds_no_local_state(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "MANIFEST.json" in names and "FILES.json" in names
    leaked = [
        name for name in names
        if any(name.startswith(prefix) or name == prefix.rstrip("/") for prefix in LOCAL_STATE)
        or LOCAL_DIRS & set(name.split("/")) or name.endswith((".pyc", ".tar.gz", ".prom"))
    ]
    assert leaked == []


def test_planted_leftovers_exist_in_the_built_tree(source):
    # The tree really held what the tarball must leave out (so the test above can fail).
    for name in PLANTED:
        assert os.path.isfile(os.path.join(source, name)), name


def test_tarball_holds_what_a_user_installs(tarball):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        license_text = archive.extractfile("LICENSE").read().decode()
    for name in ("LICENSE", "README.md", "CHANGELOG.md", "meta/runtime.yml", "playbooks/audit.yml",
                 "roles/tcp_audit/meta/argument_specs.yml", "roles/tcp_tuning/defaults/main.yml",
                 "plugins/modules/sysctl_check.py", "tests/sanity/ignore-2.19.txt", "docs/index.md"):
        assert name in names, name
    # Development tooling stays in the repository.
    for name in ("Makefile", "pytest.ini", ".ansible-lint", "tests/unit", "tests/integration", "tests/fleet",
                 "benchmarks", "scripts"):
        assert name not in names, name
    assert "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 3, 29 June 2007" in license_text
    with open(os.path.join(REPO, "LICENSE"), encoding="utf-8") as handle:
        assert license_text == handle.read()


def test_manifest_matches_galaxy_yml(tarball, galaxy):
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert info["dependencies"] == {}


def test_offline_install_lists_every_module(installed):
    dest, environ = installed
    assert os.path.isfile(os.path.join(str(dest), "ansible_collections", "netfleet", "tcp", "MANIFEST.json"))
    expected = {
        "netfleet.tcp." + os.path.splitext(os.path.basename(path))[0]
        for path in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
        if not os.path.basename(path).startswith("_")
    }
    listed = json.loads(_run([_tool("ansible-doc"), "-t", "module", "-l", "netfleet.tcp", "--json"], environ))
    assert set(listed) == expected


def test_offline_install_lists_every_documented_filter(installed):
    _dest, environ = installed
    expected = {
        "netfleet.tcp." + os.path.splitext(os.path.basename(path))[0]
        for path in glob.glob(os.path.join(REPO, "plugins", "filter", "*.yml"))
    }
    listed = json.loads(_run([_tool("ansible-doc"), "-t", "filter", "-l", "netfleet.tcp", "--json"], environ))
    assert expected <= set(listed)
