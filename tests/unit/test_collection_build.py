"""The built collection: no local state in the tarball, an offline install, every plugin visible.

Builds the checkout with ansible-galaxy into a temporary directory, installs the tarball
with ``--offline`` into another one and asks ansible-doc (pointed only at that install)
for the collection's modules and filters.
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


@pytest.fixture(scope="module")
def tarball(tmp_path_factory, env, galaxy):
    out = tmp_path_factory.mktemp("build")
    _run([_tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), REPO], env)
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
        or "__pycache__" in name.split("/") or name.endswith((".pyc", ".tar.gz"))
    ]
    assert leaked == []


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
