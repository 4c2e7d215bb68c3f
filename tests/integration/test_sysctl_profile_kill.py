"""sysctl_profile killed at random points: nothing mixed and nothing left behind after the next run.

A fleet host is a child network namespace of this machine; every key here is one of that
namespace's own (net.ipv4.tcp_*, net.core.somaxconn, ip_local_port_range), never a machine-wide
one, and the machine's kernel.*, vm.* and fs.* values are compared before and after.

The loop drives the module's own engine inside the host (sysctl_profile_driver.py, entered with
nsenter into the host's sshd namespaces as its SSH sessions are) so that hundreds of kills fit in
a few minutes: a server imports the collection once and forks one child per run, and the kill
lands on that child wherever it is.
"""

import json
import os
import random
import subprocess
import time

import pytest
from harness import machine_sysctls

pytestmark = pytest.mark.integration

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DRIVER = os.path.join(HERE, "sysctl_profile_driver.py")
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
KILLS = int(os.environ.get("NETFLEET_KILL_LOOP", "200"))

PROFILE = {
    "net.ipv4.tcp_fin_timeout": 21,
    "net.ipv4.tcp_keepalive_time": 601,
    "net.ipv4.tcp_keepalive_intvl": 41,
    "net.ipv4.tcp_keepalive_probes": 5,
    "net.ipv4.tcp_syn_retries": 4,
    "net.ipv4.tcp_synack_retries": 3,
    "net.ipv4.tcp_orphan_retries": 2,
    "net.ipv4.tcp_max_syn_backlog": 4096,
    "net.core.somaxconn": 8192,
    "net.ipv4.ip_local_port_range": "20000 60999",
}
NAME = "killed"
DROPIN = "99-zz-netfleet-tcp-%s.conf" % NAME
STATE_DIR = "/var/lib/netfleet-tcp"
DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", STATE_DIR]
PRESENT = {"name": NAME, "settings": PROFILE, "nat_facing": "false"}
ABSENT = {"name": NAME, "state": "absent", "nat_facing": "false"}


