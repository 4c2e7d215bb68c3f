# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: what one tcp_tuning / tcp_audit execution costs on a host, before and after a change.

A module execution on a managed host is one Python process running the AnsiballZ payload the
controller sends: a wrapper, and a zip of the module with every module_utils file it imports
(found statically, so imports inside functions are shipped too). The host unpacks the zip and
imports from it with zipimport, which compiles every imported file from source on every run.
So an execution costs: the payload's size (sent over SSH, compressed and decoded per host),
the imports (mostly compiling), and the work itself.

For two trees of the collection, "before" (a git ref, default BASELINE) and "after" (this
checkout), the script builds the real payloads with ansible-core's own builder
(``modify_module``, as ansible-playbook does) and reports, per case:

  payload     size of the payload in KiB, and how many of its files are the collection's;
  import      milliseconds spent importing the collection's modules (``python -X importtime``,
              the sum of their own times), median of the rounds;
  CPU         user + system CPU of the whole execution in milliseconds (median of the rounds),
              the figure that adds up on a busy controller that is also the fleet's host;
  wall        wall time in milliseconds (median), noisier on a shared machine.

Cases: ansible.builtin.ping (the floor every module pays: Python, the wrapper and
ansible.module_utils.basic), tcp_tuning's first apply, re-run, check mode and state=absent of
web_frontend, and tcp_audit without and with a profile. Every execution runs in a throw-away
sandbox: a new network namespace (so the kernel settings it reads and writes are its own) and a
private mount namespace with a tmpfs over /etc/sysctl.d and a fresh state directory. Keys that
belong to the initial namespace are skipped there, never written (missing: skip); the script
checks that the machine's kernel.*, fs.* and vm.* values are the same before and after.
Before and after alternate within every round.

Usage (root, for the namespaces):
    python3 benchmarks/module_cost.py [--before REF] [--rounds 7] [--python /usr/bin/python3]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTROLLER_PYTHON = os.path.join(REPO, ".venv", "bin", "python")
# main before the executions were trimmed (lazy engine imports, one context read for the
# render, a re-read without a second judgement, the NAT ruleset read once per run).
BASELINE = "3191a32"
PROFILE = ["web_frontend"]
NETFLEET = "ansible_collections.netfleet.tcp."

# name: (module, arguments, setup case run before it in the same sandbox or None)
CASES = [
    ("ping", "ansible.builtin.ping", {}, None),
    ("tuning first apply", "netfleet.tcp.tcp_tuning", {"profile": PROFILE}, None),
    ("tuning re-run", "netfleet.tcp.tcp_tuning", {"profile": PROFILE}, "tuning first apply"),
    ("tuning --check", "netfleet.tcp.tcp_tuning", {"profile": PROFILE, "_ansible_check_mode": True,
                                                   "_ansible_diff": True}, None),
    ("tuning absent", "netfleet.tcp.tcp_tuning", {"profile": PROFILE, "state": "absent"}, "tuning first apply"),
    ("audit", "netfleet.tcp.tcp_audit", {}, None),
    ("audit + profile", "netfleet.tcp.tcp_audit", {"profile": PROFILE}, None),
]

# Runs under the controller's Python with ANSIBLE_COLLECTIONS_PATH set: writes one payload per case,
# compressed as the action plugins compress it (module_compression, ZIP_DEFLATED by default).
BUILDER = r"""
import base64, io, json, os, re, sys, zipfile
collections, cases, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
from ansible.plugins.loader import init_plugin_loader, module_loader
init_plugin_loader([collections])
from ansible import constants as C
from ansible.executor.module_common import modify_module
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
summary = {}
for index, (name, module, args) in enumerate(cases):
    found = module_loader.find_plugin_with_context(module)
    if not found.resolved:
        raise SystemExit("%s not found under %s" % (module, collections))
    built = modify_module(module_name=module.rsplit(".", 1)[-1], module_path=found.plugin_resolved_path,
                          module_args=args, templar=Templar(loader=DataLoader()),
                          module_compression=C.config.get_config_value("DEFAULT_MODULE_COMPRESSION"),
                          task_vars={"ansible_python_interpreter": "/usr/bin/python3"})
    data = built.b_module_data
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(re.search(rb"zip_data='([^']*)'", data).group(1))))
    ours = [info for info in archive.infolist() if info.filename.startswith("ansible_collections/netfleet/")]
    path = os.path.join(out, "%d.py" % index)
    with open(path, "wb") as handle:
        handle.write(data)
    sizes = {}
    for info in ours:
        module = info.filename[:-len(".py")].replace("/", ".")
        sizes[module[:-len(".__init__")] if module.endswith(".__init__") else module] = info.file_size
    summary[name] = {"path": path, "bytes": len(data), "files": len(archive.infolist()),
                     "our_files": len(ours), "our_source": sum(info.file_size for info in ours), "sizes": sizes}
print(json.dumps(summary))
"""

