"""The version matrix: every supported ansible-core on the controller, every supported Python
on the managed hosts.

    .ci/matrix.py [--cores 2.17,2.18,2.19,2.20] [--host-pythons 3.8,3.9,3.10,3.12,3.13]
                  [--stages sanity,unit,smoke,host] [--keep-fleet]

Per ansible-core version, in its own virtualenv under .cache/matrix/core-<version> (from PyPI,
created on first use; 2.20 on CPython 3.12, the others on the system Python):
    sanity  ansible-test sanity --local on a copy of the tracked files (as `make sanity` does)
    unit    pytest tests/unit
    smoke   on the test fleet: playbooks/audit.yml over every host (every host audited),
            playbooks/tune.yml with web_frontend on web2, again (changed=0), then
            tcp_tuning_state=absent (the host is reset afterwards)
Per managed-host Python (pyenv's CPython, by full path: $(pyenv root)/versions/<x.y.z>/bin/python<x.y>),
with the ansible-core of .venv:
    host    ansible_python_interpreter set to it on the fleet: the setup module reports that
            version, then the audit (tcp_state_facts, sysctl_check) and the tuning apply, re-run
            and removal (sysctl_check, sysctl_profile) on web1 all succeed.

Prints a Markdown table of every cell's result and seconds (also written to
.build/reports/matrix.md and matrix.json); exit status 1 unless every cell passed. Needs root
for the fleet (NETFLEET_FLEET_ID, default 0); the fleet is brought up and taken down unless it
was up already.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, ".cache", "matrix")
SCRATCH = os.path.join(REPO, ".tmp", "matrix")
REPORTS = os.path.join(REPO, ".build", "reports")
ANSIBLE_TEST_HOME = os.path.join(REPO, ".cache", "ansible-test")
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
CORES = ("2.17", "2.18", "2.19", "2.20")
HOST_PYTHONS = ("3.8", "3.9", "3.10", "3.12", "3.13")
STAGES = ("sanity", "unit", "smoke", "host")
# Controller Python per ansible-core version (the system Python is 3.11; 2.20 needs 3.12 or newer).
CONTROLLER_PYTHON = {"2.20": "3.12"}
CORE_REQUIREMENTS = ("jmespath>=1.0,<2", "pytest>=8,<10", "pytest-ansible>=25.1,<27", "pytest-xdist>=3.5,<4",
                     "hypothesis>=6.100,<7", "jsonschema>=4.20,<5")
FLEET_ID = os.environ.get("NETFLEET_FLEET_ID", "0")
FLEET_DIR = os.path.join(REPO, ".fleet", FLEET_ID)
LOG_TAIL = 3000


class CellFailed(Exception):
    pass


def pyenv_python(version):
    """Full path of pyenv's CPython <version> (x.y), never a shim."""
    found = sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", version + ".*", "bin", "python" + version)))
    if not found:
        raise CellFailed("no CPython %s under %s/versions (pyenv install it)" % (version, PYENV_ROOT))
    return found[-1]


def run(argv, log, env=None, cwd=REPO, timeout=3600):
    """Run argv, append its output to log; CellFailed with the output's tail when it fails."""
    environ = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONDONTWRITEBYTECODE="1")
    environ.setdefault("PYTHONWARNINGS", "ignore:DSA is deprecated")
    environ.update(env or {})
    started = time.time()
    proc = subprocess.run(argv, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("$ %s\n# rc=%d in %.0fs\n%s\n" % (
            " ".join(argv), proc.returncode, time.time() - started, proc.stdout))
    if proc.returncode != 0:
        raise CellFailed("%s: rc=%d\n%s" % (" ".join(argv[:3]), proc.returncode, proc.stdout[-LOG_TAIL:]))
    return proc.stdout


def core_venv(core, log):
    """The virtualenv of ansible-core <core>, created and filled on first use."""
    venv = os.path.join(CACHE, "core-" + core)
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".netfleet-matrix")
    wanted = "\n".join(("ansible-core==%s.*" % core,) + CORE_REQUIREMENTS)
    if os.path.exists(stamp) and open(stamp, encoding="utf-8").read() == wanted:
        return venv
    if not os.path.exists(python):
        base = pyenv_python(CONTROLLER_PYTHON[core]) if core in CONTROLLER_PYTHON else "/usr/bin/python3"
        run([base, "-m", "venv", venv], log)
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + wanted.split("\n"), log)
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return venv