class Server:
    """The driver's --serve process inside a fleet host."""

    def __init__(self, fleet, host):
        argv = fleet._enter(host) + ["/usr/bin/python3", DRIVER, COLLECTIONS, "--serve"]  # pylint: disable=protected-access
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                     universal_newlines=True, bufsize=1)

    def ask(self, command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the driver died: rc=%s" % self.proc.poll()
        return json.loads(line)

    def run(self, params, check=False, kill_after=None):
        return self.ask({"params": params, "check": check, "kill_after": kill_after})

    def probe(self):
        return self.ask({"probe": {"keys": sorted(PROFILE), "dirs": DIRS}})

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def want(value):
    return " ".join(str(value).split())


def temp_files(probe):
    return ["%s/%s" % (d, n) for d, names in probe["dirs"].items() for n in names or ()
            if n.endswith(".tmp")]


def classify(values, old, new):
    """'old', 'new' or 'mixed' for the profile's keys."""
    if all(values[k] == old[k] for k in PROFILE):
        return "old"
    if all(values[k] == want(new[k]) for k in PROFILE):
        return "new"
    return "mixed"


@pytest.fixture
def server(fleet):
    host = fleet.hosts[0]
    fleet.reset([host])
    started = Server(fleet, host)
    yield fleet, host, started
    started.close()
    fleet.reset([host])


def test_an_apply_killed_after_some_writes_is_undone_by_the_next_run(server):
    """A kill at a known point (after 4 of 10 live writes): mixed until the next run, which undoes it."""
    fleet, host, srv = server
    machine_before = machine_sysctls()
    old = srv.probe()["values"]
    killed = subprocess.run(  # pylint: disable=subprocess-run-check
        fleet._enter(host) + ["/usr/bin/python3", DRIVER, COLLECTIONS, json.dumps(PRESENT),  # pylint: disable=protected-access
                              "--die-after-writes", "4"], stdout=subprocess.PIPE, timeout=120)
    assert killed.returncode == -9, killed
    after_kill = srv.probe()
    assert classify(after_kill["values"], old, PROFILE) == "mixed"
    assert "sysctl_profile.journal" in after_kill["dirs"][STATE_DIR]
    check = srv.run(ABSENT, check=True)["out"]
    real = srv.run(ABSENT)["out"]
    assert not check["failed"] and not real["failed"], real
    for result in (check["result"], real["result"]):
        assert result["recovery"]["profile"] == NAME
        assert len(result["recovery"]["undone"]) == 4
        assert result["changed"] is True
    assert check["result"]["recovery"] == real["result"]["recovery"]
    assert check["result"]["keys"] == real["result"]["keys"]
    probe = srv.probe()
    assert probe["values"] == old
    assert DROPIN not in probe["dirs"]["/etc/sysctl.d"] and not temp_files(probe)
    assert sorted(probe["dirs"][STATE_DIR]) == ["sysctl_profile.lock"]
    # The same kill, then a present run: it undoes, then applies the whole profile.
    killed = subprocess.run(  # pylint: disable=subprocess-run-check
        fleet._enter(host) + ["/usr/bin/python3", DRIVER, COLLECTIONS, json.dumps(PRESENT),  # pylint: disable=protected-access
                              "--die-after-writes", "7"], stdout=subprocess.PIPE, timeout=120)
    assert killed.returncode == -9, killed
    check = srv.run(PRESENT, check=True)["out"]
    real = srv.run(PRESENT)["out"]
    assert check["result"]["keys"] == real["result"]["keys"]
    assert check["result"]["recovery"] == real["result"]["recovery"]
    assert all(entry["before"] == old[key] for key, entry in real["result"]["keys"].items())
    assert classify(srv.probe()["values"], old, PROFILE) == "new"
    assert srv.run(ABSENT)["out"]["failed"] is False
    assert srv.probe()["values"] == old
    assert machine_sysctls() == machine_before


PLAY = """
- name: The profile the kills interrupt
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: "%s"
        settings: "{{ profile }}"
""" % NAME


def test_temporary_files_of_killed_writers_are_removed_under_the_lock(server):
    """Over SSH: a killed writer's .tmp files (nobody holds their lock) go on the next run, not in check mode."""
    fleet, host, srv = server
    planted = ["/etc/sysctl.d/.netfleet-tcp-k1ll3d.tmp", "%s/.sysctl_profile-k1ll3d.tmp" % STATE_DIR]
    fleet.sh(host, "mkdir -p %s && for f in %s; do echo half > $f; done" % (STATE_DIR, " ".join(planted)))
    check = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE}, check=True)
    assert check.rc == 0, check
    predicted = check.results("profile")[host]
    assert sorted(predicted["recovery"]["removed_temp_files"]) == sorted(planted)
    assert sorted(temp_files(srv.probe())) == sorted(planted), "check mode removed something"
    real = fleet.playbook(PLAY, extra_vars={"target": host, "profile": PROFILE})
    assert real.rc == 0, real
    assert real.results("profile")[host]["recovery"] == predicted["recovery"]
    assert real.results("profile")[host]["keys"] == predicted["keys"]
    assert temp_files(srv.probe()) == []
    assert srv.run(ABSENT)["out"]["failed"] is False


def _calibrate(srv):
    """Seconds an unkilled apply takes from the fork to its exit (the median of five)."""
    times = []
    for _attempt in range(5):
        answer = srv.run(PRESENT)
        assert answer["out"]["failed"] is False, answer
        times.append(answer["elapsed"])
        assert srv.run(ABSENT)["out"]["failed"] is False
    return sorted(times)[2]


