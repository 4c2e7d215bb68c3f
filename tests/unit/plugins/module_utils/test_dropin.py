"""The drop-in sysctl_profile owns: allowed paths, header, ownership, atomic writes."""

import os
import stat

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin


@pytest.mark.parametrize("name", ["web", "db-primary", "edge_2", "a" * 64])
def test_valid_names(name):
    assert _dropin.name_problem(name) is None


@pytest.mark.parametrize("name", ["", "Web", "web/../x", "web.conf", "we b", "a\nb", "a" * 65, None, 5, "../etc"])
def test_invalid_names(name):
    assert _dropin.name_problem(name) is not None


def test_default_path_sorts_after_99_sysctl():
    path = _dropin.default_path("web")
    assert path == "/etc/sysctl.d/99-zz-netfleet-tcp-web.conf"
    assert os.path.basename(path) > "99-sysctl.conf"
    assert _dropin.path_problem(path) is None


@pytest.mark.parametrize("path", [
    "/etc/sysctl.d/50-web.conf",
    "/run/sysctl.d/99-web.conf",
    "/usr/local/lib/sysctl.d/99-web.conf",
])
def test_allowed_paths(path):
    assert _dropin.path_problem(path) is None


@pytest.mark.parametrize("path,needle", [
    ("etc/sysctl.d/x.conf", "absolute"),
    ("/etc/sysctl.d/../passwd.conf", "normalised"),
    ("/etc/sysctl.d//x.conf", "normalised"),
    ("/etc/sysctl.d/./x.conf", "normalised"),
    ("/etc/sysctl.conf", "directly in"),
    ("/usr/lib/sysctl.d/99-x.conf", "directly in"),
    ("/etc/sysctl.d/sub/x.conf", "directly in"),
    ("/tmp/x.conf", "directly in"),
    ("/etc/sysctl.d/x.cfg", "must end in .conf"),
    ("/etc/sysctl.d/.hidden.conf", "must end in .conf"),
    ("/etc/sysctl.d/x y.conf", "must end in .conf"),
    ("/etc/sysctl.d/x\n.conf", "control character"),
    ("", "non-empty"),
    (None, "non-empty"),
])
def test_refused_paths(path, needle):
    problem = _dropin.path_problem(path)
    assert problem is not None and needle in problem


def test_render_and_owner_round_trip():
    text = _dropin.render_dropin("web", [("net.ipv4.tcp_fin_timeout", "30"), ("net.ipv4.tcp_rmem", "4096 131072 6291456")])
    lines = text.splitlines()
    assert lines[0] == "# Managed by netfleet.tcp sysctl_profile, profile web"
    assert "Do not edit" in lines[1]
    assert "net.ipv4.tcp_fin_timeout = 30" in lines
    assert _dropin.owner(text) == "web"
    assert _dropin.entries_of(text) == {
        "net.ipv4.tcp_fin_timeout": "30", "net.ipv4.tcp_rmem": "4096 131072 6291456"}


def test_entries_tolerate_whitespace_edits():
    text = "# Managed by netfleet.tcp sysctl_profile, profile web\n\n net.ipv4.tcp_rmem=4096\t131072   6291456 \n-net.x.y = 1\n; c\n"
    assert _dropin.entries_of(text) == {"net.ipv4.tcp_rmem": "4096 131072 6291456", "net.x.y": "1"}


@pytest.mark.parametrize("text", [
    "net.ipv4.tcp_fin_timeout = 30\n",
    "# netfleet.tcp\n",
    "#  Managed by netfleet.tcp sysctl_profile, profile web\n",
    "\n# Managed by netfleet.tcp sysctl_profile, profile web\n",
])
def test_foreign_files_are_not_ours(text):
    assert _dropin.owner(text) is None
    assert "not managed by netfleet.tcp" in _dropin.ownership_problem("/etc/sysctl.d/x.conf", text, "web")


def test_other_profile_file_is_not_ours():
    text = _dropin.render_dropin("db", [])
    problem = _dropin.ownership_problem("/etc/sysctl.d/x.conf", text, "web")
    assert "belongs to profile 'db'" in problem
    assert _dropin.ownership_problem("/etc/sysctl.d/x.conf", None, "web") is None


def test_write_is_atomic_0644_and_leaves_no_temp(tmp_path):
    path = "/etc/sysctl.d/99-zz-netfleet-tcp-web.conf"
    _dropin.write(path, "old\n", str(tmp_path))
    _dropin.write(path, "new\n", str(tmp_path))
    real = tmp_path / "etc" / "sysctl.d" / "99-zz-netfleet-tcp-web.conf"
    assert real.read_text() == "new\n"
    info = real.stat()
    assert stat.S_IMODE(info.st_mode) == 0o644
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (0, 0)
    assert os.listdir(str(real.parent)) == [real.name]
    assert _dropin.read(path, str(tmp_path)) == "new\n"


def test_write_failure_is_clear_and_cleans_up(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "sysctl.d").write_text("a file where the directory should be")
    with pytest.raises(_dropin.DropinError, match="cannot write /etc/sysctl.d/x.conf"):
        _dropin.write("/etc/sysctl.d/x.conf", "x\n", str(tmp_path))


def test_read_refuses_symlink_and_non_files(tmp_path):
    directory = tmp_path / "etc" / "sysctl.d"
    directory.mkdir(parents=True)
    target = tmp_path / "shadow"
    target.write_text("secret")
    os.symlink(str(target), str(directory / "link.conf"))
    (directory / "dir.conf").mkdir()
    with pytest.raises(_dropin.DropinError, match="symbolic link"):
        _dropin.read("/etc/sysctl.d/link.conf", str(tmp_path))
    with pytest.raises(_dropin.DropinError, match="not a regular file"):
        _dropin.read("/etc/sysctl.d/dir.conf", str(tmp_path))
    assert _dropin.read("/etc/sysctl.d/none.conf", str(tmp_path)) is None


def test_remove(tmp_path):
    path = "/etc/sysctl.d/x.conf"
    _dropin.write(path, "x\n", str(tmp_path))
    _dropin.remove(path, str(tmp_path))
    assert _dropin.read(path, str(tmp_path)) is None
    _dropin.remove(path, str(tmp_path))  # already gone: fine


def test_host_path():
    assert _dropin.host_path("/etc/sysctl.d/x.conf", "/") == "/etc/sysctl.d/x.conf"
    assert _dropin.host_path("/etc/sysctl.d/x.conf", "/srv/root") == "/srv/root/etc/sysctl.d/x.conf"


def test_the_module_own_checks_name_a_nul_on_every_python():
    # On hosts with Python 3.12 or newer, AnsibleModule refuses a NUL in a string option while
    # logging the invocation, before sysctl_profile reads it (tests/unit/reliability/
    # test_hostile_modules.py states that per Python); the module's own checks still refuse it,
    # which is what protects a caller that reaches them without that logging.
    assert "profile name" in _dropin.name_problem("web\x00")
    assert "may only hold" in _dropin.name_problem("web\x00")
    assert _dropin.path_problem("/etc/sysctl.d/x\x00.conf") == "path contains a control character"
