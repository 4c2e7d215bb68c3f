"""Host files are read bounded and non-blocking: a FIFO or a /dev/zero link is a finding, never a hang."""

import os
import signal

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _host_file, _sysctl_conf
from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check


@pytest.fixture(autouse=True)
def deadline():
    """A hang fails the test instead of blocking the suite."""
    def expired(_signum, _frame):
        raise AssertionError("a read blocked")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def root(tmp_path):
    directory = tmp_path / "root" / "etc" / "sysctl.d"
    directory.mkdir(parents=True)
    os.mkfifo(str(directory / "10-fifo.conf"))
    (directory / "20-zero.conf").symlink_to("/dev/zero")
    (directory / "30-big.conf").write_text("# x\n" * (_host_file.MAX_FILE_BYTES // 4 + 1))
    (directory / "40-real.conf").write_text("net.ipv4.tcp_fin_timeout = 40\n")
    (directory / "50-link.conf").symlink_to("40-real.conf")
    return tmp_path / "root"


def test_read_regular_refuses_what_is_not_a_regular_file(root):
    directory = str(root / "etc" / "sysctl.d")
    for name, needle in (("10-fifo.conf", "FIFO"), ("20-zero.conf", "character device"),
                         ("30-big.conf", "larger than")):
        with pytest.raises(OSError) as raised:
            _host_file.read_regular(os.path.join(directory, name))
        assert needle in str(raised.value)
    assert _host_file.read_regular(os.path.join(directory, "50-link.conf")).startswith(b"net.ipv4")


def test_resolution_names_every_unread_file_and_reads_the_rest(root):
    resolution = _sysctl_conf.resolve(root=str(root))
    unread = dict((item["file"], item["error"]) for item in resolution["unreadable"])
    assert sorted(unread) == ["/etc/sysctl.d/10-fifo.conf", "/etc/sysctl.d/20-zero.conf",
                              "/etc/sysctl.d/30-big.conf"]
    assert "FIFO" in unread["/etc/sysctl.d/10-fifo.conf"] and str(root) not in unread["/etc/sysctl.d/10-fifo.conf"]
    assert _sysctl_conf.effective_for(resolution, "net.ipv4.tcp_fin_timeout")["value"] == "40"


def test_sysctl_check_and_sysctl_profile_finish_and_name_the_files(root, tmp_path):
    proc = tmp_path / "proc"
    (proc / "sys" / "net" / "ipv4").mkdir(parents=True)
    (proc / "sys" / "net" / "ipv4" / "tcp_fin_timeout").write_text("60\n")
    (proc / "meminfo").write_text("MemTotal:        8000000 kB\n")
    result = run_check({"net.ipv4.tcp_fin_timeout": 30}, proc=str(proc), root=str(root), nat_facing="false")
    files = sorted(f["message"].split(" ")[0] for f in result["findings"] if f["id"] == "persisted-unreadable")
    assert files == ["/etc/sysctl.d/10-fifo.conf", "/etc/sysctl.d/20-zero.conf", "/etc/sysctl.d/30-big.conf"]
    applied = engine.run({"name": "web", "nat_facing": "false", "state_dir": "/var/lib/netfleet-tcp",
                          "settings": {"net.ipv4.tcp_fin_timeout": 30}}, proc=str(proc), root=str(root))
    assert applied["changed"] is True


def test_a_fifo_at_the_drop_in_path_is_refused_not_read(root, tmp_path):
    os.mkfifo(str(root / "etc" / "sysctl.d" / "99-zz-netfleet-tcp-web.conf"))
    proc = tmp_path / "proc"
    (proc / "sys" / "net" / "ipv4").mkdir(parents=True)
    (proc / "sys" / "net" / "ipv4" / "tcp_fin_timeout").write_text("60\n")
    (proc / "meminfo").write_text("MemTotal:        8000000 kB\n")
    with pytest.raises(engine.ProfileError) as raised:
        engine.run({"name": "web", "nat_facing": "false", "state_dir": "/var/lib/netfleet-tcp",
                    "settings": {"net.ipv4.tcp_fin_timeout": 30}}, proc=str(proc), root=str(root))
    assert "99-zz-netfleet-tcp-web.conf" in str(raised.value)
