"""Planning and the guarded live apply of sysctl_profile, over a fake /proc/sys."""

import errno
import json
import os
import signal
import threading

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlWriteError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value, write_value

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "sysctl_profile",
                       "proc_sys_child_netns.json")


def make_sys(tmp_path):
    with open(FIXTURE) as handle:
        values = json.load(handle)
    root = tmp_path / "proc" / "sys"
    for key, value in values.items():
        if key.startswith("_"):
            continue
        path = root.joinpath(*key.split("."))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    return str(root)


def snapshot(sys_root):
    result = {}
    for directory, _dirs, files in os.walk(sys_root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path) as handle:
                result[os.path.relpath(path, sys_root)] = handle.read()
    return result


def want(value=None, bound=None):
    return {"value": value, "bound": bound}


def test_plan_values_and_bounds():
    desired = {
        "net.ipv4.tcp_fin_timeout": want("30"),
        "net.ipv4.tcp_rmem": want("4096 131072 6291456"),
        "net.core.somaxconn": want(bound=(">=", 1024)),
        "net.ipv4.tcp_max_syn_backlog": want(bound=(">=", 8192)),
        "net.ipv4.tcp_keepalive_time": want(bound=("<=", 600)),
        "net.ipv4.gone": want("1"),
    }
    live = {
        "net.ipv4.tcp_fin_timeout": "60",
        "net.ipv4.tcp_rmem": "4096 131072 6291456",
        "net.core.somaxconn": "4096",
        "net.ipv4.tcp_max_syn_backlog": "512",
        "net.ipv4.tcp_keepalive_time": "300",
        "net.ipv4.gone": None,
    }
    steps = dict((s["key"], s) for s in engine.plan_steps(desired, live))
    assert steps["net.ipv4.tcp_fin_timeout"]["write"] and steps["net.ipv4.tcp_fin_timeout"]["target"] == "30"
    assert steps["net.ipv4.tcp_rmem"]["status"] == engine.UNCHANGED
    kept = steps["net.core.somaxconn"]
    assert (kept["write"], kept["target"], kept["status"]) == (False, "4096", engine.UNCHANGED)
    assert "already satisfies >=1024" in kept["reason"]
    raised = steps["net.ipv4.tcp_max_syn_backlog"]
    assert (raised["write"], raised["target"], raised["status"]) == (True, "8192", engine.CHANGED)
    assert steps["net.ipv4.tcp_keepalive_time"]["target"] == "300"
    assert steps["net.ipv4.gone"]["status"] == engine.SKIPPED
    assert list(steps) == list(desired)  # the profile's order


def test_persisted_entries_keep_user_form_and_bound_results():
    desired = {"net.ipv4.tcp_rmem": want("4096 131072 6291456"), "net.core.somaxconn": want(bound=(">=", 1024)),
               "net.ipv4.gone": want("1")}
    live = {"net.ipv4.tcp_rmem": "4096 131072 6291456", "net.core.somaxconn": "4096", "net.ipv4.gone": None}
    entries = engine.persisted_entries(engine.plan_steps(desired, live), desired)
    assert entries == [("net.ipv4.tcp_rmem", "4096 131072 6291456"), ("net.core.somaxconn", "4096")]


def test_file_plan_ignores_whitespace_and_order():
    entries = [("net.ipv4.tcp_fin_timeout", "30"), ("net.ipv4.tcp_rmem", "4096 131072 6291456")]
    assert engine.file_plan("web", "/p", None, entries)[0] == "create"
    existing = ("# Managed by netfleet.tcp sysctl_profile, profile web\n"
                "net.ipv4.tcp_rmem =\t4096  131072\t6291456\nnet.ipv4.tcp_fin_timeout=30\n")
    assert engine.file_plan("web", "/p", existing, entries) == ("unchanged", existing)
    action, text = engine.file_plan("web", "/p", existing, entries[:1])
    assert action == "update" and "tcp_rmem" not in text
    action, _text = engine.file_plan("web", "/p", existing, [("net.ipv4.tcp_fin_timeout", "31"), entries[1]])
    assert action == "update"


def test_apply_live_writes_and_reads_back(tmp_path):
    sys_root = make_sys(tmp_path)
    steps = engine.plan_steps({"net.ipv4.tcp_fin_timeout": want("30"), "net.ipv4.tcp_rmem": want("4096 87380 6291456")},
                              {"net.ipv4.tcp_fin_timeout": "60", "net.ipv4.tcp_rmem": "4096 131072 6291456"})
    changes = engine.apply_live(steps, sys_root)
    assert changes == [("net.ipv4.tcp_fin_timeout", "60"), ("net.ipv4.tcp_rmem", "4096 131072 6291456")]
    assert read_value("net.ipv4.tcp_fin_timeout", sys_root) == "30"
    assert read_value("net.ipv4.tcp_rmem", sys_root) == "4096 87380 6291456"


