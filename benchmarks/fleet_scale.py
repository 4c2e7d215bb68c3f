# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the audit and tuning roles on the fleet against `ansible -m ping` and a per-key play.

One invocation measures, on the same test-fleet hosts (tests/fleet, NETFLEET_FLEET_ID, default 9),
for each fleet size (--sizes, default NETFLEET_FLEET_SIZE or 20,50) and each forks value
(--forks, default 10,50), interleaved in every round:

  ping       `ansible all -m ping`: one module execution per host, the floor of any run over SSH;
  audit      `playbooks/audit.yml` (tcp_audit_fail_on=never, report written on the controller);
  first      `playbooks/tune.yml -e tcp_tuning_profile=web_frontend` on a freshly reset fleet;
  re-run     the same again (nothing to change);
  check      the same with --check --diff;
  absent     the same with tcp_tuning_state=absent;
  per-key    one ansible.posix.sysctl task per key, the keys and values the tuning role set on that
             host (reload: true, file /etc/sysctl.d/90-bench-posix.conf), on a freshly reset fleet.

Every run starts with cold SSH connections (a fresh control-path directory). The median of the rounds
is reported with the ratios to ping (targets: tuning at most 1.5x, audit at most 1.3x) and of tuning's
first apply to the per-key play (target at most 0.25x). Module executions per host are counted from
the results callback of the integration harness (every task result whose action is not
controller-only) and printed per role run (target 1).

ansible.posix comes from PyPI's `ansible` package, installed into a separate virtualenv under
.cache/bench-ansible on first use; the script re-executes itself there, so every command runs with
that venv's ansible-core. Writes its section of docs/benchmarks.md (<!-- BEGIN fleet_scale -->).

Usage (root, like the fleet):
    python3 benchmarks/fleet_scale.py [--sizes 20,50] [--forks 10,50] [--rounds 3] [--no-write]
"""

import argparse
import datetime
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
VENV = os.path.join(REPO, ".cache", "bench-ansible")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
DOC = os.path.join(REPO, "docs", "benchmarks.md")
SECTION = "fleet_scale"
TUNE = "playbooks/tune.yml"
AUDIT = "playbooks/audit.yml"
PROFILE = "web_frontend"
POSIX_FILE = "/etc/sysctl.d/90-bench-posix.conf"
TARGETS = {"audit": 1.3, "first": 1.5, "re-run": 1.5, "check": 1.5, "absent": 1.5}
PER_KEY_TARGET = 0.25
KINDS = ("ping", "audit", "first", "re-run", "check", "absent", "per-key")
CONTROLLER_ONLY = frozenset(["debug", "fail", "set_fact", "assert", "meta", "audit_files",
                             "include_tasks", "import_tasks", "include_role", "import_role",
                             "validate_argument_spec"])

POSIX_PLAY = """
- name: ansible.posix.sysctl, one task per key
  hosts: fleet
  gather_facts: false
  tasks:
    - name: One key
      ansible.posix.sysctl:
        name: "{{ item.key }}"
        value: "{{ item.value }}"
        sysctl_file: %s
        reload: true
      loop: "{{ bench_keys[inventory_hostname] | dict2items }}"
""" % POSIX_FILE


def ensure_venv():
    """Re-exec under .cache/bench-ansible (created with `pip install ansible` when missing)."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(os.path.join(VENV, "bin", "ansible-playbook")):
        print("creating %s with the ansible package (bundles ansible.posix) ..." % VENV, flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VENV_PYTHON, "-m", "pip", "install", "--quiet", "ansible"])
    os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)


def harness():
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    link = os.path.join(REPO, ".tmp", "collections", "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, ".tmp", "collections"))
    from harness import FleetSession, load_fleet_module  # noqa: E402
    return FleetSession, load_fleet_module


def executions(run):
    """Module executions per host: results whose action runs on the host, each item of a loop counted."""
    counts = {}
    for item in run.all_results:
        action = item["action"].rsplit(".", 1)[-1]
        if action in CONTROLLER_ONLY or item["status"] in ("skipped", "unreachable") \
                or item["result"].get("skipped"):
            continue
        looped = item["result"].get("results")
        counts[item["host"]] = counts.get(item["host"], 0) + (len(looped) if isinstance(looped, list) else 1)
    return counts


def timed(func, *args, **kwargs):
    control = tempfile.mkdtemp(prefix="nf-bench-cp-")
    env = dict(kwargs.pop("env", None) or {})
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control
    try:
        started = time.monotonic()
        run = func(*args, env=env, **kwargs)
        elapsed = time.monotonic() - started
    finally:
        for name in os.listdir(control):
            subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(control, name), "-O", "exit", "x"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=False)
        shutil.rmtree(control, ignore_errors=True)
    if run.rc != 0:
        raise SystemExit("benchmark run failed:\n%s" % run)
    return elapsed, run


