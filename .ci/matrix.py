"""The version matrix: the supported ansible-core versions on the controller, the supported
Pythons on the managed hosts.

    .ci/matrix.py [--profile ci|full] [--cores 2.17,2.18,...] [--host-pythons 3.8,3.9,...]
                  [--stages venv,sanity,unit,smoke] [--jobs N] [--keep-fleet]

Two profiles:

  ci    (make test-matrix; .ci/run runs it after make test) what differs between versions, for
        each ansible-core version except the one of .venv, which make test covers whole:
          sanity  the ansible-test sanity tests that check the collection against that version's
                  ansible-core (SANITY_CI: its module and doc schemas, runtime metadata,
                  empty-init, its ignore file); the tests of tools ansible-test pins (pylint,
                  pep8, yamllint, shellcheck), the import sandbox (standard library only, the same
                  rule on every version) and the text checks judge the files the same way whatever
                  the version, so make sanity runs them once; ansible-doc of every module and
                  filter runs per version in the unit tests (tests/unit/test_collection_build.py)
          unit    the unit test files that import ansible, directly or through the collection's
                  plugins, or run an ansible command (found from the imports, see unit_files)
          smoke   .ci/smoke.yml on the fleet: audit web1 and natgw, tune web1, again (changed=0),
                  remove the tuning
        and, in ONE run of .ci/smoke.yml with the ansible-core of .venv, every managed-host Python
        (HOST_PYTHONS), each on its own fleet host through ansible_python_interpreter.
  full  (make test-matrix-full, before a release) every ansible-core version, .venv's too: the
        whole of ansible-test sanity, the whole of tests/unit, and .ci/smoke.yml over every host
        with every host Python that version supports (ansible-core's own minimum, _PY_MIN).

Every ansible-core version gets a virtualenv under .cache/matrix/core-<version> (from PyPI,
ansible-core <version>.* and requirements/matrix.txt, created on first use; 2.20 on CPython 3.12,
the others on the system Python) and its own ansible-test home next to it. Host Pythons are
pyenv's CPython by full path, $(pyenv root)/versions/<x.y.z>/bin/python<x.y>. Cells run in
parallel: the virtualenvs at once, sanity and unit in --jobs lanes (default 2), the fleet runs
in a lane of their own, one at a time.

Prints one line per cell as it ends and a Markdown table of every cell's result and seconds
(also .build/reports/matrix.md and matrix-cells.json); exit status 1 unless every cell passed. Needs
root for the fleet (NETFLEET_FLEET_ID, default 0), which it brings up and takes down unless it
was up already (--keep-fleet leaves it).
"""

import argparse
import ast
import resource
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, ".cache", "matrix")
SCRATCH = os.path.join(REPO, ".tmp", "matrix")
REPORTS = os.path.join(REPO, ".build", "reports")
VENV = os.path.join(REPO, ".venv")
FLEET_SCRIPT = os.path.join(REPO, "tests", "fleet", "fleet.sh")
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
CORES = ("2.17", "2.18", "2.19", "2.20")
HOST_PYTHONS = ("3.8", "3.9", "3.10", "3.12", "3.13")
STAGES = ("venv", "sanity", "unit", "smoke")
# Controller Python per ansible-core version (the system Python is 3.11; 2.20 needs 3.12 or newer).
CONTROLLER_PYTHON = {"2.20": "3.12"}
# The sanity tests that check the collection against the ansible-core version running them.
SANITY_CI = ("action-plugin-docs", "empty-init", "ignores", "runtime-metadata", "validate-modules")
# web1, natgw, shadow, web2 ... web5: one web host per host Python, natgw and shadow stay on the
# system Python (their own kinds of host are audited too).
FLEET_SIZE = 7
SMOKE_PROFILE = "web_frontend"
FLEET_ID = os.environ.get("NETFLEET_FLEET_ID", "0")
FLEET_DIR = os.path.join(REPO, ".fleet", FLEET_ID)
LOG_TAIL = 3000
PRINT_LOCK = threading.Lock()


class CellFailed(Exception):
    pass


def pyenv_python(version):
    """Full path of pyenv's CPython <version> (x.y), never a shim."""
    found = sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", version + ".*", "bin", "python" + version)))
    if not found:
        raise CellFailed("no CPython %s under %s/versions (pyenv install it)" % (version, PYENV_ROOT))
    return found[-1]