def sanity(core, venv, log):
    tree = os.path.join(SCRATCH, "sanity-" + core, "ansible_collections", "netfleet", "tcp")
    shutil.rmtree(os.path.join(SCRATCH, "sanity-" + core), ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           stdout=subprocess.PIPE, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if os.path.isfile(os.path.join(REPO, name)):
            os.makedirs(os.path.dirname(os.path.join(tree, name)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, name), os.path.join(tree, name))
    run(["git", "init", "-q"], log, cwd=tree)
    python = os.path.join(venv, "bin", "python")
    requirements = run([python, "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))"],
                       log).strip() + "/_internal/python_requirements.py"
    cache = os.path.join(ANSIBLE_TEST_HOME, ".ansible", "test", "cache")
    os.makedirs(cache, exist_ok=True)
    for version in re.findall(r"^\s*pip='([0-9.]+)',", open(requirements, encoding="utf-8").read(), re.M):
        shutil.copy(os.path.join(REPO, ".ci", "get_pip_offline.py"),
                    os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_")))
    pyver = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], log).strip()
    out = run([os.path.join(venv, "bin", "ansible-test"), "sanity", "--local", "--python", pyver, "--color", "no"],
              log, cwd=tree, env={"HOME": ANSIBLE_TEST_HOME, "PATH": os.path.join(venv, "bin") + ":/usr/bin:/bin"})
    passed = len(re.findall(r"^Running sanity test [\"']", out, re.M))
    return "%d sanity tests" % passed


def unit(core, venv, log):
    out = run([os.path.join(venv, "bin", "python"), "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider",
               "--basetemp", os.path.join(SCRATCH, "unit-" + core)], log,
              env={"PATH": os.path.join(venv, "bin") + ":" + os.environ.get("PATH", "")})
    summary = re.findall(r"^=*\s*(\d+ passed.*?)\s*=*$", out, re.M)
    return summary[-1] if summary else "passed"