class KernelRefuses(object):
    """A writer that behaves like the kernel's range check: EINVAL for one key, partial write optional."""

    def __init__(self, key, partial=False):
        self.key = key
        self.partial = partial
        self.calls = []
        self.refused = False

    def __call__(self, key, text, root):
        self.calls.append((key, text))
        if key == self.key and not self.refused:
            self.refused = True  # refuse the new value; the rollback's write of the old one succeeds
            if self.partial:
                # proc_dointvec stores each integer as it parses: the first lands, then EINVAL.
                current = read_value(key, root).split(" ")
                current[0] = text.split(" ")[0]
                write_value(key, " ".join(current), root)
            raise SysctlWriteError(key, text, OSError(errno.EINVAL, os.strerror(errno.EINVAL)))
        write_value(key, text, root)


@pytest.mark.parametrize("partial", [False, True])
def test_einval_halfway_rolls_back_every_key(tmp_path, partial):
    sys_root = make_sys(tmp_path)
    before = snapshot(sys_root)
    desired = {
        "net.ipv4.tcp_fin_timeout": want("30"),
        "net.core.somaxconn": want("8192"),
        "net.ipv4.tcp_wmem": want("8192 65536 8388608"),
        "net.ipv4.tcp_keepalive_time": want("600"),
    }
    live = dict((key, read_value(key, sys_root)) for key in desired)
    writer = KernelRefuses("net.ipv4.tcp_wmem", partial=partial)
    with pytest.raises(engine.LiveApplyError) as caught:
        engine.apply_live(engine.plan_steps(desired, live), sys_root, writer=writer)
    failure = caught.value
    assert failure.key == "net.ipv4.tcp_wmem" and failure.error.errno == errno.EINVAL
    assert failure.applied == ["net.ipv4.tcp_fin_timeout", "net.core.somaxconn"]
    expected = ["net.ipv4.tcp_fin_timeout", "net.core.somaxconn"] + (["net.ipv4.tcp_wmem"] if partial else [])
    assert failure.restored == expected and failure.unrestored == []
    assert ("net.ipv4.tcp_keepalive_time", "600") not in writer.calls
    after = snapshot(sys_root)
    assert dict((k, " ".join(v.split())) for k, v in after.items()) == \
        dict((k, " ".join(v.split())) for k, v in before.items())


def test_value_that_does_not_stick_counts_as_refused(tmp_path):
    sys_root = make_sys(tmp_path)

    def clamping_writer(key, text, root):
        write_value(key, "128" if key == "net.core.somaxconn" else text, root)

    desired = {"net.ipv4.tcp_fin_timeout": want("30"), "net.core.somaxconn": want("65536")}
    live = dict((key, read_value(key, sys_root)) for key in desired)
    with pytest.raises(engine.LiveApplyError) as caught:
        engine.apply_live(engine.plan_steps(desired, live), sys_root, writer=clamping_writer)
    assert "kept '128'" in str(caught.value)
    assert read_value("net.ipv4.tcp_fin_timeout", sys_root) == "60"


def test_rollback_reports_what_it_cannot_restore(tmp_path):
    sys_root = make_sys(tmp_path)

    def stubborn(key, text, root):
        if key == "net.core.somaxconn":
            raise SysctlWriteError(key, text, OSError(errno.EPERM, "Operation not permitted"))
        write_value(key, text, root)

    write_value("net.ipv4.tcp_fin_timeout", "30", sys_root)
    write_value("net.core.somaxconn", "8192", sys_root)
    restored, unrestored = engine.rollback(
        [("net.ipv4.tcp_fin_timeout", "60"), ("net.core.somaxconn", "4096")], sys_root, writer=stubborn)
    assert restored == ["net.ipv4.tcp_fin_timeout"]
    assert unrestored[0]["key"] == "net.core.somaxconn" and "Operation not permitted" in unrestored[0]["error"]


def test_signals_are_held_during_the_guarded_block():
    received = []
    previous = signal.signal(signal.SIGHUP, lambda *_args: received.append("hup"))
    try:
        with engine.signals_deferred():
            # To this thread: a process-directed signal may be delivered to another thread
            # (pytest-xdist runs some), whose mask the block does not change.
            signal.pthread_kill(threading.get_ident(), signal.SIGHUP)
            assert received == []
        assert received == ["hup"]
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_read_only_proc_sys_net_is_refused_before_any_write():
    steps = engine.plan_steps({"net.ipv4.tcp_fin_timeout": want("30"), "net.core.somaxconn": want("4096")},
                              {"net.ipv4.tcp_fin_timeout": "60", "net.core.somaxconn": "4096"})
    problem = engine.read_only_problem({"proc_sys_net_writable": False}, steps)
    assert "read-only" in problem and "net.ipv4.tcp_fin_timeout" in problem
    assert "net.core.somaxconn" not in problem  # already right: nothing to write
    assert engine.read_only_problem({"proc_sys_net_writable": True}, steps) is None
    unchanged = engine.plan_steps({"net.core.somaxconn": want("4096")}, {"net.core.somaxconn": "4096"})
    assert engine.read_only_problem({"proc_sys_net_writable": False}, unchanged) is None