# Runs inside the sandbox under the payload's Python: the setup payload (untimed), then the
# measured one, with the CPU time of that child alone.
DRIVER = r"""
import json, os, sys, time
python, setup, measured, scratch = sys.argv[1:5]
def execute(path, flags=()):
    out, err = os.path.join(scratch, "out"), os.path.join(scratch, "err")
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.execv(python, [python] + list(flags) + [path])
    _pid, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    with open(out) as handle:
        text = handle.read()
    with open(err) as handle:
        errors = handle.read()
    return status, text, errors, wall, usage.ru_utime + usage.ru_stime
if setup != "-":
    status, text, errors, _wall, _cpu = execute(setup)
    if status:
        raise SystemExit("setup failed: %s %s" % (text[-2000:], errors[-2000:]))
status, text, errors, wall, cpu = execute(measured, ["-X", "importtime"])
result = json.loads(text.strip().splitlines()[-1])
print(json.dumps({"rc": status, "failed": bool(result.get("failed")), "msg": result.get("msg"),
                  "wall": wall, "cpu": cpu, "stderr": errors}))
"""

SANDBOX = ('mount -t tmpfs -o mode=0755 netfleet-bench /etc/sysctl.d && '
           'mount -t tmpfs -o mode=0700 netfleet-bench "$1" && ip link set lo up && shift && exec "$@"')


def export_tree(ref, dest):
    """The collection as it was at ``ref`` (plugins, meta, galaxy.yml), under dest/ansible_collections."""
    target = os.path.join(dest, "ansible_collections", "netfleet", "tcp")
    os.makedirs(target)
    archive = subprocess.run(["git", "-C", REPO, "archive", ref, "plugins", "meta", "galaxy.yml"],
                             stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    return dest


def link_tree(dest):
    os.makedirs(os.path.join(dest, "ansible_collections", "netfleet"))
    os.symlink(REPO, os.path.join(dest, "ansible_collections", "netfleet", "tcp"))
    return dest


def build(collections, out, state_dir):
    """``{case: {path, bytes, files, our_files, our_source}}`` for the tree at ``collections``."""
    os.makedirs(out)
    tuning = {"state_dir": state_dir, "host_label": "bench"}
    cases = [(name, module, dict(args, **(tuning if module.endswith("tcp_tuning") else {})))
             for name, module, args, _setup in CASES]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCAL_TEMP=os.path.join(out, "tmp"),
               PYTHONWARNINGS="ignore")
    proc = subprocess.run([CONTROLLER_PYTHON, "-c", BUILDER, collections, json.dumps(cases), out], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if proc.returncode:
        raise SystemExit("building the payloads failed:\n%s" % proc.stderr[-3000:])
    return json.loads(proc.stdout)


def our_import_ms(stderr):
    """Milliseconds the collection's own modules took to import (their self times summed)."""
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        if parts[0].strip().isdigit() and parts[2].strip().startswith(NETFLEET):
            total += int(parts[0])
    return total / 1000.0


def our_imports(stderr):
    """Names of the collection's modules the execution imported (compiled from the zip)."""
    names = []
    for line in stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[2].strip().startswith(NETFLEET):
            names.append(parts[2].strip())
    return names


def execute(python, payloads, name, state_dir):
    """One sandboxed execution of case ``name`` (under ``-X importtime``); returns the driver's figures.

    The CPU time is the child's own (``wait4``), in microseconds; importtime's bookkeeping adds
    the same few milliseconds to before and after.
    """
    setup = dict((case[0], case[3]) for case in CASES)[name]
    argv = ["unshare", "--net", "--mount", "--propagation", "private", "/bin/sh", "-c", SANDBOX, "sh",
            state_dir, python, "-c", DRIVER, python, payloads[setup]["path"] if setup else "-",
            payloads[name]["path"], os.path.dirname(state_dir)]
    env = dict(os.environ, TMPDIR=os.path.dirname(state_dir))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          env=env, check=False)
    if proc.returncode:
        raise SystemExit("%s: the sandbox failed: %s" % (name, proc.stderr[-3000:]))
    figures = json.loads(proc.stdout)
    if figures["failed"] or figures["rc"]:
        raise SystemExit("%s: the module failed: %s" % (name, figures["msg"]))
    return figures


