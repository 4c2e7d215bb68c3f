"""Fault injection on the test fleet: the host ends fully old or fully new, never half-tuned.

Faults: the SSH connection killed and the module signalled while it waits for the host lock and
while it writes (writes slowed with strace's delay injection so the window is seconds wide), the
module killed outright mid-write, a full and a read-only drop-in directory (a tiny tmpfs and a
read-only bind mount over /etc/sysctl.d inside the host's mount namespace), a read-only /proc/sys,
a key the kernel rejects halfway, an unreachable host in the middle of an audit, and two runs
against one host at once. Every value is re-read inside the host, never through ansible. The
faults injected and their outcomes are counted and printed at the end.
Run with NETFLEET_FLEET_ID=7 (the reliability fleet).
"""

import collections
import os
import signal
import subprocess
import threading
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.fleet_faults]

NAME = "rel"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-rel.conf"
STATE = "/var/lib/netfleet-tcp"
LOCK = STATE + "/sysctl_profile.lock"

OLD_KEYS = ("net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_syn_retries", "net.ipv4.tcp_synack_retries",
            "net.ipv4.tcp_max_tw_buckets", "net.core.somaxconn", "net.ipv4.tcp_notsent_lowat",
            "net.ipv4.tcp_slow_start_after_idle")
PROFILE_A = dict(zip(OLD_KEYS, ("21", "601", "31", "6", "4", "3", "200000", "1024", "131072", "0")))
PROFILE_B = dict(zip(OLD_KEYS, ("22", "602", "32", "7", "5", "4", "200001", "2048", "262144", "0")))

PLAY = """
- name: Apply the profile
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: %s
        settings: "{{ profile }}"
        state: "{{ profile_state | default('present') }}"
        lock_timeout: "{{ lock_timeout | default(60) }}"
""" % NAME

FAULTS = collections.OrderedDict()


def record(fault, outcome):
    FAULTS.setdefault(fault, []).append(outcome)


@pytest.fixture(scope="module", autouse=True)
def print_fault_counts():
    yield
    lines = ["faults injected: %d" % sum(len(v) for v in FAULTS.values())]
    for fault, outcomes in FAULTS.items():
        lines.append("    %-58s %s" % (fault, "; ".join(outcomes)))
    print("\n" + "\n".join(lines))
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        ".tmp", "reliability-faults.txt")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


@pytest.fixture
def host(fleet):
    name = fleet.groups["servers"][-1]
    fleet.reset([name])
    yield name
    fleet.reset([name])


def live(fleet, host, keys=OLD_KEYS):
    return dict((key, fleet.sysctl(host, key)) for key in keys)


def whole(fleet, host, old, new):
    """'old' or 'new' when the live values and the drop-in are all one or all the other; else fail."""
    values = live(fleet, host)
    text = fleet.read_file(host, DROPIN)
    if values == old and text is None:
        return "old"
    if values == new and text is not None and all("%s = %s\n" % kv in text for kv in new.items()):
        return "new"
    raise AssertionError("host half-tuned: live %r, drop-in %r" % (values, text))


def _ns_inode(fleet, host):
    return os.stat(fleet._fleet.host(host).ns_path).st_ino


def module_pids(fleet, host, exclude=()):
    """python processes running in the host (the module under AnsiballZ), oldest first."""
    inode = _ns_inode(fleet, host)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in exclude:
            continue
        try:
            if os.stat("/proc/%s/ns/net" % entry).st_ino != inode:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"python3") and b"-c" not in argv:
            found.append(int(entry))
    return sorted(found)


def session_pids(fleet, host):
    """The host's sshd per-connection processes (children of its listener)."""
    listener = fleet._fleet.sshd_pid(fleet._fleet.host(host))
    inode = _ns_inode(fleet, host)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat("/proc/%s/ns/net" % entry).st_ino != inode:
                continue
            with open("/proc/%s/stat" % entry) as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == listener:
            found.append(int(entry))
    return found