def fleet_env(venv):
    return {"ANSIBLE_CONFIG": os.path.join(FLEET_DIR, "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".tmp", "collections"),
            "PATH": os.path.join(venv, "bin") + ":" + os.environ.get("PATH", "")}


def recap(out, host):
    match = re.search(r"^%s\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                      out, re.M)
    if not match:
        raise CellFailed("no recap line for %s:\n%s" % (host, out[-LOG_TAIL:]))
    return [int(value) for value in match.groups()]


def roles_on_fleet(venv, log, host, hosts, extra=()):
    """The audit over hosts (each audited), then tune, re-tune (changed=0) and remove on host."""
    env = fleet_env(venv)
    playbook = os.path.join(venv, "bin", "ansible-playbook")
    report_dir = os.path.join(SCRATCH, "report-%s-%s" % (os.path.basename(venv), host))
    shutil.rmtree(report_dir, ignore_errors=True)
    run([playbook, "playbooks/audit.yml", "--limit", ",".join(hosts), "-e", "tcp_audit_report_dir=" + report_dir]
        + list(extra), log, env=env)
    with open(os.path.join(report_dir, "audit.json"), encoding="utf-8") as handle:
        statuses = dict((entry["host"], entry["status"]) for entry in json.load(handle)["hosts"])
    if statuses != dict((name, "ok") for name in hosts):
        raise CellFailed("audit statuses: %s" % statuses)
    tune = [playbook, "playbooks/tune.yml", "--limit", host, "-e", "tcp_tuning_profile=web_frontend"] + list(extra)
    try:
        first = recap(run(tune, log, env=env), host)
        second = recap(run(tune, log, env=env), host)
        if first[0] == 0 or second[0] != 0:
            raise CellFailed("tune changed=%d, then changed=%d (want >0, then 0)" % (first[0], second[0]))
        run(tune + ["-e", "tcp_tuning_state=absent"], log, env=env)
    finally:
        subprocess.run([os.path.join(REPO, "tests", "fleet", "fleet.sh"), "reset", host], cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return "audit %d hosts; tune, re-tune changed=0, absent on %s" % (len(hosts), host)


def smoke(_core, venv, log, fleet_hosts):
    return roles_on_fleet(venv, log, "web2", fleet_hosts)


def host_python(version, venv, log):
    interpreter = pyenv_python(version)
    extra = ["-e", "ansible_python_interpreter=" + interpreter]
    out = run([os.path.join(venv, "bin", "ansible"), "web1", "-m", "ansible.builtin.setup", "-a",
               "filter=ansible_python_version"] + extra, log, env=fleet_env(venv))
    reported = re.search(r'"ansible_python_version": "([0-9.]+)"', out)
    if not reported or not reported.group(1).startswith(version + "."):
        raise CellFailed("web1 ran %s, not Python %s" % (reported and reported.group(1), version))
    return "Python %s: %s" % (reported.group(1), roles_on_fleet(venv, log, "web1", ["web1", "natgw"], extra))


def cell(results, row, column, func, *args):
    log = os.path.join(SCRATCH, "%s-%s.log" % (row, column))
    if os.path.exists(log):
        os.remove(log)
    started = time.time()
    try:
        detail, ok = func(args[0], args[1], log, *args[2:]), True
    except (CellFailed, subprocess.TimeoutExpired, OSError) as error:
        detail, ok = str(error).splitlines()[0], False
        print("--- %s %s failed:\n%s\n(log: %s)" % (row, column, error, log), file=sys.stderr)
    seconds = time.time() - started
    results.append({"row": row, "column": column, "ok": ok, "seconds": round(seconds), "detail": detail})
    print("%-22s %-7s %-4s %5.0fs  %s" % (row, column, "ok" if ok else "FAIL", seconds, detail), flush=True)


def fleet_up():
    """Bring the fleet up unless it is; whether this run brought it up, and its hosts."""
    script = os.path.join(REPO, "tests", "fleet", "fleet.sh")
    was_up = subprocess.run([script, "status"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            check=False).returncode == 0
    if not was_up:
        subprocess.run([script, "up", "4"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(FLEET_DIR, "fleet.json"), encoding="utf-8") as handle:
        return not was_up, [host["name"] for host in json.load(handle)["hosts"]]


def table(results, rows, columns):
    cells = dict(((item["row"], item["column"]), item) for item in results)
    lines = ["| | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for row in rows:
        texts = []
        for column in columns:
            item = cells.get((row, column))
            texts.append("-" if item is None else "%s %ds" % ("ok" if item["ok"] else "FAIL", item["seconds"]))
        lines.append("| %s | %s |" % (row, " | ".join(texts)))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cores", default=",".join(CORES))
    parser.add_argument("--host-pythons", default=",".join(HOST_PYTHONS))
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--keep-fleet", action="store_true", help="leave a fleet this run brought up")
    args = parser.parse_args(argv)
    cores = [item for item in args.cores.split(",") if item]
    pythons = [item for item in args.host_pythons.split(",") if item]
    stages = [item for item in args.stages.split(",") if item]
    os.makedirs(SCRATCH, exist_ok=True)
    os.makedirs(REPORTS, exist_ok=True)
    started = time.time()
    results, venvs = [], {}
    for core in cores:
        cell(results, "ansible-core " + core, "venv", _venv_detail, core, venvs)
    ours, hosts = False, []
    try:
        # The fleet cells first, so the fleet is free again while sanity and unit run.
        if set(stages) & {"smoke", "host"}:
            ours, hosts = fleet_up()
        for core in [core for core in cores if core in venvs and "smoke" in stages]:
            cell(results, "ansible-core " + core, "smoke", smoke, core, venvs[core], hosts)
        for version in pythons if "host" in stages else []:
            cell(results, "host Python " + version, "host", host_python, version, os.path.join(REPO, ".venv"))
    finally:
        if ours and not args.keep_fleet:
            subprocess.run([os.path.join(REPO, "tests", "fleet", "fleet.sh"), "down"], cwd=REPO, check=False,
                           stdout=subprocess.DEVNULL)
    for core in [core for core in cores if core in venvs]:
        for name, func in (("sanity", sanity), ("unit", unit)):
            if name in stages:
                cell(results, "ansible-core " + core, name, func, core, venvs[core])
    total = time.time() - started
    columns = ["venv"] + [name for name in ("sanity", "unit", "smoke") if name in stages]
    lines = table(results, ["ansible-core " + core for core in cores], columns)
    if "host" in stages:
        lines += [""] + table(results, ["host Python " + version for version in pythons], ["host"])
    lines += ["", "total %.0fs (%.1f min); logs in %s" % (total, total / 60, os.path.relpath(SCRATCH, REPO))]
    print("\n".join(lines))
    with open(os.path.join(REPORTS, "matrix.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(os.path.join(REPORTS, "matrix.json"), "w", encoding="utf-8") as handle:
        json.dump({"seconds": round(total), "cells": results}, handle, indent=1)
    return 0 if all(item["ok"] for item in results) else 1


def _venv_detail(core, venvs, log):
    venv = core_venv(core, log)
    version = run([os.path.join(venv, "bin", "ansible"), "--version"], log).splitlines()[0]
    python = run([os.path.join(venv, "bin", "python"), "-V"], log).strip()
    venvs[core] = venv
    return "%s, %s" % (version, python)


if __name__ == "__main__":
    sys.exit(main())