def run(argv, log, env=None, cwd=REPO, timeout=3600, merge=True):
    """Run argv, append its output to log; CellFailed with the output's tail when it fails.
    merge=False keeps stderr apart (logged, not returned)."""
    environ = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONDONTWRITEBYTECODE="1")
    environ.setdefault("PYTHONWARNINGS", "ignore:DSA is deprecated")
    environ.update(env or {})
    started = time.time()
    proc = subprocess.run(argv, cwd=cwd, env=environ, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, check=False)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("$ %s\n# rc=%d in %.0fs\n%s\n%s" % (
            " ".join(argv), proc.returncode, time.time() - started, proc.stdout, proc.stderr or ""))
    if proc.returncode != 0 and merge:
        raise CellFailed("%s: rc=%d\n%s" % (" ".join(argv[:3]), proc.returncode, proc.stdout[-LOG_TAIL:]))
    return proc.stdout if merge else proc


def bin_of(venv, name):
    return os.path.join(venv, "bin", name)


# --------------------------------------------------------------------------- virtualenvs

def core_venv(core, log):
    """The virtualenv of ansible-core <core>, created and filled on first use."""
    venv = os.path.join(CACHE, "core-" + core)
    requirements = os.path.join(REPO, "requirements", "matrix.txt")
    with open(requirements, encoding="utf-8") as handle:
        wanted = "ansible-core==%s.*\n%s" % (core, handle.read())
    stamp = os.path.join(venv, ".netfleet-matrix")
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as handle:
            if handle.read() == wanted:
                return venv
    if not os.path.exists(bin_of(venv, "python")):
        base = pyenv_python(CONTROLLER_PYTHON[core]) if core in CONTROLLER_PYTHON else "/usr/bin/python3"
        run([base, "-m", "venv", venv], log)
    run([bin_of(venv, "python"), "-m", "pip", "install", "--quiet", "ansible-core==%s.*" % core,
         "-r", requirements], log)
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return venv


def venv_cell(core, own, log):
    venv = VENV if core == own else core_venv(core, log)
    version = run([bin_of(venv, "ansible"), "--version"], log).splitlines()[0]
    python = run([bin_of(venv, "python"), "-V"], log).strip()
    if not re.search(r"core %s\.\d+" % re.escape(core), version):
        raise CellFailed("%s has %s, not ansible-core %s" % (venv, version, core))
    return "%s, %s" % (version, python), venv


