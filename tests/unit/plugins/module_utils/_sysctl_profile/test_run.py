"""sysctl_profile end to end over a fake /proc and /etc tree: every path of run()."""

import errno
import json
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlWriteError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value, write_value

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "sysctl_profile",
                       "proc_sys_child_netns.json")
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-web.conf"
STATE = "/var/lib/netfleet-tcp"
MEMINFO = "MemTotal:        8000000 kB\nMemFree:         4000000 kB\n"


class Host(object):
    """A fake host: <tmp>/proc (sys tree, meminfo) and <tmp>/root (etc, var)."""

    def __init__(self, tmp_path, extra=None, drop=()):
        self.base = tmp_path
        self.proc = str(tmp_path / "proc")
        self.root = str(tmp_path / "root")
        self.sys = os.path.join(self.proc, "sys")
        with open(FIXTURE) as handle:
            values = json.load(handle)
        values.update(extra or {})
        for key, value in values.items():
            if key.startswith("_") or key in drop:
                continue
            path = os.path.join(self.sys, *key.split("."))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(value + "\n")
        with open(os.path.join(self.proc, "meminfo"), "w") as handle:
            handle.write(MEMINFO)
        os.makedirs(os.path.join(self.root, "etc", "sysctl.d"))

    def live(self, key):
        return read_value(key, self.sys)

    def file(self, path=DROPIN):
        real = os.path.join(self.root, path.lstrip("/"))
        if not os.path.exists(real):
            return None
        with open(real) as handle:
            return handle.read()

    def record(self, name="web"):
        real = os.path.join(self.root, STATE.lstrip("/"), "sysctl_profile-%s.json" % name)
        if not os.path.exists(real):
            return None
        with open(real) as handle:
            return json.load(handle)

    def snapshot(self):
        """Every file and directory under the fake host, with content and mode."""
        result = {}
        for directory, dirs, files in os.walk(str(self.base)):
            for name in dirs:
                path = os.path.join(directory, name)
                result[path] = ("dir", stat.S_IMODE(os.lstat(path).st_mode))
            for name in files:
                path = os.path.join(directory, name)
                with open(path, "rb") as handle:
                    result[path] = (handle.read(), stat.S_IMODE(os.lstat(path).st_mode))
        return result

    def run(self, settings=None, check=False, diff=False, writer=write_value, **params):
        params.setdefault("name", "web")
        params.setdefault("nat_facing", "false")
        params.setdefault("state_dir", STATE)
        if settings is not None:
            params["settings"] = settings
        return engine.run(params, proc=self.proc, root=self.root, check_mode=check, diff=diff, writer=writer)


PROFILE = {
    "net.ipv4.tcp_fin_timeout": 30,
    "net.ipv4.tcp_keepalive_time": 600,
    "net.ipv4.tcp_rmem": [4096, 87380, 6291456],
    "net.ipv4.ip_local_port_range": "10240\t65001",
    "net.core.somaxconn": ">=1024",
}


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


def test_first_run_applies_live_then_persists_then_records(host):
    result = host.run(PROFILE)
    assert result["changed"] is True and result["file_changed"] is True
    assert result["file"] == DROPIN
    keys = result["keys"]
    assert list(keys) == list(PROFILE)
    assert keys["net.ipv4.tcp_fin_timeout"] == {
        "before": "60", "after": "30", "persisted": "30", "status": "changed",
        "reason": "live value 60 differs from 30"}
    assert keys["net.core.somaxconn"]["status"] == "unchanged"
    assert keys["net.core.somaxconn"]["persisted"] == "4096"
    assert host.live("net.ipv4.tcp_fin_timeout") == "30"
    assert host.live("net.ipv4.ip_local_port_range") == "10240 65001"
    text = host.file()
    assert text.startswith("# Managed by netfleet.tcp sysctl_profile, profile web\n# Do not edit")
    assert "net.ipv4.tcp_rmem = 4096 87380 6291456\n" in text
    assert "net.core.somaxconn = 4096\n" in text
    real = os.path.join(host.root, DROPIN.lstrip("/"))
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o644
    record = host.record()
    assert record["originals"] == {
        "net.ipv4.tcp_fin_timeout": "60", "net.ipv4.tcp_keepalive_time": "7200",
        "net.ipv4.tcp_rmem": "4096 131072 6291456", "net.ipv4.ip_local_port_range": "32768 60999"}
    state_dir = os.path.join(host.root, STATE.lstrip("/"))
    assert stat.S_IMODE(os.stat(state_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(state_dir, "sysctl_profile-web.json")).st_mode) == 0o600