def wait_for(predicate, timeout=60, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting for %r" % predicate)


class HeldLock(object):
    """The profile's host lock held from another process inside the host (as a second run would)."""

    SCRIPT = ("import fcntl, os, sys, time\n"
              "os.makedirs('%s', 0o700, exist_ok=True)\n"
              "fd = os.open('%s', os.O_RDWR | os.O_CREAT, 0o600)\n"
              "fcntl.flock(fd, fcntl.LOCK_EX)\n"
              "print('held', flush=True)\n"
              "sys.stdin.read()\n" % (STATE, LOCK))

    def __init__(self, fleet, host):
        self.proc = subprocess.Popen(fleet._enter(host) + ["/usr/bin/python3", "-c", self.SCRIPT],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        assert self.proc.stdout.readline().strip() == "held"

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def start_play(fleet, host, profile, **extra):
    runs = {}
    extra_vars = dict({"target": host, "profile": profile}, **extra)

    def go():
        runs["run"] = fleet.playbook(PLAY, extra_vars=extra_vars)

    thread = threading.Thread(target=go)
    thread.start()
    return thread, runs


def blocked_module(fleet, host, holder):
    """Wait until the module runs in the host and is blocked on the held lock; its pid."""
    pids = wait_for(lambda: module_pids(fleet, host, exclude=(holder.proc.pid,)), timeout=60)
    time.sleep(1.0)  # it has read its arguments and validated; it now polls the lock
    return pids[-1]


def converge(fleet, host, profile):
    run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": profile})
    assert run.rc == 0, run
    assert live(fleet, host) == profile
    again = fleet.playbook(PLAY, extra_vars={"target": host, "profile": profile})
    assert again.rc == 0 and again.results("profile")[host]["changed"] is False, str(again)
    return run


# --------------------------------------------------------------------------- killed connections


def test_connection_killed_while_waiting_for_the_lock(fleet, host):
    old = live(fleet, host)
    holder = HeldLock(fleet, host)
    try:
        thread, runs = start_play(fleet, host, PROFILE_A)
        pid = blocked_module(fleet, host, holder)
        for session in session_pids(fleet, host):
            if session != holder.proc.pid:
                os.kill(session, signal.SIGKILL)
        holder.release()
        thread.join(120)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), timeout=60)
    finally:
        holder.release()
    outcome = whole(fleet, host, old, PROFILE_A)
    record("ssh session killed while the module waits for the lock", "host fully %s" % outcome)
    converge(fleet, host, PROFILE_A)


def test_hangup_while_waiting_for_the_lock_leaves_the_host_old(fleet, host):
    old = live(fleet, host)
    holder = HeldLock(fleet, host)
    try:
        thread, runs = start_play(fleet, host, PROFILE_A)
        pid = blocked_module(fleet, host, holder)
        os.kill(pid, signal.SIGHUP)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), timeout=30)
        thread.join(120)
    finally:
        holder.release()
    assert runs["run"].rc != 0
    assert whole(fleet, host, old, PROFILE_A) == "old"
    assert fleet.list_dir(host, STATE) in ([], ["sysctl_profile.lock"])
    record("SIGHUP to the module while it waits for the lock", "host fully old, no record")
    converge(fleet, host, PROFILE_A)


def _slowed_apply(fleet, host, profile, on_first_change):
    """Run the profile with every write(2) of the module delayed 300 ms (strace fault injection),
    call ``on_first_change(pid)`` once the first live value moved, and wait for the module to end."""
    old = live(fleet, host)
    holder = HeldLock(fleet, host)
    tracer = None
    try:
        thread, runs = start_play(fleet, host, profile)
        pid = blocked_module(fleet, host, holder)
        tracer = subprocess.Popen(["strace", "-qq", "-f", "-o", "/dev/null", "-e", "trace=write",
                                   "-e", "inject=write:delay_exit=300000", "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # attached
        holder.release()
        wait_for(lambda: live(fleet, host) != old, timeout=60, step=0.02)
        on_first_change(pid)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), timeout=60)
        thread.join(180)
    finally:
        holder.release()
        if tracer is not None and tracer.poll() is None:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
    return old, runs.get("run")


