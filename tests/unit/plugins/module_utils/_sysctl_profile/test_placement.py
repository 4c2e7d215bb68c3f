"""The drop-in never masks, and is never masked by, a same-named file of another sysctl.d directory."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin
from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError

PROTECT = "fs.protected_symlinks = 1\nfs.protected_hardlinks = 1\n"


@pytest.fixture
def host(host):
    """The shared host with every sysctl.d directory and a distribution file to mask."""
    tmp_path = host
    for directory in ("etc/sysctl.d", "run/sysctl.d", "usr/lib/sysctl.d", "usr/local/lib/sysctl.d"):
        (tmp_path / "root" / directory).mkdir(parents=True, exist_ok=True)
    (tmp_path / "root" / "usr/lib/sysctl.d/99-protect-links.conf").write_text(PROTECT)
    (tmp_path / "root" / "usr/lib/sysctl.d/50-default.conf").write_text("net.core.somaxconn = 4096\n")
    (tmp_path / "root" / "etc/sysctl.d/60-local.conf").write_text("net.ipv4.tcp_fin_timeout = 40\n")
    return tmp_path


def tree(base):
    found = {}
    for directory, _dirs, files in os.walk(str(base)):
        for name in files:
            found[os.path.join(directory, name)] = open(os.path.join(directory, name)).read()
    return found


def run(base, path, check=False, name="web"):
    params = {"name": name, "nat_facing": "false", "state_dir": "/var/lib/netfleet-tcp", "path": path,
              "settings": {"net.ipv4.tcp_keepalive_time": 600}}
    return engine.run(params, proc=str(base / "proc"), root=str(base / "root"), check_mode=check)


@pytest.mark.parametrize("check", [False, True])
@pytest.mark.parametrize("path,needle", [
    ("/etc/sysctl.d/99-protect-links.conf", "it would mask /usr/lib/sysctl.d/99-protect-links.conf"),
    ("/usr/local/lib/sysctl.d/50-default.conf", "it would mask /usr/lib/sysctl.d/50-default.conf"),
    ("/run/sysctl.d/60-local.conf", "/etc/sysctl.d/60-local.conf masks it"),
    ("/usr/local/lib/sysctl.d/60-local.conf", "/etc/sysctl.d/60-local.conf masks it"),
])
def test_masking_names_are_refused_before_anything_changes(host, path, needle, check):
    before = tree(host)
    with pytest.raises(ProfileError) as raised:
        run(host, path, check=check)
    assert needle in str(raised.value)
    assert tree(host) == before


def test_a_name_of_its_own_is_written_and_its_place_reported(host):
    result = run(host, "/etc/sysctl.d/70-tuning.conf")
    assert result["placement"] == {"position": 3, "of": 4, "after": "/etc/sysctl.d/60-local.conf",
                                   "before": "/usr/lib/sysctl.d/99-protect-links.conf"}
    check = run(host, "/etc/sysctl.d/70-tuning.conf", check=True)
    assert check["placement"] == result["placement"]


def test_moving_the_profiles_own_file_to_a_same_named_path_is_allowed(host):
    run(host, "/run/sysctl.d/80-web.conf")
    result = run(host, "/etc/sysctl.d/80-web.conf")
    assert result["file_changed"] is True
    assert not (host / "root" / "run/sysctl.d/80-web.conf").exists()


def test_lib_sysctl_d_counts_and_a_merged_usr_link_is_not_a_conflict(tmp_path):
    root = tmp_path / "root"
    (root / "usr/lib/sysctl.d").mkdir(parents=True)
    (root / "etc/sysctl.d").mkdir(parents=True)
    (root / "lib").symlink_to("usr/lib")
    (root / "usr/lib/sysctl.d/10-x.conf").write_text("")
    assert "it would mask /usr/lib/sysctl.d/10-x.conf" in _dropin.placement_problem(
        "/etc/sysctl.d/10-x.conf", "web", str(root))
    assert _dropin.placement_problem("/etc/sysctl.d/11-x.conf", "web", str(root)) is None