def test_second_run_is_idempotent_and_writes_nothing(host):
    host.run(PROFILE)
    before = host.snapshot()
    result = host.run(PROFILE)
    assert result["changed"] is False and result["file_changed"] is False
    assert set(entry["status"] for entry in result["keys"].values()) == {"unchanged"}
    assert host.snapshot() == before


def test_whitespace_in_file_and_live_values_is_not_a_change(host):
    host.run(PROFILE)
    real = os.path.join(host.root, DROPIN.lstrip("/"))
    with open(real) as handle:
        text = handle.read()
    with open(real, "w") as handle:
        handle.write(text.replace("4096 87380 6291456", "4096\t87380    6291456").replace(" = ", "="))
    write_value("net.ipv4.tcp_rmem", "4096\t87380\t6291456", host.sys)
    settings = dict(PROFILE, **{"net.ipv4.tcp_rmem": "4096  87380\t6291456"})
    assert host.run(settings)["changed"] is False


def test_check_mode_predicts_the_real_run_and_writes_nothing(host):
    before = host.snapshot()
    predicted = host.run(PROFILE, check=True, diff=True)
    assert host.snapshot() == before  # not even the state directory
    real = host.run(PROFILE, diff=True)
    for field in ("changed", "file", "file_changed", "keys", "diff"):
        assert predicted[field] == real[field], field
    again = host.run(PROFILE, check=True)
    assert again["changed"] is False


def test_diff_shows_live_values_and_dropin(host):
    result = host.run({"net.ipv4.tcp_fin_timeout": 30, "net.core.somaxconn": 4096}, diff=True)
    live_diff, file_diff = result["diff"]
    assert live_diff["before"] == "net.ipv4.tcp_fin_timeout = 60\nnet.core.somaxconn = 4096\n"
    assert live_diff["after"] == "net.ipv4.tcp_fin_timeout = 30\nnet.core.somaxconn = 4096\n"
    assert live_diff["before_header"] == live_diff["after_header"] == "live values (/proc/sys)"
    assert file_diff["before"] == "" and file_diff["before_header"] == DROPIN + " (absent)"
    assert file_diff["after_header"] == DROPIN and "net.ipv4.tcp_fin_timeout = 30" in file_diff["after"]
    second = host.run({"net.ipv4.tcp_fin_timeout": 31, "net.core.somaxconn": 4096}, diff=True)
    assert second["diff"][1]["before"] == file_diff["after"]
    assert "net.ipv4.tcp_fin_timeout = 31" in second["diff"][1]["after"]


def test_bound_beyond_keeps_live_value_and_persists_it(host):
    write_value("net.core.somaxconn", "65535", host.sys)
    result = host.run({"net.core.somaxconn": ">=4096", "net.ipv4.tcp_max_syn_backlog": ">=8192"})
    assert result["keys"]["net.core.somaxconn"]["status"] == "unchanged"
    assert host.live("net.core.somaxconn") == "65535"
    assert host.live("net.ipv4.tcp_max_syn_backlog") == "8192"
    assert "net.core.somaxconn = 65535" in host.file()


def test_tw_recycle_zero_is_satisfied_where_the_kernel_removed_it(host):
    result = host.run({"net.ipv4.tcp_tw_recycle": 0, "net.ipv4.tcp_fin_timeout": 30})
    assert result["keys"]["net.ipv4.tcp_tw_recycle"]["status"] == "skipped-missing"
    assert "tcp_tw_recycle" not in host.file()
    assert not os.path.exists(os.path.join(host.sys, "net", "ipv4", "tcp_tw_recycle"))