def test_sigkill_loop(server):
    """At least KILLS SIGKILLs at random points of an apply of a 10-key profile; after each the next
    run converges, nothing is mixed, absent restores the originals and no temporary file is left."""
    fleet, host, srv = server
    machine_before = machine_sysctls()
    old = srv.probe()["values"]
    assert all(old[k] != want(v) for k, v in PROFILE.items()), "the profile must change every key"
    duration = _calibrate(srv)
    rng = random.Random(int(os.environ.get("NETFLEET_KILL_SEED", time.time())))
    counts = {"kills": 0, "runs": 0, "landed_mid_change": 0, "mixed_before_next_run": 0, "converged": 0,
              "mixed_after_next_run": 0, "restored_by_absent": 0, "debris_after": 0, "recovered": 0,
              "debris_before_next_run": 0}
    failures = []
    mid_change = []  # kill delays that landed inside the journaled block
    started = time.monotonic()
    while counts["kills"] < KILLS and counts["runs"] < KILLS * 3:
        counts["runs"] += 1
        # Every other kill is drawn from the span where earlier kills landed inside the journaled block
        # (the live writes take microseconds of a run dominated by validation and fsyncs).
        if mid_change and counts["runs"] % 2:
            delay = rng.uniform(min(mid_change) * 0.98, max(mid_change) * 1.02)
        else:
            delay = rng.uniform(0, duration)
        answer = srv.run(PRESENT, kill_after=delay)
        if answer["killed"]:
            counts["kills"] += 1
            before = srv.probe()
            state = classify(before["values"], old, PROFILE)
            counts["mixed_before_next_run"] += state == "mixed"
            counts["debris_before_next_run"] += bool(temp_files(before))
            if "sysctl_profile.journal" in before["dirs"][STATE_DIR]:
                counts["landed_mid_change"] += 1
                mid_change.append(delay)
        nxt = srv.run(PRESENT)["out"]
        counts["recovered"] += "recovery" in nxt["result"]
        after = srv.probe()
        if not nxt["failed"] and classify(after["values"], old, PROFILE) == "new":
            counts["converged"] += 1
        else:
            counts["mixed_after_next_run"] += classify(after["values"], old, PROFILE) == "mixed"
            failures.append(("next run", nxt["msg"], after["values"]))
        gone = srv.run(ABSENT)["out"]
        final = srv.probe()
        leftovers = temp_files(final) + [n for n in final["dirs"][STATE_DIR] if n != "sysctl_profile.lock"]
        leftovers += [n for n in final["dirs"]["/etc/sysctl.d"] if n == DROPIN]
        if not gone["failed"] and final["values"] == old:
            counts["restored_by_absent"] += 1
        else:
            failures.append(("absent", gone["msg"], final["values"]))
        if leftovers:
            counts["debris_after"] += 1
            failures.append(("debris", leftovers))
    counts["seconds"] = round(time.monotonic() - started, 1)
    counts["apply_seconds"] = round(duration, 4)
    line = "sigkill loop: %s" % json.dumps(counts, sort_keys=True)
    print(line)
    os.makedirs(os.path.join(REPO, ".tmp"), exist_ok=True)
    with open(os.path.join(REPO, ".tmp", "sigkill-loop.txt"), "w") as handle:  # for the record, even when captured
        handle.write(line + "\n")
    assert counts["kills"] >= KILLS, counts
    assert not failures, failures[:5]
    assert counts["mixed_after_next_run"] == 0 and counts["debris_after"] == 0
    assert counts["converged"] == counts["runs"] and counts["restored_by_absent"] == counts["runs"]
    # The kills reached the guarded block, not only the validation before it.
    assert counts["landed_mid_change"] > 0 and counts["mixed_before_next_run"] > 0, counts
    # Independently of the driver: the host's own view, and the machine.
    for key, value in old.items():
        assert fleet.sysctl(host, key) == value
    assert DROPIN not in fleet.list_dir(host, "/etc/sysctl.d")
    assert machine_sysctls() == machine_before
