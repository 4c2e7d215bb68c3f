"""The tuning role used the way an infra repo uses it: a separate playbook directory whose
collections path holds only the built and installed collection, with group_vars and host_vars,
through roles:, import_role, include_role (with serial and strategy: free) and import_playbook
of netfleet.tcp.tune."""

import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPLY = "Apply the whole profile in one call"
FIN = "net.ipv4.tcp_fin_timeout"
KEEPALIVE = "net.ipv4.tcp_keepalive_time"

PLAYS = {
    "roles": """\
- name: Tune from an infra repo
  hosts: fleet
  gather_facts: false
  roles:
    - role: netfleet.tcp.tcp_tuning
""",
    "import_role": """\
- name: Tune from an infra repo
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Tune TCP
      ansible.builtin.import_role:
        name: netfleet.tcp.tcp_tuning
""",
    "include_role_serial_free": """\
- name: Tune from an infra repo, two hosts at a time, each at its own pace
  hosts: fleet
  gather_facts: false
  serial: 2
  strategy: free
  tasks:
    - name: Tune TCP
      ansible.builtin.include_role:
        name: netfleet.tcp.tcp_tuning
""",
    "import_playbook": """\
- name: Tune with the collection's playbook
  ansible.builtin.import_playbook: netfleet.tcp.tune
""",
}


def _bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection built from this checkout and installed, offline, into its own path."""
    root = tmp_path_factory.mktemp("infra-collections")
    build = str(root / "build")
    subprocess.run([_bin("ansible-galaxy"), "collection", "build", REPO, "--output-path", build],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tarball = glob.glob(os.path.join(build, "netfleet-tcp-*.tar.gz"))[0]
    path = str(root / "collections")
    subprocess.run([_bin("ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", path,
                    tarball],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert os.listdir(os.path.join(path, "ansible_collections")) == ["netfleet"]
    return path


def infra_repo(fleet, tmp_path, style):
    """An infra repo: site.yml, inventory with group_vars and host_vars."""
    repo = tmp_path / ("infra-" + style)
    if repo.exists():
        shutil.rmtree(str(repo))
    (repo / "inventory" / "group_vars").mkdir(parents=True)
    (repo / "inventory" / "host_vars").mkdir()
    shutil.copy(fleet.inventory, str(repo / "inventory" / "hosts.ini"))
    files = {
        "inventory/group_vars/fleet.yml": {"tcp_tuning_profile": "web_frontend"},
        "inventory/group_vars/servers.yml": {"tcp_tuning_group_overrides": {FIN: 30}},
        "inventory/host_vars/web2.yml": {"tcp_tuning_host_overrides": {FIN: 25, KEEPALIVE: None}},
    }
    for name, data in files.items():
        with open(str(repo / name), "w") as handle:
            yaml.safe_dump(data, handle)
    with open(str(repo / "site.yml"), "w") as handle:
        handle.write("---\n" + PLAYS[style])
    return str(repo)


def run_style(fleet, installed, tmp_path, style):
    repo = infra_repo(fleet, tmp_path, style)
    extra = {"tcp_tuning_hosts": "fleet"} if style == "import_playbook" else None
    return fleet.playbook(os.path.join(repo, "site.yml"), extra_vars=extra,
                          inventory=os.path.join(repo, "inventory", "hosts.ini"),
                          env={"ANSIBLE_COLLECTIONS_PATH": installed})


def test_separate_playbook_directory_behaves_the_same(fleet, installed, tmp_path):
    """The first style tunes a clean fleet; every other style then finds nothing to change,
    so all of them render and apply the same values from the same group_vars and host_vars."""
    fleet.reset()
    try:
        keepalive_before = fleet.sysctl("web2", KEEPALIVE)
        first = run_style(fleet, installed, tmp_path, "include_role_serial_free")
        assert first.rc == 0, first
        for host in fleet.hosts:
            assert first.stats[host]["changed"] >= 1, (host, first.stats)
            assert first.stats[host]["failed"] == 0, first
        # profile < group < host
        assert fleet.sysctl("natgw", FIN) == "20"
        assert fleet.sysctl("web1", FIN) == "30"
        assert fleet.sysctl("web2", FIN) == "25"
        assert fleet.sysctl("web1", KEEPALIVE) == "600"
        assert fleet.sysctl("web2", KEEPALIVE) == keepalive_before
        assert KEEPALIVE not in first.results(APPLY)["web2"]["keys"]
        for style in ("roles", "import_role", "import_playbook"):
            again = run_style(fleet, installed, tmp_path, style)
            assert again.rc == 0, again
            assert sorted(again.results(APPLY)) == sorted(fleet.hosts), (style, again)
            for host in fleet.hosts:
                assert again.stats[host]["changed"] == 0, (style, host, again.stats)
    finally:
        fleet.reset()