@pytest.mark.parametrize("nat", ["true", "false"])
def test_tw_recycle_one_is_refused_whatever_the_nat_setting(host, nat):
    before = host.snapshot()
    with pytest.raises(engine.ProfileError) as caught:
        host.run({"net.ipv4.tcp_tw_recycle": 1, "net.ipv4.tcp_fin_timeout": 30}, nat_facing=nat)
    assert "net.ipv4.tcp_tw_recycle" in str(caught.value)
    assert caught.value.result["keys"]["net.ipv4.tcp_tw_recycle"]["status"] == "refused"
    assert host.snapshot() == before


def test_tw_recycle_one_is_refused_on_a_nat_facing_host_that_has_the_key(tmp_path):
    old = Host(tmp_path, extra={"kernel.osrelease": "4.9.0-8-amd64", "net.ipv4.tcp_tw_recycle": "0"})
    before = old.snapshot()
    with pytest.raises(engine.ProfileError, match="net.ipv4.tcp_tw_recycle"):
        old.run({"net.ipv4.tcp_tw_recycle": 1}, nat_facing="true")
    assert old.snapshot() == before


def test_missing_key_fails_or_is_skipped(host):
    settings = {"net.ipv4.tcp_max_orphans": 65536, "net.ipv4.tcp_fin_timeout": 30}
    before = host.snapshot()
    with pytest.raises(engine.ProfileError, match="net.ipv4.tcp_max_orphans"):
        host.run(settings)
    assert host.snapshot() == before
    result = host.run(settings, missing="skip")
    assert result["keys"]["net.ipv4.tcp_max_orphans"]["status"] == "skipped-missing"
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["status"] == "changed"
    assert "tcp_max_orphans" not in host.file()


def test_skipped_absent_keys_give_one_warning_with_their_reasons(host):
    settings = {"net.ipv4.tcp_max_orphans": 65536, "net.ipv4.tcp_fin_timeout": 30,
                "net.ipv4.tcp_mem": "94000 125000 188000", "net.ipv4.tcp_tw_recycle": 0}
    for check in (True, False):
        result = host.run(settings, check=check, missing="skip")
        skipped = [w for w in result["warnings"] if w.startswith("skipped ")]
        assert len(skipped) == 1, result["warnings"]
        warning = skipped[0]
        assert warning.startswith("skipped 2 keys absent in this network namespace or kernel")
        assert "net.ipv4.tcp_max_orphans (" in warning and "net.ipv4.tcp_mem (" in warning
        assert warning.index("net.ipv4.tcp_max_orphans") < warning.index("net.ipv4.tcp_mem")
        assert "no such key" in warning or "not present" in warning or "namespace" in warning
        # tcp_tw_recycle=0 on a kernel without it is satisfied: an info finding, no warning.
        assert "tcp_tw_recycle" not in warning
        assert result["keys"]["net.ipv4.tcp_tw_recycle"]["status"] == "skipped-missing"
        assert "tw-recycle-obsolete" in [f["id"] for f in result["findings"]]


def test_no_skip_warning_when_only_tw_recycle_is_skipped_or_nothing_is(host):
    result = host.run({"net.ipv4.tcp_tw_recycle": 0, "net.ipv4.tcp_fin_timeout": 30}, missing="skip")
    assert not [w for w in result["warnings"] if w.startswith("skipped ")]
    result = host.run({"net.ipv4.tcp_fin_timeout": 30}, missing="skip")
    assert result["warnings"] == []


