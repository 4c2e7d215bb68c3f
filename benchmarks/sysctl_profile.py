# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: a 15-key profile with netfleet.tcp.sysctl_profile vs one ansible.posix.sysctl task per key.

Both run in one invocation, on the same test-fleet hosts (tests/fleet, NETFLEET_FLEET_ID, default 4),
with the same ansible-core, the same 15 net.* keys and values, from the same reset state:

  profile   one netfleet.tcp.sysctl_profile task (one module execution per host);
  per-key   fifteen ansible.posix.sysctl tasks, each with reload (its default), so each changed key
            runs `sysctl -p FILE`. FILE is /etc/sysctl.d/90-bench-posix.conf as the fleet host sees
            it (its own sysctl.d, bound over /etc/sysctl.d in its mount namespace), which holds only
            the benchmark's net.* keys, so the reloads write nothing machine-wide. The script checks
            that the machine's kernel.*, fs.* and vm.* values are the same before and after.

Each variant runs ROUNDS times (first apply from a reset fleet, then an idempotent re-run); the
median wall time of `ansible-playbook` is reported. The `ansible` package from PyPI (which bundles
ansible.posix) lives in a separate virtualenv, .tmp/bench-venv, created on first use; both variants
run with that venv's ansible-playbook so they share one ansible-core.

Prints the figures and rewrites its section of docs/benchmarks.md
(between <!-- BEGIN sysctl_profile --> and <!-- END sysctl_profile -->).

Usage (root, like the fleet):  python3 benchmarks/sysctl_profile.py [--rounds N] [--hosts N] [--no-write]
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