def test_hangup_and_term_in_the_middle_of_the_writes_are_held_back(fleet, host):
    def hang_up(pid):
        os.kill(pid, signal.SIGHUP)
        os.kill(pid, signal.SIGTERM)
        for session in session_pids(fleet, host):
            os.kill(session, signal.SIGKILL)

    old, _run = _slowed_apply(fleet, host, PROFILE_A, hang_up)
    assert whole(fleet, host, old, PROFILE_A) == "new"
    record("SIGHUP+SIGTERM to the module and ssh session killed mid-write", "held back: host fully new")
    run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE_A})
    assert run.rc == 0 and run.results("profile")[host]["changed"] is False, run
    # The record kept the values from before the interrupted run, so removal restores them.
    gone = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE_A, "profile_state": "absent"})
    assert gone.rc == 0, gone
    assert live(fleet, host) == old and fleet.read_file(host, DROPIN) is None


def test_module_killed_outright_mid_write_converges_and_restores(fleet, host):
    """SIGKILL cannot be held back: live values may be half-written, but nothing else is, the next
    run converges, and state=absent restores the values from before the killed run."""
    def kill(pid):
        os.kill(pid, signal.SIGKILL)

    old, _run = _slowed_apply(fleet, host, PROFILE_A, kill)
    values = live(fleet, host)
    changed = [key for key in OLD_KEYS if values[key] != old[key]]
    assert all(values[key] == PROFILE_A[key] for key in changed)
    assert fleet.read_file(host, DROPIN) is None
    assert not [n for n in fleet.list_dir(host, "/etc/sysctl.d") + fleet.list_dir(host, STATE) if n.endswith(".tmp")]
    record("SIGKILL to the module mid-write", "%d of %d keys written, no drop-in, no temp file; next run converged, "
           "absent restored the originals" % (len(changed), len(OLD_KEYS)))
    converge(fleet, host, PROFILE_A)
    gone = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE_A, "profile_state": "absent"})
    assert gone.rc == 0, gone
    assert live(fleet, host) == old


# --------------------------------------------------------------------------- broken directories


def _apply_fails_and_rolls_back(fleet, host, words):
    old = live(fleet, host)
    run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE_A})
    assert run.rc != 0, run
    result = run.results("profile")[host]
    assert result["failed"] is True and result["changed"] is False, result
    for word in words:
        assert word in result["msg"], result["msg"]
    for key in OLD_KEYS:  # key by key, read inside the host
        assert fleet.sysctl(host, key) == old[key], key
    return result


def test_full_dropin_directory_rolls_the_live_values_back(fleet, host):
    fleet.sh(host, "mount -t tmpfs -o size=8k,mode=0755 tmpfs /etc/sysctl.d && "
                   "(dd if=/dev/zero of=/etc/sysctl.d/filler bs=1k count=64 2>/dev/null; true)")
    try:
        result = _apply_fails_and_rolls_back(fleet, host, ["cannot write %s" % DROPIN, "No space left",
                                                           "rolled back"])
        assert result["restored"] == list(OLD_KEYS) and result["unrestored"] == []
        assert fleet.list_dir(host, "/etc/sysctl.d") == ["filler"]
    finally:
        fleet.sh(host, "umount /etc/sysctl.d")
    record("drop-in directory full (8k tmpfs)", "ENOSPC named, %d keys rolled back, no temp file left"
           % len(result["restored"]))
    converge(fleet, host, PROFILE_A)


def test_read_only_dropin_directory_rolls_the_live_values_back(fleet, host):
    fleet.sh(host, "mount --bind /etc/sysctl.d /etc/sysctl.d && mount -o remount,bind,ro /etc/sysctl.d")
    try:
        result = _apply_fails_and_rolls_back(fleet, host, ["cannot write %s" % DROPIN, "Read-only file system",
                                                           "rolled back"])
        assert result["unrestored"] == []
    finally:
        fleet.sh(host, "umount /etc/sysctl.d")
    assert fleet.read_file(host, DROPIN) is None
    record("drop-in directory read-only (ro bind mount)", "EROFS named, %d keys rolled back"
           % len(result["restored"]))
    converge(fleet, host, PROFILE_A)