def test_check_mode_file_changed_compares_the_drop_in_content(host):
    """Live drift alone leaves the drop-in as it is: check mode must not predict a rewrite."""
    host.run(PROFILE)
    dropin = host.file()
    write_value("net.ipv4.tcp_fin_timeout", "60", host.sys)
    write_value("net.ipv4.tcp_rmem", "4096\t131072\t6291456", host.sys)
    before = host.snapshot()
    predicted = host.run(PROFILE, check=True, diff=True)
    assert host.snapshot() == before
    assert predicted["changed"] is True and predicted["file_changed"] is False
    assert predicted["keys"]["net.ipv4.tcp_fin_timeout"]["status"] == "changed"
    changed = sorted(k for k, e in predicted["keys"].items() if e["status"] == "changed")
    assert changed == ["net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_rmem"]
    assert predicted["keys"]["net.ipv4.tcp_fin_timeout"]["persisted"] == "30"
    assert predicted["diff"][1]["before"] == predicted["diff"][1]["after"] == dropin
    real = host.run(PROFILE, diff=True)
    assert real["file_changed"] is False and host.file() == dropin
    assert host.live("net.ipv4.tcp_fin_timeout") == "30"
    # The drop-in itself drifting (edited by hand) is a content change check mode predicts.
    real_path = os.path.join(host.root, DROPIN.lstrip("/"))
    edited = dropin.replace("net.ipv4.tcp_fin_timeout = 30", "net.ipv4.tcp_fin_timeout = 45")
    assert edited != dropin
    with open(real_path, "w") as handle:
        handle.write(edited)
    predicted = host.run(PROFILE, check=True)
    assert predicted["file_changed"] is True and predicted["changed"] is True
    assert set(e["status"] for e in predicted["keys"].values()) == {"unchanged"}


HOSTILE = [
    ({"../../etc/passwd": 1}, "../../etc/passwd"),
    ({"/proc/sys/net/ipv4/tcp_fin_timeout": 30}, "/proc/sys/net/ipv4/tcp_fin_timeout"),
    ({"net.ipv4..tcp_fin_timeout": 30}, "net.ipv4..tcp_fin_timeout"),
    ({"net//ipv4.tcp_fin_timeout": 30}, "net//ipv4.tcp_fin_timeout"),
    ({"net.ipv4.conf.eth0/../../x.rp_filter": 1}, "net.ipv4.conf.eth0/../../x.rp_filter"),
    ({"net.ipv4.tcp_fin_timeout": "30\nkernel.core_pattern = |/bin/sh"}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": "30 = 40"}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": "30 # comment"}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": "'30'"}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": '"30"'}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": "30\x00"}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_timestamps": True}, "net.ipv4.tcp_timestamps"),
    ({"net.ipv4.tcp_timestamps": "yes"}, "net.ipv4.tcp_timestamps"),
    ({"net.ipv4.tcp_timestamps": "on"}, "net.ipv4.tcp_timestamps"),
    ({"net.ipv4.tcp_max_tw_buckets": 10 ** 30}, "net.ipv4.tcp_max_tw_buckets"),
    ({"net.ipv4.tcp_max_tw_buckets": -5}, "net.ipv4.tcp_max_tw_buckets"),
    ({"net.ipv4.tcp_fin_timeout": 1.5}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": ""}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": None}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": []}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_fin_timeout": {"a": 1}}, "net.ipv4.tcp_fin_timeout"),
    ({"net.ipv4.tcp_rmem": [4096, [1], 3]}, "net.ipv4.tcp_rmem"),
    ({"net.ipv4.no_such_key": 1}, "net.ipv4.no_such_key"),
    ({"net.ipv4.tcp_fin_timeout": "x" * 5000}, "net.ipv4.tcp_fin_timeout"),
]


@pytest.mark.parametrize("bad,key", HOSTILE)
def test_hostile_input_changes_nothing_and_names_the_key(host, bad, key):
    settings = dict(bad)
    settings["net.ipv4.tcp_keepalive_time"] = 600  # a valid key next to it is not applied either
    before = host.snapshot()
    with pytest.raises(engine.ProfileError) as caught:
        host.run(settings)
    assert key in str(caught.value)
    assert caught.value.result["changed"] is False
    assert host.snapshot() == before