def measure(python, trees, rounds, scratch):
    """``{tree: {case: {cpu: [...], wall: [...], import: [...]}}}``, before and after alternating."""
    state_dir = os.path.join(scratch, "state")
    os.makedirs(state_dir)
    samples = dict((tree, dict((case[0], {"cpu": [], "wall": [], "import": []}) for case in CASES))
                   for tree in trees)
    for index in range(rounds):
        order = list(trees) if index % 2 == 0 else list(reversed(list(trees)))
        for case in CASES:
            for tree in order:
                timed = execute(python, trees[tree], case[0], state_dir)
                entry = samples[tree][case[0]]
                entry["cpu"].append(timed["cpu"] * 1000)
                entry["wall"].append(timed["wall"] * 1000)
                entry["import"].append(our_import_ms(timed["stderr"]))
                entry["imported"] = our_imports(timed["stderr"])
        print("round %d of %d done" % (index + 1, rounds), file=sys.stderr, flush=True)
    return samples


def machine_sysctls():
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    from harness.session import machine_sysctls as read  # noqa: E402
    return read()


def compress_ms(path):
    """CPU milliseconds zlib needs to compress the payload as ``ssh -C`` does (level 6), best of 5:
    what the controller spends on it for every host."""
    with open(path, "rb") as handle:
        data = handle.read()
    best = None
    for _index in range(5):
        started = time.process_time()
        zlib.compress(data, 6)
        spent = time.process_time() - started
        best = spent if best is None else min(best, spent)
    return best * 1000


def imported_kib(payload, names):
    return sum(payload["sizes"].get(name, 0) for name in names) / 1024.0


def table(payloads, samples, python, before_ref, rounds):
    med = statistics.median
    lines = [
        "Per-host cost of one module execution, %s, median of %d rounds; before = %s, after = this checkout."
        % (python, rounds, before_ref),
        "",
        "| case | payload KiB | ssh -C ms (controller) | collection files shipped | imported (files, KiB compiled) "
        "| their import ms | CPU ms | wall ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in CASES:
        name = case[0]
        cells = []
        for tree in ("before", "after"):
            pay, got = payloads[tree][name], samples[tree][name]
            cells.append((pay["bytes"] / 1024.0, compress_ms(pay["path"]), pay["our_files"],
                          len(got["imported"]), imported_kib(pay, got["imported"]), med(got["import"]),
                          med(got["cpu"]), med(got["wall"])))
        pair = dict(zip("abcdefgh", zip(*cells)))
        lines.append(("| %s | %.0f -> %.0f | %.1f -> %.1f | %d -> %d | %d, %.0f -> %d, %.0f | %.0f -> %.0f "
                      "| %.0f -> %.0f (%.2fx) | %.0f -> %.0f |") % (
            name, pair["a"][0], pair["a"][1], pair["b"][0], pair["b"][1], pair["c"][0], pair["c"][1],
            pair["d"][0], pair["e"][0], pair["d"][1], pair["e"][1], pair["f"][0], pair["f"][1],
            pair["g"][0], pair["g"][1], pair["g"][1] / pair["g"][0], pair["h"][0], pair["h"][1]))
    ping = [med(samples[tree]["ping"]["cpu"]) for tree in ("before", "after")]
    lines += ["", "CPU per execution against ping's (%.0f ms before, %.0f ms after, the same module):" % tuple(ping),
              ""]
    for case in CASES[1:]:
        name = case[0]
        lines.append("- %s: %.2fx before, %.2fx after." % (
            name, med(samples["before"][name]["cpu"]) / ping[0], med(samples["after"][name]["cpu"]) / ping[1]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--before", default=BASELINE, help="git ref of the 'before' tree (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--python", default="/usr/bin/python3", help="the managed host's Python")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("module_cost needs root: every execution runs in its own network and mount namespace")
    scratch = tempfile.mkdtemp(prefix="nf-module-cost-")
    try:
        machine = machine_sysctls()
        trees = {"before": export_tree(args.before, os.path.join(scratch, "before")),
                 "after": link_tree(os.path.join(scratch, "after"))}
        state_dir = os.path.join(scratch, "state")
        payloads = dict((tree, build(path, os.path.join(scratch, tree + "-payloads"), state_dir))
                        for tree, path in trees.items())
        samples = measure(args.python, payloads, args.rounds, scratch)
        if machine_sysctls() != machine:
            sys.exit("the machine's kernel.*, fs.* or vm.* values changed during the run")
        print(table(payloads, samples, args.python, args.before, args.rounds))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
