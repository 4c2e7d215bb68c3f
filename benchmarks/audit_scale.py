# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the fleet audit (playbooks/audit.yml) against `ansible -m ping` on the same hosts.

Both run in one invocation, on the same test-fleet hosts (tests/fleet, NETFLEET_FLEET_ID, default 6),
with the same ansible-core, the same forks and the same pipelining (the fleet's ansible.cfg:
pipelining on, ControlPersist 60s), alternating ping and audit in each round:

  ping    `ansible all -m ping`: one module execution per host, the floor of any run over SSH;
  audit   `ansible-playbook playbooks/audit.yml`: tcp_state_facts (details ports and listeners)
          and sysctl_check on every host, then the report built once and written on the controller
          (Markdown, JSON, JUnit XML) and the table printed; tcp_audit_fail_on=never.

Every run starts cold: a fresh SSH control-path directory, so no run reuses another's connections.
Each pair runs ROUNDS times; the median wall time of each command is reported, with the ratio
audit / ping (target: at most 3x). The audit's report must list every host as audited, and the
hosts' net.* values and sysctl.d files are compared before and after (the audit changes nothing).

Sizes: 20 hosts, then 50 where the machine holds them (`fleet.sh up 50`; a size that cannot be
brought up is reported as not measured, with the reason).

Prints the figures and rewrites its section of docs/benchmarks.md
(between <!-- BEGIN audit_scale --> and <!-- END audit_scale -->).

Usage (root, like the fleet):
    python3 benchmarks/audit_scale.py [--sizes 20,50] [--rounds 3] [--forks 10] [--no-write] [--keep]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _docs_section import write_section  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(REPO, "docs", "benchmarks.md")
SECTION = "audit_scale"
TARGET_RATIO = 3.0
PLAYBOOK = "playbooks/audit.yml"


def harness():
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    link = os.path.join(REPO, ".tmp", "collections", "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, ".tmp", "collections"))
    from harness import FleetSession, load_fleet_module  # noqa: E402
    return FleetSession, load_fleet_module


def timed(func, *args, **kwargs):
    control = tempfile.mkdtemp(prefix="nf-bench-cp-")
    env = dict(kwargs.pop("env", None) or {})
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control
    try:
        started = time.monotonic()
        run = func(*args, env=env, **kwargs)
        return time.monotonic() - started, run
    finally:
        # End the control masters this run left behind, then drop their directory.
        for name in os.listdir(control):
            subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(control, name), "-O", "exit", "x"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=False)
        shutil.rmtree(control, ignore_errors=True)


def snapshot(fleet):
    return dict((host, fleet.snapshot(host)) for host in fleet.hosts)


def measure(fleet, rounds, forks, report_root):
    env = {"ANSIBLE_FORKS": str(forks)}
    ping_times, audit_times = [], []
    before = snapshot(fleet)
    for index in range(rounds):
        order = ("ping", "audit") if index % 2 == 0 else ("audit", "ping")
        for kind in order:
            if kind == "ping":
                elapsed, run = timed(fleet.adhoc, "all", "ansible.builtin.ping", env=env)
                if run.rc != 0:
                    raise SystemExit("ping failed:\n%s" % run)
                ping_times.append(elapsed)
            else:
                report_dir = os.path.join(report_root, "round-%d" % index)
                elapsed, run = timed(fleet.playbook, PLAYBOOK, env=env, extra_vars={
                    "tcp_audit_report_dir": report_dir, "tcp_audit_fail_on": "never"})
                if run.rc != 0:
                    raise SystemExit("audit failed:\n%s" % run)
                with open(os.path.join(report_dir, "audit.json")) as handle:
                    report = json.load(handle)
                audited = [entry["host"] for entry in report["hosts"] if entry["status"] == "ok"]
                if sorted(audited) != sorted(fleet.hosts):
                    raise SystemExit("the report audited %s, not the fleet's %s" % (audited, fleet.hosts))
                audit_times.append(elapsed)
            print("  round %d %-5s %6.2f s" % (index + 1, kind, (ping_times if kind == "ping" else audit_times)[-1]),
                  flush=True)
    if snapshot(fleet) != before:
        raise SystemExit("a fleet host changed during the audit benchmark")
    ping, audit = statistics.median(ping_times), statistics.median(audit_times)
    return {"hosts": len(fleet.hosts), "forks": forks, "rounds": rounds, "ping": ping, "audit": audit,
            "ratio": audit / ping, "ping_all": ping_times, "audit_all": audit_times}