from _docs_section import write_section  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(REPO, ".tmp", "bench-venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
DOC = os.path.join(REPO, "docs", "benchmarks.md")
SECTION = "sysctl_profile"
TARGET_RATIO = 0.2
POSIX_FILE = "/etc/sysctl.d/90-bench-posix.conf"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-bench.conf"

# 15 keys every child network namespace has; the values differ from a fresh namespace's.
KEYS = [
    ("net.ipv4.tcp_fin_timeout", "30"),
    ("net.ipv4.tcp_tw_reuse", "1"),
    ("net.ipv4.tcp_keepalive_time", "600"),
    ("net.ipv4.tcp_keepalive_intvl", "30"),
    ("net.ipv4.tcp_keepalive_probes", "5"),
    ("net.ipv4.tcp_syn_retries", "4"),
    ("net.ipv4.tcp_synack_retries", "3"),
    ("net.ipv4.tcp_max_syn_backlog", "4096"),
    ("net.ipv4.tcp_max_tw_buckets", "262144"),
    ("net.ipv4.tcp_rmem", "4096 131072 16777216"),
    ("net.ipv4.tcp_wmem", "4096 65536 16777216"),
    ("net.ipv4.ip_local_port_range", "10240 65001"),
    ("net.ipv4.tcp_slow_start_after_idle", "0"),
    ("net.ipv4.tcp_notsent_lowat", "131072"),
    ("net.core.somaxconn", "8192"),
]

PROFILE_PLAY = """
- name: sysctl_profile benchmark
  hosts: fleet
  gather_facts: false
  tasks:
    - name: profile
      netfleet.tcp.sysctl_profile:
        name: bench
        settings: "{{ bench_settings }}"
"""

POSIX_TASK = """
    - name: "{key}"
      ansible.posix.sysctl:
        name: "{key}"
        value: "{value}"
        sysctl_file: "%s"
        reload: true
""" % POSIX_FILE

POSIX_PLAY = """
- name: ansible.posix.sysctl benchmark
  hosts: fleet
  gather_facts: false
  tasks:
""" + "".join(POSIX_TASK.format(key=key, value=value) for key, value in KEYS)


def ensure_venv():
    """Re-exec under .tmp/bench-venv (created with `pip install ansible` when missing)."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(os.path.join(VENV, "bin", "ansible-playbook")):
        print("creating %s with the ansible package (bundles ansible.posix) ..." % VENV, flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VENV_PYTHON, "-m", "pip", "install", "--quiet", "ansible"])
    os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)


def fleet_session(size):
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    sys.path.insert(0, os.path.join(REPO, ".tmp", "collections"))
    from harness import FleetSession, load_fleet_module, machine_sysctls  # noqa: E402
    reason = load_fleet_module().preflight()
    if reason:
        sys.exit("test fleet unavailable: %s" % reason)
    os.environ.setdefault("NETFLEET_FLEET_ID", "4")
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, ".tmp", "collections"))
    link = os.path.join(REPO, ".tmp", "collections", "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    session = FleetSession(os.environ["NETFLEET_FLEET_ID"], size)
    session.start()
    return session, machine_sysctls


def timed(fleet, play, extra_vars=None):
    started = time.monotonic()
    run = fleet.playbook(play, extra_vars=extra_vars)
    elapsed = time.monotonic() - started
    if run.rc != 0:
        raise SystemExit("benchmark run failed:\n%s" % run)
    return elapsed, run


def executions(run, action):
    per_host = {}
    for record in run.all_results:
        if record["action"] == action:
            per_host[record["host"]] = per_host.get(record["host"], 0) + 1
    return per_host


def changed_tasks(run):
    return sum(1 for record in run.all_results if record["status"] == "changed")


def check_values(fleet):
    for host in fleet.hosts:
        for key, value in KEYS:
            got = fleet.sysctl(host, key)
            if got != value:
                raise SystemExit("%s: %s is %r after the run, expected %r" % (host, key, got, value))


def check_posix_file(fleet):
    """The file `sysctl -p` reloads holds only the benchmark's net.* keys, on every host."""
    wanted = set(key for key, _value in KEYS)
    for host in fleet.hosts:
        text = fleet.read_file(host, POSIX_FILE) or ""
        keys = set(line.split("=", 1)[0].strip() for line in text.splitlines()
                   if line.strip() and not line.lstrip().startswith(("#", ";")))
        if keys != wanted:
            raise SystemExit("%s: %s holds %s, expected only the benchmark's net.* keys"
                             % (host, POSIX_FILE, sorted(keys)))


def measure(fleet, rounds):
    settings = dict(KEYS)
    figures = {"profile": {"first": [], "again": []}, "per-key": {"first": [], "again": []}}
    meta = {}
    for _round in range(rounds):
        for variant, play, extra, action in (
                ("profile", PROFILE_PLAY, {"bench_settings": settings}, "netfleet.tcp.sysctl_profile"),
                ("per-key", POSIX_PLAY, None, "ansible.posix.sysctl")):
            fleet.reset()
            first, run = timed(fleet, play, extra)
            check_values(fleet)
            if variant == "per-key":
                check_posix_file(fleet)
            again, rerun = timed(fleet, play, extra)
            figures[variant]["first"].append(first)
            figures[variant]["again"].append(again)
            meta[variant] = {
                "executions": executions(run, action),
                "changed_first": changed_tasks(run),
                "changed_again": changed_tasks(rerun),
            }
            print("  %-8s first %.2fs, re-run %.2fs" % (variant, first, again), flush=True)
    fleet.reset()
    return figures, meta


def load_average():
    try:
        return "%.1f" % os.getloadavg()[0]
    except OSError:
        return "unknown"


def render(figures, meta, hosts, rounds):
    med = dict((v, dict((k, statistics.median(t)) for k, t in phases.items())) for v, phases in figures.items())
    ratio = med["profile"]["first"] / med["per-key"]["first"]
    rounds_ratio = [p / k for p, k in zip(figures["profile"]["first"], figures["per-key"]["first"])]
    ratio_again = med["profile"]["again"] / med["per-key"]["again"]
    per_host = dict((v, sorted(set(meta[v]["executions"].values()))) for v in ("profile", "per-key"))
    lines = [
        "## sysctl_profile: one profile vs one ansible.posix.sysctl task per key",
        "",
        "Run %s on %s, kernel %s, Python %s, ansible-core from the `ansible` package in a separate venv." % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            platform.node() or "this machine", platform.release(), platform.python_version()),
        "%d test-fleet hosts (network namespaces with their own sshd, SSH pipelining on), the same 15 net.* "
        "keys and values, each variant from a reset fleet; median of %d rounds of `ansible-playbook` wall "
        "time. The per-key variant uses `reload: true` (its default) with `sysctl_file` pointing at the "
        "host's own `/etc/sysctl.d/90-bench-posix.conf`, so each reload touches only those net.* keys. "
        "%d CPUs, 1-minute load average %s at the start and %s at the end of the run (other work shares "
        "the machine; both variants run interleaved, so they share the noise)." % (
            len(hosts), rounds, os.cpu_count() or 0, meta["load"][0], meta["load"][1]),
        "",
        "| | netfleet.tcp.sysctl_profile | ansible.posix.sysctl per key | ratio |",
        "| --- | --- | --- | --- |",
        "| module executions per host | %s | %s | |" % (
            ", ".join(str(n) for n in per_host["profile"]), ", ".join(str(n) for n in per_host["per-key"])),
        "| first apply (15 keys change), wall time | %.2f s | %.2f s | %.2fx |" % (
            med["profile"]["first"], med["per-key"]["first"], ratio),
        "| idempotent re-run, wall time | %.2f s | %.2f s | %.2fx |" % (
            med["profile"]["again"], med["per-key"]["again"], ratio_again),
        "| tasks reporting changed, first apply (all hosts) | %d | %d | |" % (
            meta["profile"]["changed_first"], meta["per-key"]["changed_first"]),
        "| tasks reporting changed, re-run (all hosts) | %d | %d | |" % (
            meta["profile"]["changed_again"], meta["per-key"]["changed_again"]),
        "",
        "Target: at most %.1fx the per-key wall time: %s (%.2fx; per round, first apply: %s)." % (
            TARGET_RATIO, "met" if ratio <= TARGET_RATIO else "NOT met", ratio,
            ", ".join("%.2fx" % r for r in rounds_ratio)),
        "",
        "Reproduce: `sudo python3 benchmarks/sysctl_profile.py` (NETFLEET_FLEET_ID selects the fleet, "
        "default 4; `--rounds`, `--hosts`).",
    ]
    return "\n".join(lines), ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=int(os.environ.get("NETFLEET_FLEET_SIZE", "4")))
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    parser.add_argument("--keep", action="store_true", help="leave the fleet up afterwards")
    args = parser.parse_args()
    ensure_venv()
    fleet, machine_sysctls = fleet_session(args.hosts)
    try:
        machine_before = machine_sysctls()
        print("fleet %s: %d hosts; %d rounds" % (fleet.id, len(fleet.hosts), args.rounds), flush=True)
        load_start = load_average()
        figures, meta = measure(fleet, args.rounds)
        meta["load"] = (load_start, load_average())
        if machine_sysctls() != machine_before:
            raise SystemExit("the machine's kernel.*/fs.*/vm.* values changed during the benchmark")
    finally:
        if not args.keep and os.environ.get("NETFLEET_FLEET_KEEP") != "1":
            fleet.stop()
    text, ratio = render(figures, meta, fleet.hosts, args.rounds)
    print(text)
    if not args.no_write:
        write_section(SECTION, text, DOC)
        print("wrote the %s section of %s" % (SECTION, os.path.relpath(DOC, REPO)))
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