def applied_keys(run):
    """``{host: {key: value}}`` the tuning role set (changed or unchanged) on each host."""
    keys = {}
    for host, result in run.results("Apply the whole profile in one call").items():
        keys[host] = dict((key, entry["after"]) for key, entry in result["keys"].items()
                          if entry["status"] in ("changed", "unchanged"))
    return keys


def one_round(fleet, forks, report_dir, state):
    """Every kind once, in an order that alternates with the round; returns ``{kind: (seconds, run)}``."""
    env = {"ANSIBLE_FORKS": str(forks)}
    tune = {"tcp_tuning_hosts": "fleet", "tcp_tuning_profile": PROFILE}
    steps = {
        "ping": lambda: timed(fleet.adhoc, "all", "ansible.builtin.ping", env=env),
        "audit": lambda: timed(fleet.playbook, AUDIT, env=env, extra_vars={
            "tcp_audit_report_dir": report_dir, "tcp_audit_fail_on": "never"}),
    }
    out = {}
    order = ["ping", "audit", "tuning", "per-key"]
    if state["round"] % 2:
        order.reverse()
    for kind in order:
        if kind in steps:
            out[kind] = steps[kind]()
        elif kind == "tuning":
            fleet.reset()
            out["first"] = timed(fleet.playbook, TUNE, env=env, extra_vars=tune)
            state.setdefault("keys", applied_keys(out["first"][1]))
            out["re-run"] = timed(fleet.playbook, TUNE, env=env, extra_vars=tune)
            out["check"] = timed(fleet.playbook, TUNE, env=env, extra_vars=tune, check=True, diff=True)
            out["absent"] = timed(fleet.playbook, TUNE, env=env, extra_vars=dict(tune, tcp_tuning_state="absent"))
        else:
            if "keys" not in state:
                fleet.reset()
                state["keys"] = applied_keys(timed(fleet.playbook, TUNE, env=env, extra_vars=tune)[1])
            fleet.reset()
            out["per-key"] = timed(fleet.playbook, POSIX_PLAY, env=env, extra_vars={"bench_keys": state["keys"]})
    fleet.reset()
    state["round"] += 1
    return out


def measure(fleet, forks, rounds, report_root):
    times = dict((kind, []) for kind in KINDS)
    counts = {}
    state = {"round": 0}
    for index in range(rounds):
        out = one_round(fleet, forks, os.path.join(report_root, "%d-%d" % (forks, index)), state)
        for kind in KINDS:
            times[kind].append(out[kind][0])
            per_host = executions(out[kind][1])
            counts.setdefault(kind, set()).update(per_host.values())
        print("  %d hosts, forks %d, round %d: %s" % (len(fleet.hosts), forks, index + 1, ", ".join(
            "%s %.2fs" % (kind, out[kind][0]) for kind in KINDS)), flush=True)
    medians = dict((kind, statistics.median(values)) for kind, values in times.items())
    keys = len(next(iter(state["keys"].values()))) if state.get("keys") else 0
    return {"hosts": len(fleet.hosts), "forks": forks, "rounds": rounds, "times": times, "median": medians,
            "executions": dict((kind, sorted(values)) for kind, values in counts.items()), "keys": keys}