def test_read_only_proc_sys_fails_before_any_write(fleet, host):
    before = fleet.snapshot(host)
    fleet.sh(host, "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys")
    try:
        run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE_A})
    finally:
        fleet.sh(host, "umount /proc/sys")
    assert run.rc != 0
    result = run.results("profile")[host]
    assert "/proc/sys/net is read-only" in result["msg"] and "nothing was changed" in result["msg"], result
    after = fleet.snapshot(host)
    assert after["sysctl"] == before["sysctl"] and after["sysctl_d"] == before["sysctl_d"]
    assert set(after["state"]) - set(before["state"]) <= {"sysctl_profile.lock"}
    record("/proc/sys read-only (ro bind mount)", "refused up front, nothing written")
    converge(fleet, host, PROFILE_A)


def test_kernel_rejects_a_key_halfway(fleet, host):
    old = live(fleet, host)
    items = list(PROFILE_A.items())
    settings = dict(items[:5] + [("net.ipv4.ip_default_ttl", 0)] + items[5:])
    run = fleet.playbook(PLAY, extra_vars={"target": host, "profile": settings})
    assert run.rc != 0
    result = run.results("profile")[host]
    assert "the kernel refused net.ipv4.ip_default_ttl = 0 (Invalid argument)" in result["msg"], result["msg"]
    assert result["applied"] == [key for key, _v in items[:5]] and result["restored"] == result["applied"]
    for key in OLD_KEYS:
        assert fleet.sysctl(host, key) == old[key], key
    assert fleet.read_file(host, DROPIN) is None
    record("kernel EINVAL on key 6 of 11", "5 applied keys rolled back key by key, no drop-in")
    converge(fleet, host, PROFILE_A)


# --------------------------------------------------------------------------- fleet-level faults


def test_unreachable_host_in_the_middle_of_an_audit(fleet, tmp_path):
    hosts = fleet.hosts
    victim = hosts[len(hosts) // 2]
    before = dict((h, fleet.snapshot(h)) for h in hosts if h != victim)
    fleet.isolate(victim)
    try:
        run = fleet.playbook("playbooks/audit.yml", extra_vars={
            "tcp_audit_report_dir": str(tmp_path), "tcp_audit_fail_on": "never", "tcp_audit_print_table": False})
    finally:
        fleet.restore(victim)
    assert run.stats[victim]["unreachable"] >= 1, run
    report = __import__("json").load(open(str(tmp_path / "audit.json")))
    status = dict((entry["host"], entry["status"]) for entry in report["hosts"])
    assert status[victim] == "unreachable", status
    for other in hosts:
        if other != victim:
            assert status[other] == "ok", status
            assert run.stats[other]["failed"] == 0 and run.stats[other]["unreachable"] == 0
            assert fleet.snapshot(other)["sysctl"] == before[other]["sysctl"]
    record("host isolated during the audit", "%d others audited in full, report says %s unreachable"
           % (len(hosts) - 1, victim))


def test_two_runs_at_once_end_in_one_profile(fleet, host):
    threads = []
    runs = {}
    for label, profile in (("a", PROFILE_A), ("b", PROFILE_B)):
        thread, holder = start_play(fleet, host, profile)
        threads.append(thread)
        runs[label] = holder
    for thread in threads:
        thread.join(300)
    for label, holder in runs.items():
        assert holder["run"].rc == 0, holder["run"]
    values = live(fleet, host)
    assert values in (PROFILE_A, PROFILE_B), values
    winner = PROFILE_A if values == PROFILE_A else PROFILE_B
    text = fleet.read_file(host, DROPIN)
    assert all("%s = %s\n" % kv in text for kv in winner.items()), text
    record("two runs against one host at once", "serialised by the lock, host holds profile %s whole"
           % ("A" if winner is PROFILE_A else "B"))