def machine():
    try:
        with open("/proc/meminfo") as handle:
            mem_kib = int(handle.readline().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 0
    try:
        version = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "--version"],
                                 stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        version = "ansible (version unknown)"
    return {"cpus": os.cpu_count(), "mem_gib": mem_kib / 1024.0 / 1024.0, "kernel": platform.release(),
            "python": platform.python_version(), "ansible": version,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def render(figures, skipped, meta):
    lines = [
        "## Fleet audit at scale (audit_scale)",
        "",
        "`ansible-playbook playbooks/audit.yml` (tcp_state_facts with ports and listeners, sysctl_check, "
        "the report written once on the controller as Markdown, JSON and JUnit XML, the table printed) "
        "against `ansible all -m ping`, on the same test-fleet hosts (network namespaces with their own "
        "sshd on this machine), same forks, pipelining on, every run with cold SSH connections. Median of "
        "the rounds; ping and audit alternate.",
        "",
        "Machine: %d CPUs, %.0f GiB RAM, kernel %s, Python %s, %s; %s." % (
            meta["cpus"], meta["mem_gib"], meta["kernel"], meta["python"], meta["ansible"], meta["date"]),
        "",
        "| Hosts | Forks | Rounds | ping (s) | audit (s) | audit / ping | Target <= %.0fx |" % TARGET_RATIO,
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for item in figures:
        lines.append("| %d | %d | %d | %.2f | %.2f | %.2fx | %s |" % (
            item["hosts"], item["forks"], item["rounds"], item["ping"], item["audit"], item["ratio"],
            "met" if item["ratio"] <= TARGET_RATIO else "NOT met"))
    for size, reason in skipped:
        lines.append("| %d | - | - | - | - | - | not measured: %s |" % (size, reason))
    lines += ["", "Every round (s):", ""]
    for item in figures:
        lines.append("- %d hosts: ping %s; audit %s" % (
            item["hosts"], ", ".join("%.2f" % value for value in item["ping_all"]),
            ", ".join("%.2f" % value for value in item["audit_all"])))
    lines += [
        "",
        "Reproduce: `sudo python3 benchmarks/audit_scale.py` (NETFLEET_FLEET_ID selects the fleet, default 6; "
        "`--sizes`, `--rounds`, `--forks`).",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="20,50", help="comma-separated fleet sizes (default 20,50)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    parser.add_argument("--keep", action="store_true", help="leave the fleet up afterwards")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    os.environ.setdefault("NETFLEET_FLEET_ID", "6")
    FleetSession, load_fleet_module = harness()
    reason = load_fleet_module().preflight()
    if reason:
        sys.exit("test fleet unavailable: %s" % reason)
    figures, skipped = [], []
    report_root = tempfile.mkdtemp(prefix="nf-bench-audit-")
    fleet = None
    try:
        for size in sizes:
            fleet = FleetSession(os.environ["NETFLEET_FLEET_ID"], size)
            try:
                fleet.start()
            except Exception as error:  # the machine cannot hold this many hosts
                skipped.append((size, str(error).splitlines()[0][:160] if str(error) else type(error).__name__))
                print("%d hosts: not measured: %s" % (size, skipped[-1][1]), flush=True)
                fleet.stop()
                fleet = None
                continue
            print("fleet %s: %d hosts, %d forks, %d rounds" % (fleet.id, len(fleet.hosts), args.forks, args.rounds),
                  flush=True)
            figures.append(measure(fleet, args.rounds, args.forks, os.path.join(report_root, str(size))))
            print("  %d hosts: ping %.2f s, audit %.2f s, %.2fx" % (
                size, figures[-1]["ping"], figures[-1]["audit"], figures[-1]["ratio"]), flush=True)
    finally:
        shutil.rmtree(report_root, ignore_errors=True)
        if fleet is not None and not args.keep and os.environ.get("NETFLEET_FLEET_KEEP") != "1":
            fleet.stop()
    text = render(figures, skipped, machine())
    print(text)
    if not args.no_write:
        write_section(SECTION, text, DOC)
        print("wrote the %s section of %s" % (SECTION, os.path.relpath(DOC, REPO)))
    return 0 if figures and all(item["ratio"] <= TARGET_RATIO for item in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