def machine():
    with open("/proc/meminfo") as handle:
        mem_kib = int(handle.readline().split()[1])
    version = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "--version"],
                             stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.splitlines()[0]
    return {"cpus": os.cpu_count(), "mem_gib": mem_kib / 1024.0 / 1024.0, "kernel": platform.release(),
            "python": platform.python_version(), "ansible": version,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _verdict(ratio, target):
    return "%.2fx (%s)" % (ratio, "met" if ratio <= target else "NOT met, target <= %.2fx" % target)


def render(figures, skipped, meta, loads):
    lines = [
        "## The roles at fleet scale (fleet_scale)",
        "",
        "`ansible all -m ping`, `playbooks/audit.yml`, `playbooks/tune.yml -e tcp_tuning_profile=%s` (first apply on "
        "a reset fleet, re-run, `--check --diff`, `tcp_tuning_state=absent`) and one `ansible.posix.sysctl` task per "
        "key with the keys and values the role set (reload: true), interleaved in every round, on the same "
        "test-fleet hosts (network namespaces with their own sshd on this machine), pipelining on, every run "
        "with cold SSH connections. Median of the rounds." % PROFILE,
        "",
        "Machine: %d CPUs, %.0f GiB RAM, kernel %s, Python %s, %s; %s. Load average (1 min) at the start and "
        "end of each size: %s. The machine was shared with other test runs, so absolute times vary; the "
        "ratios compare runs made in the same minutes." % (
            meta["cpus"], meta["mem_gib"], meta["kernel"], meta["python"], meta["ansible"], meta["date"],
            "; ".join(loads)),
        "",
        "| Hosts | Forks | ping (s) | audit (s) | first (s) | re-run (s) | check (s) | absent (s) | per-key (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for item in figures:
        lines.append("| %d | %d | %s |" % (item["hosts"], item["forks"], " | ".join(
            "%.2f" % item["median"][kind] for kind in KINDS)))
    for size, reason in skipped:
        lines.append("| %d | - | not measured: %s |||||||" % (size, reason))
    lines += ["", "Ratios of the medians against the targets:", ""]
    for item in figures:
        med = item["median"]
        parts = ["%s / ping %s" % (kind, _verdict(med[kind] / med["ping"], TARGETS[kind])) for kind in TARGETS]
        parts.append("first / per-key %s" % _verdict(med["first"] / med["per-key"], PER_KEY_TARGET))
        lines.append("- %d hosts, forks %d: %s." % (item["hosts"], item["forks"], "; ".join(parts)))
    lines += ["", "Module executions per host per run (every host, every round):", ""]
    for item in figures:
        lines.append("- %d hosts, forks %d (%d keys per host): %s." % (
            item["hosts"], item["forks"], item["keys"], "; ".join(
                "%s %s" % (kind, "/".join(str(n) for n in item["executions"][kind])) for kind in KINDS)))
    lines += ["", "Every round (s):", ""]
    for item in figures:
        lines.append("- %d hosts, forks %d: %s." % (item["hosts"], item["forks"], "; ".join(
            "%s %s" % (kind, ", ".join("%.2f" % value for value in item["times"][kind])) for kind in KINDS)))
    lines += ["", "Reproduce: `sudo python3 benchmarks/fleet_scale.py` (NETFLEET_FLEET_ID selects the fleet; "
                  "`--sizes`, `--forks`, `--rounds`)."]
    return "\n".join(lines)


def load():
    return "%.1f" % os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default=os.environ.get("NETFLEET_FLEET_SIZE", "20,50"))
    parser.add_argument("--forks", default="10,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    ensure_venv()
    os.environ.setdefault("NETFLEET_FLEET_ID", "9")
    FleetSession, load_fleet_module = harness()
    reason = load_fleet_module().preflight()
    if reason:
        sys.exit("test fleet unavailable: %s" % reason)
    figures, skipped, loads = [], [], []
    report_root = tempfile.mkdtemp(prefix="nf-bench-fleet-")
    try:
        for size in [int(part) for part in args.sizes.split(",") if part.strip()]:
            fleet = FleetSession(os.environ["NETFLEET_FLEET_ID"], size)
            try:
                fleet.start()
            except Exception as error:  # pylint: disable=broad-except  # the machine cannot hold this many
                skipped.append((size, (str(error).splitlines() or [type(error).__name__])[0][:160]))
                fleet.stop()
                continue
            started = load()
            try:
                for forks in [int(part) for part in args.forks.split(",") if part.strip()]:
                    figures.append(measure(fleet, forks, args.rounds, report_root))
                    if not args.no_write:  # each size and forks as soon as it is measured
                        write_section(SECTION, render(figures, skipped, machine(), loads + [
                            "%d hosts %s -> %s" % (size, started, load())]), DOC)
            finally:
                loads.append("%d hosts %s -> %s" % (size, started, load()))
                fleet.stop()
    finally:
        shutil.rmtree(report_root, ignore_errors=True)
    text = render(figures, skipped, machine(), loads)
    print(text)
    if not args.no_write:
        write_section(SECTION, text, DOC)
    met = all(item["median"][kind] / item["median"]["ping"] <= target
              for item in figures for kind, target in TARGETS.items())
    return 0 if figures and met else 1


if __name__ == "__main__":
    sys.exit(main())
