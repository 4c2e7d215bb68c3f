# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the audit and tuning roles on the fleet against `ansible -m ping` and a per-key play.

One invocation measures, on the same test-fleet hosts (tests/fleet, NETFLEET_FLEET_ID, default 9),
for each fleet size (--sizes, default NETFLEET_FLEET_SIZE or 20,50) and each forks value
(--forks, default 10,50), sizes, forks and kinds interleaved in every round:

  ping       `ansible all -m ping`: one module execution per host, the floor of any run over SSH;
  play-ping  a playbook with one ansible.builtin.ping task (no target: what ansible-playbook's start
             and one task cost, so the account of the time can tell the roles' share from it);
  audit      `playbooks/audit.yml` (tcp_audit_fail_on=never, report written on the controller);
  first      `playbooks/tune.yml -e tcp_tuning_profile=web_frontend` on a freshly reset fleet;
  re-run     the same again (nothing to change);
  check      the same with --check --diff;
  absent     the same with tcp_tuning_state=absent;
  per-key    one ansible.posix.sysctl task per key, the keys and values the tuning role set on that
             host (reload: true, file /etc/sysctl.d/90-bench-posix.conf), right after `absent`
             put back the values the reset fleet had.

One fleet of the largest size is brought up once (or reused when a healthy fleet of that size is
already up: `--keep` leaves it up for the next invocation); a smaller size runs on its first hosts
with an inventory of those hosts only, and the resets between runs reset only them.

Every run starts with cold SSH connections (a fresh control-path directory). The median of the rounds
is reported with the ratios to ping (targets: tuning at most 1.5x, audit at most 1.3x) and of tuning's
first apply to the per-key play (target at most 0.25x). Module executions per host are counted from
the results callback of the integration harness (every task result whose action is not
controller-only, every item of a loop) and printed per run (target 1 for the roles), with the
controller-only task results per host next to them. The section lists every target missed.

ansible.posix comes from PyPI's `ansible` package, installed into a separate virtualenv under
.cache/bench-ansible on first use; the script re-executes itself there, so every command runs with
that venv's ansible-core. Writes its section of docs/benchmarks.md (<!-- BEGIN fleet_scale -->).

Usage (root, like the fleet):
    python3 benchmarks/fleet_scale.py [--sizes 20,50] [--forks 10,50] [--rounds 3] [--until HH:MM] [--resume] [--keep] [--no-write]
"""

import argparse
import datetime
import os
import platform
import shutil
import signal
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
# The roles' variable prefixes: tcp_tuning_* and tcp_audit_* since the roles are tcp_tuning and
# tcp_audit (the old tuning_* and audit_* names still work, through a deprecation lookup).
NEW_ROLES = os.path.isdir(os.path.join(REPO, "roles", "tcp_tuning"))
TUNING = "tcp_tuning_" if NEW_ROLES else "tuning_"
AUDITING = "tcp_audit_" if NEW_ROLES else "audit_"
POSIX_FILE = "/etc/sysctl.d/90-bench-posix.conf"
TARGETS = {"audit": 1.3, "first": 1.5, "re-run": 1.5, "check": 1.5, "absent": 1.5}
PER_KEY_TARGET = 0.25
KINDS = ("ping", "play-ping", "audit", "first", "re-run", "check", "absent", "per-key")
TUNING_KINDS = ("first", "re-run", "check", "absent")
# Actions that never execute a module on the managed host (action plugins that run on the controller).
CONTROLLER_ONLY = frozenset(["debug", "fail", "set_fact", "assert", "meta", "audit_files", "role_var_aliases",
                             "include_tasks", "import_tasks", "include_role", "import_role",
                             "validate_argument_spec", "set_stats", "add_host", "group_by", "include_vars"])

# Why a role run costs more than ping even at one module execution per host (the section ends with it).
WHY = (
    "Ping is the floor: one ad-hoc task, one small module execution per host. A role run pays that, "
    "plus ansible-playbook's start (loading the collection, the roles and their argument specs; the "
    "one-task playbook above measures it with the play), plus a pass of the strategy over every host "
    "for each controller-only task listed above (templating, conditionals, callbacks), plus a module "
    "execution that costs more than ping's: a larger payload, and the host compiles the collection's "
    "module_utils it imports on every run (benchmarks/module_cost.py prints payload, imports and CPU "
    "per execution). The audit also builds, renders and writes the fleet report on the controller. "
    "The fleet hosts here are network namespaces on the controller's own CPUs, so the hosts' CPU time "
    "adds up in the wall time as it would not on a fleet of real machines, where each host's work runs "
    "on its own CPU; the per-key play's looped task pays the per-task controller cost once for all its "
    "keys.")

# Not a target: ansible-playbook's own start and one task, to tell the roles' cost from the playbook's.
PING_PLAY = """
- name: One ping task
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""

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


def repair_scripts(venv):
    """Point the venv's scripts at its own Python when they name another path.

    pip writes the absolute path of the venv's Python into every script's first line; a venv
    reached through another path (a checkout whose .cache is a link to another one's, or a
    folder that was moved) would otherwise run scripts whose interpreter does not exist.
    """
    python = os.path.join(os.path.realpath(venv), "bin", "python")
    bindir = os.path.join(venv, "bin")
    for name in os.listdir(bindir):
        path = os.path.join(bindir, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            first = handle.readline()
            rest = handle.read()
        if not first.startswith(b"#!") or b"python" not in first or first.strip() == b"#!" + python.encode():
            continue
        if os.path.exists(first[2:].strip().split()[0].decode()):
            continue
        fd, tmp = tempfile.mkstemp(dir=bindir)
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"#!" + python.encode() + b"\n" + rest)
        os.chmod(tmp, 0o755)
        os.rename(tmp, path)


def ensure_venv():
    """Re-exec under .cache/bench-ansible (created with `pip install ansible` when missing)."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(os.path.join(VENV, "bin", "ansible-playbook")):
        print("creating %s with the ansible package (bundles ansible.posix) ..." % VENV, flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VENV_PYTHON, "-m", "pip", "install", "--quiet", "ansible"])
    repair_scripts(VENV)
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


def executions(run, hosts):
    """Module executions per host, ``(on the host, controller-only)`` results: each item of a loop counted.

    A result counts as a module execution on the host unless its action runs on the controller
    only; a skipped result (or skipped loop item) runs nothing.
    """
    counts = dict((host, [0, 0]) for host in hosts)
    for item in run.all_results:
        if item["host"] not in counts or item["status"] in ("skipped", "unreachable") \
                or item["result"].get("skipped"):
            continue
        looped = item["result"].get("results")
        ran = len([one for one in looped if not (isinstance(one, dict) and one.get("skipped"))]) \
            if isinstance(looped, list) else 1
        controller = item["action"].rsplit(".", 1)[-1] in CONTROLLER_ONLY
        counts[item["host"]][1 if controller else 0] += ran
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
    for item in run.all_results:
        if item["action"].rsplit(".", 1)[-1] == "tcp_tuning" and isinstance(item["result"].get("keys"), dict):
            keys[item["host"]] = dict((key, entry["after"]) for key, entry in item["result"]["keys"].items()
                                      if entry["status"] in ("changed", "unchanged"))
    return keys


class View(object):
    """The first ``size`` hosts of the fleet: one fleet of the largest size serves every size."""

    def __init__(self, fleet, size):
        self.fleet = fleet
        self.hosts = fleet.hosts[:size]
        self.inventory = None if size >= len(fleet.hosts) else subset_inventory(fleet.inventory, self.hosts)

    def adhoc(self, *args, **kwargs):
        return self.fleet.adhoc(*args, inventory=self.inventory, **kwargs)

    def playbook(self, *args, **kwargs):
        return self.fleet.playbook(*args, inventory=self.inventory, **kwargs)

    def reset(self):
        self.fleet.reset(self.hosts)


def subset_inventory(path, hosts):
    """The fleet's inventory text with only ``hosts`` in its groups (group vars kept)."""
    keep, lines, section = set(hosts), [], ""
    with open(path) as handle:
        for line in handle.read().splitlines():
            stripped = line.strip()
            if stripped.startswith("["):
                section = stripped
            elif stripped and not stripped.startswith("#") and not section.endswith(":vars]") \
                    and stripped.split()[0] not in keep:
                continue
            lines.append(line)
    return "\n".join(lines) + "\n"


def one_round(view, forks, report_dir, state, index):
    """Every kind once; returns ``{kind: (seconds, run)}``.

    The tuning runs start from a reset fleet (fleet.sh reset: the hosts' sysctl.d and state dir
    as built, then a reboot of each namespace); the per-key play runs right after the removal,
    which put back the values the reset fleet had (its verify phase re-reads them) and removed
    the drop-in, so one reset per round serves both. Ping and the audit run before the tuning
    in even rounds and after the per-key play in odd ones.
    """
    env = {"ANSIBLE_FORKS": str(forks)}
    tune = {TUNING + "hosts": "fleet", TUNING + "profile": PROFILE}
    out = {}

    def reads():
        out["ping"] = timed(view.adhoc, "all", "ansible.builtin.ping", env=env)
        out["play-ping"] = timed(view.playbook, PING_PLAY, env=env)
        out["audit"] = timed(view.playbook, AUDIT, env=env, extra_vars={
            AUDITING + "report_dir": report_dir, AUDITING + "fail_on": "never"})

    if index % 2 == 0:
        reads()
    view.reset()
    out["first"] = timed(view.playbook, TUNE, env=env, extra_vars=tune)
    state["keys"].update(applied_keys(out["first"][1]))
    out["re-run"] = timed(view.playbook, TUNE, env=env, extra_vars=tune)
    out["check"] = timed(view.playbook, TUNE, env=env, extra_vars=tune, check=True, diff=True)
    out["absent"] = timed(view.playbook, TUNE, env=env, extra_vars=dict(tune, **{TUNING + "state": "absent"}))
    keys = dict((host, state["keys"][host]) for host in view.hosts)
    out["per-key"] = timed(view.playbook, POSIX_PLAY, env=env, extra_vars={"bench_keys": keys})
    if index % 2:
        reads()
    return out


def new_figures(size, forks):
    return {"hosts": size, "forks": forks, "rounds": 0, "times": dict((kind, []) for kind in KINDS),
            "loads": [], "executions": {}, "controller": {}, "keys": 0}


def record(figures, out, view, state, load_before):
    """Add one round's results to ``figures`` (times, load, executions per host)."""
    figures["rounds"] += 1
    figures["loads"].append("%s -> %s" % (load_before, load()))
    for kind in KINDS:
        figures["times"][kind].append(out[kind][0])
        counts = executions(out[kind][1], view.hosts)
        figures["executions"].setdefault(kind, set()).update(on_host for on_host, _ctl in counts.values())
        figures["controller"].setdefault(kind, set()).update(ctl for _on_host, ctl in counts.values())
    figures["median"] = dict((kind, statistics.median(values)) for kind, values in figures["times"].items())
    figures["keys"] = len(state["keys"][view.hosts[0]]) if view.hosts[0] in state["keys"] else 0
    print("  %d hosts, forks %d, round %d (load %s): %s" % (
        len(view.hosts), figures["forks"], figures["rounds"], figures["loads"][-1], ", ".join(
            "%s %.2fs" % (kind, out[kind][0]) for kind in KINDS)), flush=True)


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


def _counts(values):
    return "/".join(str(n) for n in sorted(values))


def missed(figures):
    """``[(hosts, forks, what, ratio, target)]`` of every target the medians miss."""
    found = []
    for item in figures:
        med = item["median"]
        for kind, target in TARGETS.items():
            if med[kind] / med["ping"] > target:
                found.append((item["hosts"], item["forks"], "%s / ping" % kind, med[kind] / med["ping"], target))
        if med["first"] / med["per-key"] > PER_KEY_TARGET:
            found.append((item["hosts"], item["forks"], "first / per-key", med["first"] / med["per-key"],
                          PER_KEY_TARGET))
        for kind in TUNING_KINDS + ("audit",):
            if item["executions"][kind] != {1}:
                found.append((item["hosts"], item["forks"], "%s module executions per host" % kind,
                              max(item["executions"][kind]), 1))
    return found


def _header(meta, bring_up):
    return [
        "## The roles at fleet scale (fleet_scale)",
        "",
        "`ansible all -m ping`, a playbook with one `ansible.builtin.ping` task (play-ping, no target: "
        "what ansible-playbook's start and one task add), `playbooks/audit.yml`, `playbooks/tune.yml -e %sprofile=%s` (first apply on "
        "a reset fleet, re-run, `--check --diff`, `%sstate=absent`) and one `ansible.posix.sysctl` task per "
        "key with the keys and values the role set (reload: true, right after the removal put the reset fleet's "
        "values back), on the same test-fleet "
        "hosts (network namespaces with their own sshd on this machine, so the controller and every host share "
        "its CPUs), pipelining on, every run with cold SSH connections. One fleet of the largest size serves "
        "every size (the smaller sizes run on its first hosts); the sizes, forks and kinds are interleaved in "
        "every round. Median of the rounds." % (TUNING, PROFILE, TUNING),
        "",
        "Machine: %d CPUs, %.0f GiB RAM, kernel %s, Python %s, %s; %s. Fleet bring-up: %s. The load average "
        "(1 min) at the start and end of every round is listed below; it counts the run's own forks and fleet "
        "hosts as well as any other work on the machine, and the ratios compare runs made in the same "
        "minutes." % (
            meta["cpus"], meta["mem_gib"], meta["kernel"], meta["python"], meta["ansible"], meta["date"], bring_up),
        "",
    ]


def render(figures, meta, bring_up, requested):
    lines = _header(meta, bring_up)
    short = ["%d hosts, forks %d: %d" % (item["hosts"], item["forks"], item["rounds"]) for item in figures
             if item["rounds"] < requested]
    if short:
        lines += ["Fewer rounds than the %d asked for (the section is written after every size and forks, so a "
                  "run still under way, stopped, or out of the time --until gave it keeps the rounds it "
                  "completed): %s." % (requested, "; ".join(short)), ""]
    lines += [
        "| Hosts | Forks | ping (s) | play-ping (s) | audit (s) | first (s) | re-run (s) | check (s) | absent (s) | per-key (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for item in figures:
        lines.append("| %d | %d | %s |" % (item["hosts"], item["forks"], " | ".join(
            "%.2f" % item["median"][kind] for kind in KINDS)))
    lines += ["", "Ratios of the medians against the targets:", ""]
    for item in figures:
        med = item["median"]
        parts = ["%s / ping %s" % (kind, _verdict(med[kind] / med["ping"], TARGETS[kind])) for kind in TARGETS]
        parts.append("first / per-key %s" % _verdict(med["first"] / med["per-key"], PER_KEY_TARGET))
        lines.append("- %d hosts, forks %d: %s." % (item["hosts"], item["forks"], "; ".join(parts)))
    lines += ["", "Module executions per host per run (every host, every round, each loop item counted), and "
                  "the controller-only task results per host next to them:", ""]
    for item in figures:
        lines.append("- %d hosts, forks %d (%d keys per host): %s." % (
            item["hosts"], item["forks"], item["keys"], "; ".join(
                "%s %s (+%s on the controller)" % (kind, _counts(item["executions"][kind]),
                                                   _counts(item["controller"][kind])) for kind in KINDS)))
    lines += ["", "Every round (s), with the load average at its start and end:", ""]
    for item in figures:
        lines.append("- %d hosts, forks %d: %s; load %s." % (item["hosts"], item["forks"], "; ".join(
            "%s %s" % (kind, ", ".join("%.2f" % value for value in item["times"][kind])) for kind in KINDS),
            ", ".join(item["loads"])))
    lines += ["", "Targets missed in this run:", ""]
    lines += ["- %d hosts, forks %d: %s %.2fx, target <= %.2fx." % entry for entry in missed(figures)] or ["- none."]
    lines += ["", "Where the time beyond ping goes (medians): first what a playbook with one ping task adds to "
                  "`ansible -m ping` (ansible-playbook's start, the play), then what each role run adds to that "
                  "one-task playbook, per run and per host:", ""]
    for item in figures:
        med = item["median"]
        lines.append("- %d hosts, forks %d: one-task playbook %+.2f s over ping; beyond it %s." % (
            item["hosts"], item["forks"], med["play-ping"] - med["ping"], "; ".join(
                "%s %+.2f s (%+.3f s per host)" % (kind, med[kind] - med["play-ping"],
                                                   (med[kind] - med["play-ping"]) / item["hosts"])
                for kind in ("audit",) + TUNING_KINDS)))
    lines += ["", WHY]
    lines += ["", "Reproduce: `sudo python3 benchmarks/fleet_scale.py` (NETFLEET_FLEET_ID selects the fleet; "
                  "`--sizes`, `--forks`, `--rounds`, `--until`). `benchmarks/module_cost.py` breaks one module execution "
                  "down (payload, imports, CPU)."]
    return "\n".join(lines)


def load():
    return "%.1f" % os.getloadavg()[0]


def bring_up(fleet_session, fleet_id, size):
    """Start (or reuse) the fleet of ``size`` hosts; returns the session and a line saying how long it took."""
    started, load_before = time.monotonic(), load()
    fleet = fleet_session(fleet_id, size)
    reused = fleet._fleet.healthy(size)  # pylint: disable=protected-access
    fleet.start(rebuild=False)
    # The harness numbers its run folders from 001 in every session and appends to a results file
    # it finds there: a reused fleet's folders from an earlier session would be counted again.
    shutil.rmtree(os.path.join(fleet._fleet.dir, "runs"), ignore_errors=True)  # pylint: disable=protected-access
    how = "reused the fleet of %d hosts already up" % size if reused else "%d hosts built" % size
    return fleet, "%s in %.1f s (load %s -> %s)" % (how, time.monotonic() - started, load_before, load())


def read_back(doc):
    """``{(hosts, forks): figures}`` of the rounds this script wrote in its section of ``doc``.

    Reads the "Every round" lines (times and loads) and the module executions lines back, so a
    run stopped early can be continued (--resume) with the rounds it had finished.
    """
    with open(doc) as handle:
        text = handle.read()
    begin, end = "<!-- BEGIN %s -->" % SECTION, "<!-- END %s -->" % SECTION
    section = text.partition(begin)[2].partition(end)[0]
    found, mode = {}, None
    for line in section.splitlines():
        if not line.startswith("- "):
            mode = "rounds" if line.startswith("Every round") else "executions" if line.startswith(
                "Module executions") else mode if not line.strip() else None
            continue
        head, _sep, body = line[2:].rstrip(".").partition(": ")
        words = head.split()
        if mode not in ("rounds", "executions") or len(words) < 4:
            continue
        item = found.setdefault((int(words[0]), int(words[3])), new_figures(int(words[0]), int(words[3])))
        parts = body.split("; ")
        if mode == "rounds":
            item["loads"] = parts[-1][len("load "):].split(", ")
            for part in parts[:-1]:
                kind, _sep, values = part.partition(" ")
                item["times"][kind] = [float(value) for value in values.split(", ")]
            item["rounds"] = len(item["times"]["ping"])
            item["median"] = dict((kind, statistics.median(values)) for kind, values in item["times"].items())
        else:
            item["keys"] = int(words[4].lstrip("("))
            for part in parts:
                kind, on_host, controller = part.replace("(+", "").split()[:3]
                item["executions"][kind] = set(int(n) for n in on_host.split("/"))
                item["controller"][kind] = set(int(n) for n in controller.split("/"))
    return found


def until_epoch(text):
    """``HH:MM`` (UTC, today) as seconds since the epoch."""
    try:
        hour, minute = (int(part) for part in text.split(":"))
        when = datetime.datetime.now(datetime.timezone.utc).replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("--until wants a UTC time as HH:MM, got %r" % text) from exc
    return when.timestamp()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default=os.environ.get("NETFLEET_FLEET_SIZE", "20,50"))
    parser.add_argument("--forks", default="10,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the fleet up at the end (for another run)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    parser.add_argument("--resume", action="store_true",
                        help="continue the rounds already in this script's section of docs/benchmarks.md (a run "
                             "stopped early); sizes and forks read back but not asked for now are kept as they are")
    parser.add_argument("--until", type=until_epoch, metavar="HH:MM",
                        help="UTC time by which the run must end: a size and forks whose last round would "
                             "not finish by then is skipped from then on (its rounds so far are kept)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit("stopped by SIGTERM"))
    ensure_venv()
    os.environ.setdefault("NETFLEET_FLEET_ID", "9")
    fleet_session, load_fleet_module = harness()
    reason = load_fleet_module().preflight()
    if reason:
        sys.exit("test fleet unavailable: %s" % reason)
    sizes = sorted(int(part) for part in args.sizes.split(",") if part.strip())
    configs = [(size, int(forks)) for size in sizes for forks in args.forks.split(",") if forks.strip()]
    fleet, brought = bring_up(fleet_session, os.environ["NETFLEET_FLEET_ID"], sizes[-1])
    print("fleet: %s" % brought, flush=True)
    views = dict((size, View(fleet, size)) for size in sizes)
    figures = dict((config, new_figures(*config)) for config in configs)
    recount = set()  # read back, and its module executions to be counted again when it is measured again
    if args.resume:
        figures.update(read_back(DOC))
        recount.update(figures)
        brought += ("; the rounds of an earlier run stopped early were read back from this section (--resume), "
                    "and the module executions of a size and forks measured again are counted in the new rounds")
    state = {"keys": {}}
    report_root = tempfile.mkdtemp(prefix="nf-bench-fleet-")
    took = {}  # (size, forks) -> seconds its last round took, reset included
    try:
        for index in range(args.rounds):
            for size, forks in (configs if index % 2 == 0 else list(reversed(configs))):
                if figures[(size, forks)]["rounds"] > index:
                    continue
                if args.until and (size, forks) in took and time.time() + took[(size, forks)] > args.until:
                    print("  %d hosts, forks %d, round %d: skipped, it would end after --until" % (
                        size, forks, index + 1), flush=True)
                    continue
                if (size, forks) in recount:
                    recount.discard((size, forks))
                    figures[(size, forks)]["executions"], figures[(size, forks)]["controller"] = {}, {}
                started, began = load(), time.monotonic()
                out = one_round(views[size], forks, os.path.join(report_root, "%d-%d-%d" % (size, forks, index)),
                                state, index)
                took[(size, forks)] = time.monotonic() - began
                record(figures[(size, forks)], out, views[size], state, started)
                if not args.no_write:  # as soon as it is measured, so a run stopped early keeps its rounds
                    measured = [figures[c] for c in sorted(figures) if figures[c]["rounds"]]
                    write_section(SECTION, render(measured, machine(), brought, args.rounds), DOC)
    finally:
        shutil.rmtree(report_root, ignore_errors=True)
        if not args.keep:
            fleet.stop()
    measured = [figures[c] for c in sorted(figures) if figures[c]["rounds"]]
    text = render(measured, machine(), brought, args.rounds)
    print(text)
    if not args.no_write:
        write_section(SECTION, text, DOC)
    return 1 if missed(measured) else 0


if __name__ == "__main__":
    sys.exit(main())