def test_every_offending_key_is_named_at_once(host):
    with pytest.raises(engine.ProfileError) as caught:
        host.run({"net.ipv4.tcp_fin_timeout": "a\nb", "net.ipv4.tcp_timestamps": True, "../x": 1,
                  "net.ipv4.tcp_keepalive_time": 600})
    message = str(caught.value)
    for key in ("net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_timestamps", "../x"):
        assert key in message
    refused = [k for k, v in caught.value.result["keys"].items() if v["status"] == "refused"]
    assert sorted(refused) == sorted(["net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_timestamps", "../x"])


def test_symlinked_proc_entry_outside_proc_sys_is_refused(host, tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("0\n")
    os.symlink(str(outside), os.path.join(host.sys, "net", "ipv4", "evil"))
    before = host.snapshot()
    with pytest.raises(engine.ProfileError, match="net.ipv4.evil"):
        host.run({"net.ipv4.evil": 1})
    assert host.snapshot() == before and outside.read_text() == "0\n"


@pytest.mark.parametrize("params,needle", [
    ({"name": "../web"}, "name"),
    ({"name": "Web"}, "name"),
    ({"path": "/etc/sysctl.d/../../etc/shadow.conf"}, "path"),
    ({"path": "/etc/passwd"}, "path"),
    ({"path": "/usr/lib/sysctl.d/99-x.conf"}, "path"),
    ({"state_dir": "relative/dir"}, "state_dir"),
])
def test_hostile_options_change_nothing(host, params, needle):
    before = host.snapshot()
    with pytest.raises(engine.ProfileError, match=needle):
        host.run(PROFILE, **params)
    assert host.snapshot() == before


def test_empty_settings_are_refused(host):
    with pytest.raises(engine.ProfileError, match="settings"):
        host.run({})


class RefuseOnce(object):
    def __init__(self, key):
        self.key = key
        self.done = False

    def __call__(self, key, text, root):
        if key == self.key and not self.done:
            self.done = True
            raise SysctlWriteError(key, text, OSError(errno.EINVAL, "Invalid argument"))
        write_value(key, text, root)


def test_kernel_einval_halfway_rolls_back_and_reports(host):
    live_before = dict((key, host.live(key)) for key in PROFILE)
    before = host.snapshot()
    with pytest.raises(engine.ProfileError) as caught:
        host.run(PROFILE, writer=RefuseOnce("net.ipv4.tcp_rmem"))
    error = caught.value
    assert "the kernel refused net.ipv4.tcp_rmem = 4096 87380 6291456 (Invalid argument)" in str(error)
    result = error.result
    assert result["applied"] == ["net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time"]
    assert result["restored"] == ["net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time"]
    assert result["unrestored"] == [] and result["changed"] is False
    assert result["failed_key"] == "net.ipv4.tcp_rmem" and result["error"] == "Invalid argument"
    assert result["keys"]["net.ipv4.tcp_rmem"]["status"] == "refused"
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["status"] == "unchanged"
    assert "rolled back" in result["keys"]["net.ipv4.tcp_fin_timeout"]["reason"]
    assert result["keys"]["net.ipv4.ip_local_port_range"]["reason"] == "not applied: an earlier step failed"
    assert dict((key, host.live(key)) for key in PROFILE) == live_before
    after = host.snapshot()
    var = os.path.join(host.root, "var")
    assert all(path.startswith(var) for path in set(after) - set(before))
    assert dict((path, after[path]) for path in before) == before
    assert host.record() is None  # no drop-in, no record: only the state dir and its lock are new
    # the next run converges
    assert host.run(PROFILE)["changed"] is True


def test_failed_rollback_is_reported_not_hidden(host):
    class Stuck(object):
        calls = 0

        def __call__(self, key, text, root):
            if key == "net.ipv4.tcp_keepalive_time":
                raise SysctlWriteError(key, text, OSError(errno.EINVAL, "Invalid argument"))
            if key == "net.ipv4.tcp_fin_timeout" and text == "60":
                raise SysctlWriteError(key, text, OSError(errno.EPERM, "Operation not permitted"))
            write_value(key, text, root)

    with pytest.raises(engine.ProfileError, match="could NOT restore: net.ipv4.tcp_fin_timeout") as caught:
        host.run(PROFILE, writer=Stuck())
    result = caught.value.result
    assert result["changed"] is True
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["status"] == "changed"
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["after"] == "30"


def test_failing_dropin_write_rolls_live_values_back(host):
    sysctl_d = os.path.join(host.root, "etc", "sysctl.d")
    os.rmdir(sysctl_d)
    with open(sysctl_d, "w") as handle:
        handle.write("a file where the directory should be\n")
    live_before = dict((key, host.live(key)) for key in PROFILE)
    with pytest.raises(engine.ProfileError) as caught:
        host.run(PROFILE)
    message = str(caught.value)
    assert "cannot write %s" % DROPIN in message and "rolled back" in message
    result = caught.value.result
    assert result["restored"] == ["net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time",
                                  "net.ipv4.tcp_rmem", "net.ipv4.ip_local_port_range"]
    assert result["changed"] is False
    assert dict((key, host.live(key)) for key in PROFILE) == live_before
    assert host.record() is None


def test_failing_dropin_update_keeps_the_previous_record_and_file(host):
    host.run({"net.ipv4.tcp_fin_timeout": 30})
    record = host.record()
    text = host.file()
    real_dir = os.path.join(host.root, "etc", "sysctl.d")

    def lose_dir(key, value, root):  # the directory turns into a file under us: the write fails
        write_value(key, value, root)
        if not os.path.exists(real_dir + ".moved"):
            os.rename(real_dir, real_dir + ".moved")
            with open(real_dir, "w") as handle:
                handle.write("")

    with pytest.raises(engine.ProfileError, match="rolled back"):
        host.run({"net.ipv4.tcp_fin_timeout": 25, "net.ipv4.tcp_keepalive_time": 600}, writer=lose_dir)
    assert host.record() == record
    assert host.live("net.ipv4.tcp_fin_timeout") == "30" and host.live("net.ipv4.tcp_keepalive_time") == "7200"
    os.unlink(real_dir)
    os.rename(real_dir + ".moved", real_dir)
    assert host.file() == text


def test_foreign_file_at_path_is_never_touched(host):
    foreign = "/etc/sysctl.d/90-local.conf"
    real = os.path.join(host.root, foreign.lstrip("/"))
    with open(real, "w") as handle:
        handle.write("net.ipv4.tcp_fin_timeout = 45\n")
    before = host.snapshot()
    with pytest.raises(engine.ProfileError, match="not managed by netfleet.tcp"):
        host.run(PROFILE, path=foreign)
    assert host.snapshot() == before
    with pytest.raises(engine.ProfileError, match="not managed by netfleet.tcp"):
        host.run(path=foreign, state="absent")
    assert host.file(foreign) == "net.ipv4.tcp_fin_timeout = 45\n"


def test_another_profiles_file_is_never_touched(host):
    host.run({"net.ipv4.tcp_fin_timeout": 30}, name="db", path=DROPIN)
    with pytest.raises(engine.ProfileError, match="belongs to profile 'db'"):
        host.run(PROFILE)


def test_persist_false_changes_live_values_only(host):
    result = host.run(PROFILE, persist=False)
    assert result["changed"] is True and result["file"] is None and host.file() is None
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["persisted"] is None
    assert host.live("net.ipv4.tcp_fin_timeout") == "30"
    assert host.record()["originals"]["net.ipv4.tcp_fin_timeout"] == "60"
    assert host.run(PROFILE, persist=False)["changed"] is False


def test_persist_false_warns_when_our_file_persists_other_values(host):
    host.run({"net.ipv4.tcp_fin_timeout": 30})
    result = host.run({"net.ipv4.tcp_fin_timeout": 20}, persist=False)
    assert any("persists net.ipv4.tcp_fin_timeout = 30" in w for w in result["warnings"])
    assert "net.ipv4.tcp_fin_timeout = 30" in host.file()


def test_later_runs_add_originals_without_overwriting(host):
    host.run({"net.ipv4.tcp_fin_timeout": 30})
    host.run({"net.ipv4.tcp_fin_timeout": 20, "net.ipv4.tcp_keepalive_time": 600})
    assert host.record()["originals"] == {"net.ipv4.tcp_fin_timeout": "60", "net.ipv4.tcp_keepalive_time": "7200"}


def test_absent_restores_originals_and_removes_the_file(host):
    originals = dict((key, host.live(key)) for key in PROFILE)
    host.run(PROFILE)
    host.run({"net.ipv4.tcp_fin_timeout": 20, "net.ipv4.tcp_syn_retries": 3})
    predicted = host.run(state="absent", check=True, diff=True)
    assert host.file() is not None and host.live("net.ipv4.tcp_fin_timeout") == "20"
    result = host.run(state="absent", diff=True)
    for field in ("changed", "keys", "file_changed", "removed_files", "diff"):
        assert predicted[field] == result[field], field
    assert result["changed"] is True and result["removed_files"] == [DROPIN]
    assert result["keys"]["net.ipv4.tcp_fin_timeout"] == {
        "before": "20", "after": "60", "persisted": None, "status": "changed",
        "reason": "restored to the value recorded before the profile first changed it"}
    assert dict((key, host.live(key)) for key in PROFILE) == originals
    assert host.live("net.ipv4.tcp_syn_retries") == "6"
    assert host.file() is None and host.record() is None
    assert result["diff"][1]["after"] == "" and result["diff"][1]["before"].startswith("# Managed")
    again = host.run(state="absent")
    assert again["changed"] is False and again["keys"] == {}


def test_absent_without_anything_to_do_is_a_no_op_and_check_writes_nothing(host):
    before = host.snapshot()
    assert host.run(state="absent", check=True)["changed"] is False
    assert host.snapshot() == before


def test_absent_rolls_back_when_the_file_cannot_be_removed(host):
    host.run(PROFILE)
    real = os.path.join(host.root, DROPIN.lstrip("/"))
    os.unlink(real)
    os.mkdir(real)  # a directory where our file was: read() refuses before any change
    with pytest.raises(engine.ProfileError, match="not a regular file"):
        host.run(state="absent")
    assert host.live("net.ipv4.tcp_fin_timeout") == "30"


def test_absent_restore_failure_puts_values_back(host):
    host.run(PROFILE)
    with pytest.raises(engine.ProfileError, match="refused to restore") as caught:
        host.run(state="absent", writer=RefuseOnce("net.ipv4.tcp_rmem"))
    assert caught.value.result["unrestored"] == []
    assert host.live("net.ipv4.tcp_fin_timeout") == "30" and host.file() is not None
    assert host.record() is not None
    assert host.run(state="absent")["changed"] is True
    assert host.live("net.ipv4.tcp_fin_timeout") == "60"


def test_path_change_moves_the_file(host):
    host.run({"net.ipv4.tcp_fin_timeout": 30})
    other = "/etc/sysctl.d/98-web.conf"
    result = host.run({"net.ipv4.tcp_fin_timeout": 30}, path=other)
    assert result["changed"] is True and host.file() is None and host.file(other) is not None
    assert host.record()["path"] == other
    host.run(state="absent")
    assert host.file(other) is None


def test_lock_held_elsewhere_times_out_and_changes_nothing(host):
    state_dir = os.path.join(host.root, STATE.lstrip("/"))
    os.makedirs(state_dir, 0o700)
    lock = os.path.join(state_dir, "sysctl_profile.lock")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(10)\n"), lock],
        stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        before = host.snapshot()
        with pytest.raises(engine.ProfileError, match="held the lock"):
            host.run(PROFILE, lock_timeout=0)
        with pytest.raises(engine.ProfileError, match="held the lock"):
            host.run(PROFILE, lock_timeout=0, check=True)
        assert host.snapshot() == before
    finally:
        holder.kill()
        holder.wait()
    assert host.run(PROFILE, lock_timeout=0)["changed"] is True


def test_corrupt_record_is_a_clear_error(host):
    state_dir = os.path.join(host.root, STATE.lstrip("/"))
    os.makedirs(state_dir, 0o700)
    with open(os.path.join(state_dir, "sysctl_profile-web.json"), "w") as handle:
        handle.write("{")
    with pytest.raises(engine.ProfileError, match="not valid JSON"):
        host.run(PROFILE)
    assert host.live("net.ipv4.tcp_fin_timeout") == "60"


def test_findings_are_returned(host):
    result = host.run({"net.ipv4.tcp_tw_reuse": 1, "net.ipv4.tcp_timestamps": 0}, check=True)
    assert any(f["key"] in ("net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_timestamps") for f in result["findings"])


def _write(host, path, text):
    real = os.path.join(host.root, path.lstrip("/"))
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w") as handle:
        handle.write(text)


def test_a_later_file_that_overrides_a_key_is_named(host):
    _write(host, "/etc/sysctl.d/99-zzz-local-override.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    _write(host, "/etc/sysctl.d/10-early.conf", "net.ipv4.tcp_keepalive_time = 100\n")
    _write(host, "/usr/lib/sysctl.d/99-zzzz-vendor.conf", "net.ipv4.tcp_rmem = 4096 87380 6291456\n")
    predicted = host.run(PROFILE, check=True)
    result = host.run(PROFILE)
    assert predicted["shadowed"] == result["shadowed"]
    assert result["shadowed"] == [{
        "key": "net.ipv4.tcp_fin_timeout", "value": "45", "ours": "30",
        "file": "/etc/sysctl.d/99-zzz-local-override.conf", "line": 1,
        "loaders": ["systemd-sysctl", "sysctl --system"]}]
    assert len(result["warnings"]) == 1
    warning = result["warnings"][0]
    assert "/etc/sysctl.d/99-zzz-local-override.conf sets net.ipv4.tcp_fin_timeout = 45" in warning
    assert DROPIN in warning


def test_sysctl_conf_overrides_only_under_procps(host):
    _write(host, "/etc/sysctl.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    result = host.run(PROFILE)
    assert [(item["file"], item["loaders"]) for item in result["shadowed"]] == [
        ("/etc/sysctl.conf", ["sysctl --system"])]


def test_same_value_elsewhere_is_not_a_shadow(host):
    _write(host, "/etc/sysctl.d/99-zzz-local-override.conf", "net.ipv4.tcp_fin_timeout = 30\n")
    assert host.run(PROFILE)["shadowed"] == []


def test_unsafe_state_dir_is_refused_in_check_mode_too(host):
    state_dir = os.path.join(host.root, STATE.lstrip("/"))
    os.makedirs(state_dir)
    os.chmod(state_dir, 0o777)
    for check in (True, False):
        with pytest.raises(engine.ProfileError, match="writable by group or others"):
            host.run(PROFILE, check=check)
    assert host.live("net.ipv4.tcp_fin_timeout") == "60" and host.file() is None


def test_live_only_record_has_no_path(host):
    host.run(PROFILE, persist=False)
    assert host.record()["path"] is None
    assert host.run(state="absent")["removed_files"] == []
    assert host.live("net.ipv4.tcp_fin_timeout") == "60"


def test_read_only_write_error_is_worded_as_such(host):
    class ReadOnly(object):
        def __call__(self, key, text, root):
            raise SysctlWriteError(key, text, OSError(errno.EROFS, "Read-only file system"))

    with pytest.raises(engine.ProfileError, match="could not write net.ipv4.tcp_fin_timeout = 30 "
                                                  r"\(Read-only file system\); 0 key"):
        host.run(PROFILE, writer=ReadOnly())
    assert host.file() is None and host.record() is None