def own_core():
    """major.minor of the ansible-core in .venv (the one make test runs)."""
    out = subprocess.run([bin_of(VENV, "python"), "-c", "import ansible.release as r; print(r.__version__)"],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    return ".".join(out.strip().split(".")[:2])


def target_minimum(venv):
    """The oldest managed-host Python this ansible-core runs modules on (its basic.py _PY_MIN)."""
    out = subprocess.run([bin_of(venv, "python"), "-c",
                          "import ansible.module_utils.basic as b; print('%d.%d' % b._PY_MIN)"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                         check=True).stdout
    return tuple(int(part) for part in out.strip().split("."))


# --------------------------------------------------------------------------- sanity and unit

def sanity_tree(core):
    """A physical copy of the files git knows, in its own git repo (ansible-test refuses symlinks)."""
    root = os.path.join(SCRATCH, "sanity-" + core)
    tree = os.path.join(root, "ansible_collections", "netfleet", "tcp")
    shutil.rmtree(root, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           stdout=subprocess.PIPE, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if os.path.isfile(os.path.join(REPO, name)) and not os.path.islink(os.path.join(REPO, name)):
            os.makedirs(os.path.dirname(os.path.join(tree, name)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, name), os.path.join(tree, name))
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    return tree


def sanity(core, venv, tests, log):
    tree = sanity_tree(core)
    python = bin_of(venv, "python")
    home = os.path.join(CACHE, "ansible-test-" + core)
    cache = os.path.join(home, ".ansible", "test", "cache")
    os.makedirs(cache, exist_ok=True)
    requirements = run([python, "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))"],
                       log).strip() + "/_internal/python_requirements.py"
    with open(requirements, encoding="utf-8") as handle:
        pins = re.findall(r"^\s*pip='([0-9.]+)',", handle.read(), re.M)
    for version in pins:  # ansible-test's pip bootstrap, without its download (.ci/get_pip_offline.py)
        shutil.copy(os.path.join(REPO, ".ci", "get_pip_offline.py"),
                    os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_")))
    pyver = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], log).strip()
    selection = [arg for test in tests or () for arg in ("--test", test)]
    out = run([bin_of(venv, "ansible-test"), "sanity", "--local", "--python", pyver, "--color", "no"] + selection,
              log, cwd=tree, env={"HOME": home, "PATH": bin_of(venv, "") + ":/usr/bin:/bin"})
    ran = len(re.findall(r"^Running sanity test [\"']", out, re.M))
    return "%d sanity tests" % ran if not tests else "%d of the version-bound sanity tests" % ran


def unit_files():
    """The unit test files whose outcome can depend on the ansible-core version: those importing
    ansible (directly or through collection modules that do, transitively) or running an
    ansible command. The rest test standard-library code (module_utils) or the tree itself."""
    prefix = "ansible_collections.netfleet.tcp."
    files = {}
    for top in ("plugins", os.path.join("tests", "unit")):
        for folder, _dirs, names in os.walk(os.path.join(REPO, top)):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    module = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
                    files[prefix + re.sub(r"\.__init__$", "", module)] = path
    graph = dict((module, _imports(module, path)) for module, path in files.items())
    verdict = {}

    def needs_ansible(module, seen=()):
        if module not in verdict:
            verdict[module] = any(name == "ansible" or name.startswith("ansible.")
                                  or (name in files and name not in seen and needs_ansible(name, seen + (module,)))
                                  for name in graph.get(module, ()))
        return verdict[module]

    command = re.compile(r"""["'/](ansible|ansible-(playbook|doc|galaxy|test|inventory|config))["']""")
    chosen = []
    for module, path in sorted(files.items()):
        if os.path.basename(path).startswith("test_") and os.sep + "unit" + os.sep in path:
            with open(path, encoding="utf-8") as handle:
                if needs_ansible(module) or command.search(handle.read()):
                    chosen.append(os.path.relpath(path, REPO))
    return chosen


def _imports(module, path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    package = module if path.endswith("__init__.py") else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            name = (base + "." + node.module if node.module else base) if node.level else node.module
            found.add(name)
            found.update(name + "." + alias.name for alias in node.names)
    return found


def unit(core, venv, files, log):
    """pytest tests/unit, or only the given files: the others are --ignore'd, so conftest files load
    as in a whole run (named on the command line, they would load before collection starts)."""
    ignore = []
    if files:
        for folder, _dirs, names in os.walk(os.path.join(REPO, "tests", "unit")):
            ignore += ["--ignore=" + os.path.relpath(os.path.join(folder, name), REPO) for name in sorted(names)
                       if name.startswith("test_") and name.endswith(".py")
                       and os.path.relpath(os.path.join(folder, name), REPO) not in files]
    out = run([bin_of(venv, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--basetemp", os.path.join(SCRATCH, "unit-" + core), "tests/unit"] + ignore, log,
              env={"PATH": bin_of(venv, "") + ":" + os.environ.get("PATH", "")})
    summary = re.findall(r"^=*\s*(\d+ passed.*?)\s*=*$", out, re.M)
    what = "%d files: " % len(files) if files else ""
    return what + (summary[-1] if summary else "passed")


# --------------------------------------------------------------------------- the fleet

def fleet_up():
    """Bring the fleet up with FLEET_SIZE hosts unless it is; whether this run did, and its hosts."""
    status = subprocess.run([FLEET_SCRIPT, "status", "--json"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    hosts = _fleet_hosts() if status.returncode == 0 else []
    if len(hosts) >= FLEET_SIZE:
        return False, hosts
    subprocess.run([FLEET_SCRIPT, "up", str(FLEET_SIZE)], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return True, _fleet_hosts()


def _fleet_hosts():
    try:
        with open(os.path.join(FLEET_DIR, "fleet.json"), encoding="utf-8") as handle:
            return [host["name"] for host in json.load(handle)["hosts"]]
    except (OSError, ValueError, KeyError):
        return []


def host_plan(hosts, pythons, minimum=(0, 0)):
    """{host: Python x.y or None (the inventory's /usr/bin/python3)}: one web host per host Python
    this ansible-core supports, the other hosts on the system Python; and the Pythons left out."""
    webs = [host for host in hosts if host.startswith("web")]
    wanted = [version for version in pythons if tuple(int(p) for p in version.split(".")) >= minimum]
    if len(webs) < len(wanted):
        raise CellFailed("the fleet has %d web hosts for %d host Pythons" % (len(webs), len(wanted)))
    plan = dict((host, None) for host in hosts)
    plan.update(zip(webs, wanted))
    return plan, [version for version in pythons if version not in wanted]


def _playbook_plays(name):
    """How many plays playbooks/<name>.yml holds (the smoke run imports it)."""
    import yaml  # .venv's PyYAML; only the matrix driver needs it
    with open(os.path.join(REPO, "playbooks", name + ".yml"), encoding="utf-8") as handle:
        return len(yaml.safe_load(handle))


def smoke_run(core, venv, log, plan, tuned):
    """.ci/smoke.yml in one ansible-playbook run over plan's hosts; {host: (ok, detail)}."""
    extra = os.path.join(SCRATCH, "smoke-%s.ini" % core)
    result = os.path.join(SCRATCH, "smoke-%s.json" % core)
    report_dir = os.path.join(SCRATCH, "smoke-%s-report" % core)
    shutil.rmtree(report_dir, ignore_errors=True)
    if os.path.exists(result):
        os.remove(result)
    with open(extra, "w", encoding="utf-8") as handle:
        handle.write("# the version matrix: each host's interpreter and the tuned hosts\n[fleet]\n")
        for host, version in sorted(plan.items()):
            handle.write(host + (" ansible_python_interpreter=" + pyenv_python(version) if version else "")
                         + (" tcp_tuning_profile=" + SMOKE_PROFILE if host in tuned else "") + "\n")
    env = {"ANSIBLE_CONFIG": os.path.join(FLEET_DIR, "ansible.cfg"),
           "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".tmp", "collections"),
           "ANSIBLE_CALLBACK_PLUGINS": os.path.join(REPO, ".ci", "callback_plugins"),
           "ANSIBLE_CALLBACKS_ENABLED": "matrix_result", "NETFLEET_MATRIX_RESULT": result,
           "PATH": bin_of(venv, "") + ":" + os.environ.get("PATH", "")}
    try:
        proc = run([bin_of(venv, "ansible-playbook"), os.path.join(REPO, ".ci", "smoke.yml"),
                    "-i", os.path.join(FLEET_DIR, "inventory.ini"), "-i", extra, "--limit", ",".join(sorted(plan)),
                    "-e", "tcp_audit_report_dir=" + report_dir], log, env=env, merge=False)
    finally:
        subprocess.run([FLEET_SCRIPT, "reset"] + sorted(tuned), cwd=REPO, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    try:
        with open(result, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        raise CellFailed("ansible-playbook rc=%d, no result from the matrix_result callback:\n%s" % (
            proc.returncode, (proc.stdout + proc.stderr)[-LOG_TAIL:])) from None
    return judge_smoke(data, plan, tuned, report_dir)


def _sections(data):
    """Per-section play lists of the run's record, in .ci/smoke.yml's order (None: cut short)."""
    sizes = [("python", 1), ("audit", _playbook_plays("audit"))] + [
        (name, _playbook_plays("tune")) for name in ("tune", "retune", "absent")]
    plays, sections, start = data.get("plays", []), {}, 0
    if len(plays) != sum(size for _name, size in sizes):
        return None
    for name, size in sizes:
        sections[name] = plays[start:start + size]
        start += size
    return sections


def _host_entries(plays, host):
    return [play["hosts"][host] for play in plays if host in play["hosts"]]


def _first_failure(data, host):
    for play in data.get("plays", []):
        entry = play["hosts"].get(host, {})
        if entry.get("failed"):
            return "%s: %s" % (play["name"], entry.get("msg", ""))
    return "failed or unreachable"


def judge_smoke(data, plan, tuned, report_dir):
    """Each host: reachable, nothing failed, modules ran under the planned Python, audited as ok,
    and where tuned: the tuning changed it, the second run did not, the removal ran."""
    sections, stats, verdicts = _sections(data), data.get("stats", {}), {}
    try:
        with open(os.path.join(report_dir, "audit.json"), encoding="utf-8") as handle:
            audited = dict((entry["host"], entry["status"]) for entry in json.load(handle)["hosts"])
    except (OSError, ValueError, KeyError):
        audited = {}
    for host, version in sorted(plan.items()):
        stat = stats.get(host, {})
        if stat.get("failures") or stat.get("unreachable") or not stat:
            verdicts[host] = (False, _first_failure(data, host))
            continue
        if sections is None:
            verdicts[host] = (False, "the run was cut short (%d plays)" % len(data.get("plays", [])))
            continue
        seen = "".join(entry.get("python", "") for entry in _host_entries(sections["python"], host)) or "?"
        changed = dict((name, any(entry["changed"] for entry in _host_entries(sections[name], host)))
                       for name in ("tune", "retune", "absent"))
        if version and not seen.startswith(version + "."):
            verdicts[host] = (False, "modules ran under Python %s, not %s" % (seen, version))
        elif audited.get(host) != "ok":
            verdicts[host] = (False, "audit status %s" % audited.get(host))
        elif host in tuned and (not changed["tune"] or changed["retune"] or not changed["absent"]):
            verdicts[host] = (False, "tune changed=%s, again changed=%s, absent changed=%s "
                                     "(want True, False, True)" % (changed["tune"], changed["retune"],
                                                                   changed["absent"]))
        else:
            verdicts[host] = (True, "Python %s: audit ok%s" % (
                seen, "; tune, again changed=0, absent" if host in tuned else ""))
    return verdicts


# --------------------------------------------------------------------------- the matrix

class Matrix(object):
    """Cells run from several threads; results and printing are serialised here."""

    def __init__(self):
        self.results = []
        self.lock = threading.Lock()

    def record(self, row, column, ok, seconds, detail):
        item = {"row": row, "column": column, "ok": ok, "seconds": round(seconds), "detail": detail}
        with self.lock:
            self.results.append(item)
        mark = {True: "ok", False: "FAIL", None: "n/s"}[ok]
        with PRINT_LOCK:
            print("%-26s %-12s %-4s %5.0fs  %s" % (row, column, mark, seconds, detail), flush=True)

    def cell(self, row, column, func, *args):
        """Run func(*args, log); record it; its return value, or None when it failed."""
        log = os.path.join(SCRATCH, "%s-%s.log" % (row.replace(" ", "-"), column.replace(" ", "-")))
        if os.path.exists(log):
            os.remove(log)
        started = time.time()
        try:
            value = func(*args, log=log)
            detail, ok = value if isinstance(value, str) else value[0], True
        except (CellFailed, subprocess.TimeoutExpired, subprocess.CalledProcessError, OSError) as error:
            value, detail, ok = None, str(error).splitlines()[0] if str(error) else repr(error), False
            with PRINT_LOCK:
                print("--- %s %s failed:\n%s\n(log: %s)" % (row, column, error, log), file=sys.stderr)
        self.record(row, column, ok, time.time() - started, detail)
        return value if ok else None


def core_row(core):
    return "ansible-core " + core


def fleet_lane(matrix, plan_of, cores, venv_futures, keep_fleet):
    """The smoke runs, one at a time, each as soon as its virtualenv is ready."""
    ours, hosts = fleet_up()
    try:
        for core in cores:
            venv = (venv_futures[core].result() or (None, None))[1]
            if venv is None:
                continue
            plan, left_out, tuned = plan_of(core, venv, hosts)
            outcome = matrix.cell(core_row(core), "smoke", _smoke_cell, core, venv, plan, tuned)
            for version in left_out:
                matrix.record("host Python " + version, "core " + core, None, 0,
                              "below ansible-core %s's minimum for managed hosts" % core)
            rows = {}
            for host, (ok, detail) in sorted((outcome or ("", {}))[1].items()):
                rows.setdefault("host Python " + (plan[host] or "3.11 (system)"), []).append((host, ok, detail))
            for row, verdicts in sorted(rows.items()):
                matrix.record(row, "core " + core, all(ok for _host, ok, _detail in verdicts), 0,
                              "; ".join("%s: %s" % (host, detail) for host, _ok, detail in verdicts))
    finally:
        if ours and not keep_fleet:
            subprocess.run([FLEET_SCRIPT, "down"], cwd=REPO, check=False, stdout=subprocess.DEVNULL)


def _smoke_cell(core, venv, plan, tuned, log):
    verdicts = smoke_run(core, venv, log, plan, tuned)
    bad = sorted(host for host, (ok, _detail) in verdicts.items() if not ok)
    if bad:
        raise CellFailed("%s: %s" % (bad[0], verdicts[bad[0]][1]))
    pinned = sorted(set(version for version in plan.values() if version))
    summary = "%d hosts (%s), tuned %s" % (len(plan), ", ".join(["3.11"] + pinned), ",".join(sorted(tuned)))
    return summary, verdicts


def planner(profile, own, pythons):
    def plan_of(core, venv, hosts):
        if profile == "ci" and core != own:
            return {"web1": None, "natgw": None}, [], {"web1"}
        plan, left_out = host_plan(hosts, pythons, target_minimum(venv))
        return plan, left_out, set(host for host, version in plan.items() if version)
    return plan_of


def cpu_lane(matrix, core, venv_future, stages, profile, own, files):
    """sanity then unit of one ansible-core version, once its virtualenv is ready."""
    venv = (venv_future.result() or (None, None))[1]
    if venv is None:
        return
    for name in ("sanity", "unit"):
        if name not in stages:
            continue
        if profile == "ci" and core == own:
            matrix.record(core_row(core), name, True, 0, "make test runs it whole")
        elif name == "sanity":
            matrix.cell(core_row(core), "sanity", sanity, core, venv, SANITY_CI if profile == "ci" else None)
        else:
            matrix.cell(core_row(core), "unit", unit, core, venv, files if profile == "ci" else None)


def table(results, rows, columns):
    cells = dict(((item["row"], item["column"]), item) for item in results)
    lines = ["| | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for row in rows:
        texts = []
        for column in columns:
            item = cells.get((row, column))
            if item is None:
                texts.append("-")
            elif item["ok"] is None:
                texts.append("n/s")
            else:
                texts.append(("ok" if item["ok"] else "FAIL") + (" %ds" % item["seconds"] if item["seconds"] else ""))
        lines.append("| %s | %s |" % (row, " | ".join(texts)))
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--profile", choices=("ci", "full"), default="ci")
    parser.add_argument("--cores", default=",".join(CORES))
    parser.add_argument("--host-pythons", default=",".join(HOST_PYTHONS))
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--jobs", type=int, default=2, help="sanity/unit cells at once (default 2)")
    parser.add_argument("--keep-fleet", action="store_true", help="leave a fleet this run brought up")
    args = parser.parse_args(argv)
    args.cores = [item for item in args.cores.split(",") if item]
    args.host_pythons = [item for item in args.host_pythons.split(",") if item]
    args.stages = [item for item in args.stages.split(",") if item]
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(SCRATCH, exist_ok=True)
    os.makedirs(REPORTS, exist_ok=True)
    started, matrix, own = time.time(), Matrix(), own_core()
    # .venv's version first: its smoke run needs no new virtualenv.
    cores = sorted(args.cores, key=lambda core: (core != own, core))
    files = unit_files() if args.profile == "ci" else None
    with ThreadPoolExecutor(max_workers=len(cores)) as venv_pool, \
            ThreadPoolExecutor(max_workers=max(1, args.jobs)) as cpu_pool:
        venv_futures = dict((core, venv_pool.submit(matrix.cell, core_row(core), "venv", venv_cell, core, own))
                            for core in cores)
        lanes = [cpu_pool.submit(cpu_lane, matrix, core, venv_futures[core], args.stages, args.profile, own, files)
                 for core in cores]
        if "smoke" in args.stages:
            fleet_lane(matrix, planner(args.profile, own, args.host_pythons), cores, venv_futures, args.keep_fleet)
        for lane in lanes:
            lane.result()
    total = time.time() - started
    lines = report(matrix.results, cores, args, own)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines += ["", "%s profile: %d cells, %d failed; %.0fs (%.1f min), CPU %.0fs, load %s; logs in %s" % (
        args.profile, len(matrix.results), sum(1 for item in matrix.results if item["ok"] is False), total,
        total / 60, usage.ru_utime + usage.ru_stime, " ".join("%.1f" % load for load in os.getloadavg()),
        os.path.relpath(SCRATCH, REPO))]
    print("\n".join(lines))
    with open(os.path.join(REPORTS, "matrix.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(os.path.join(REPORTS, "matrix-cells.json"), "w", encoding="utf-8") as handle:
        json.dump({"profile": args.profile, "seconds": round(total), "cells": matrix.results}, handle, indent=1)
    return 0 if all(item["ok"] is not False for item in matrix.results) else 1


def report(results, cores, args, own):
    columns = [name for name in STAGES if name in args.stages]
    lines = ["ansible-core on the controller (.venv has %s)" % own, ""]
    lines += table(results, [core_row(core) for core in sorted(cores)], columns)
    if "smoke" in args.stages:
        rows = ["host Python " + version for version in sorted(args.host_pythons + ["3.11 (system)"],
                                                                 key=lambda v: tuple(int(p) for p in v[:4].split(".")
                                                                                     if p.isdigit()))]
        lines += ["", "managed-host Python (smoke run of both roles) per ansible-core", ""]
        lines += table(results, rows, ["core " + core for core in sorted(cores)])
    return lines


if __name__ == "__main__":
    sys.exit(main())
