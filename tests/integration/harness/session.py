"""The object behind the ``fleet`` fixture: a running test fleet plus ways to drive and inspect it.

The fleet itself is built by tests/fleet/fleet.py (the same code ``tests/fleet/fleet.sh`` runs);
this module loads that file, adds ansible runs with recorded results, and direct reads of what a
host sees (through nsenter into its sshd's namespaces, never through ansible) for verification.
"""

import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys

from .run import Run

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FLEET_PY = os.path.join(REPO, "tests", "fleet", "fleet.py")
CALLBACK_DIR = os.path.join(HERE, "callback_plugins")
CALLBACK_NAME = "netfleet_test_results"
RUN_TIMEOUT = int(os.environ.get("NETFLEET_RUN_TIMEOUT", "900"))

# net.* values that move on their own (counters, per-boot randomness): left out of snapshots.
VOLATILE_NET_KEYS = frozenset([
    "net.netfilter.nf_conntrack_count",
])

_SNAPSHOT_SCRIPT = r"""
import json, os, sys
volatile = set(json.loads(sys.argv[1]))
def norm(text):
    return " ".join(text.split())
sysctls = {}
for top, dirs, files in os.walk("/proc/sys/net"):
    dirs.sort()
    for name in files:
        path = os.path.join(top, name)
        key = path[len("/proc/sys/"):].replace(".", "\0").replace("/", ".").replace("\0", "/")
        if key in volatile:
            continue
        try:
            with open(path) as handle:
                sysctls[key] = norm(handle.read())
        except OSError:
            pass
def files(root):
    found = {}
    for top, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            try:
                with open(path, "rb") as handle:
                    found[rel] = handle.read().decode("utf-8", "replace")
            except OSError as exc:
                found[rel] = "<unreadable: %s>" % exc.strerror
        for name in dirs:
            if not os.listdir(os.path.join(top, name)):
                found[os.path.relpath(os.path.join(top, name), root) + "/"] = None
    return found
json.dump({"sysctl": sysctls, "sysctl_d": files("/etc/sysctl.d"),
           "state": files("/var/lib/netfleet-tcp")}, sys.stdout, sort_keys=True)
"""


def load_fleet_module():
    """tests/fleet/fleet.py as a module (it is a script, not a package)."""
    name = "netfleet_test_fleet"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FLEET_PY)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _ansible_bin(name):
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if not found:
        raise RuntimeError("%s not found next to %s nor on PATH" % (name, sys.executable))
    return found


class FleetSession:
    """A fleet that is up. See the module docstring of tests/integration/conftest.py for the API."""

    def __init__(self, fleet_id, size):
        self._mod = load_fleet_module()
        self._fleet = self._mod.Fleet(fleet_id, root=REPO)
        self.id = self._fleet.id
        self.size = size
        self._counter = itertools.count(1)
        self._meta = {}

    # ----------------------------------------------------------------- lifecycle

    def start(self, rebuild=True):
        self._fleet.up(self.size, rebuild=rebuild)
        with open(self._fleet.meta_file) as handle:
            self._meta = json.load(handle)
        return self

    def stop(self):
        self._fleet.down()

    # ----------------------------------------------------------------- layout

    @property
    def inventory(self):
        return self._fleet.inventory

    @property
    def ansible_cfg(self):
        return self._fleet.ansible_cfg

    @property
    def hosts(self):
        return [h["name"] for h in self._meta["hosts"]]

    @property
    def groups(self):
        return {group: list(members) for group, members in self._meta["groups"].items()}

    def address(self, host):
        return self._fleet.host(host).address

    # ----------------------------------------------------------------- ansible

    def _workdir(self, kind):
        path = os.path.join(self._fleet.dir, "runs", "%03d-%s" % (next(self._counter), kind))
        # Numbers start at 001 in every session: a reused fleet still holds an earlier session's
        # folder of this name, whose results file would otherwise be appended to and counted again.
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def _env(self, results_file, env):
        merged = dict(os.environ)
        merged.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, ".tmp", "collections"))
        merged.update({
            "ANSIBLE_CONFIG": self._fleet.ansible_cfg,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",  # ad-hoc runs load callbacks only with this
            "NETFLEET_TEST_RESULTS": results_file,
        })
        merged.update({k: str(v) for k, v in (env or {}).items()})
        plugins = [p for p in merged.get("ANSIBLE_CALLBACK_PLUGINS", "").split(os.pathsep) if p]
        merged["ANSIBLE_CALLBACK_PLUGINS"] = os.pathsep.join([CALLBACK_DIR] + plugins)
        enabled = [c for c in merged.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c.strip()]
        if CALLBACK_NAME not in enabled:
            enabled.append(CALLBACK_NAME)
        merged["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(enabled)
        return merged

    def _inventory_path(self, inventory, workdir):
        if inventory is None:
            return self._fleet.inventory
        if "\n" in inventory:
            path = os.path.join(workdir, "inventory.ini")
            with open(path, "w") as handle:
                handle.write(inventory)
            return path
        return inventory

    def _run(self, argv, workdir, env):
        results_file = os.path.join(workdir, "results.jsonl")
        proc = subprocess.run(argv, cwd=REPO, env=self._env(results_file, env),  # pylint: disable=subprocess-run-check
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=RUN_TIMEOUT)
        with open(os.path.join(workdir, "output.txt"), "w") as handle:
            handle.write("$ %s\nrc=%s\n%s\n--- stderr ---\n%s" % (
                " ".join(argv), proc.returncode, proc.stdout, proc.stderr))
        return Run(argv, proc.returncode, proc.stdout, proc.stderr, results_file, workdir)

    def playbook(self, playbook, extra_vars=None, check=False, diff=False, limit=None, tags=None,
                 env=None, inventory=None):
        workdir = self._workdir("playbook")
        if "\n" in playbook:
            path = os.path.join(workdir, "playbook.yml")
            with open(path, "w") as handle:
                handle.write(playbook)
        else:
            path = playbook if os.path.isabs(playbook) else os.path.join(REPO, playbook)
        argv = [_ansible_bin("ansible-playbook"), "-i", self._inventory_path(inventory, workdir), path]
        if extra_vars:
            vars_file = os.path.join(workdir, "extra_vars.json")
            with open(vars_file, "w") as handle:
                json.dump(extra_vars, handle)
            argv += ["-e", "@" + vars_file]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if limit:
            argv += ["--limit", limit if isinstance(limit, str) else ",".join(limit)]
        if tags:
            argv += ["--tags", tags if isinstance(tags, str) else ",".join(tags)]
        return self._run(argv, workdir, env)

    def adhoc(self, pattern, module, args=None, check=False, env=None, inventory=None):
        workdir = self._workdir("adhoc")
        argv = [_ansible_bin("ansible"), pattern, "-i", self._inventory_path(inventory, workdir),
                "-m", module]
        if args:
            argv += ["-a", args if isinstance(args, str) else json.dumps(args)]
        if check:
            argv.append("--check")
        return self._run(argv, workdir, env)

    # ----------------------------------------------------------------- direct access

    def _enter(self, host):
        return self._fleet.nsenter_argv(self._fleet.host(host))

    def sh(self, host, cmd, check=True, timeout=60):
        """Run a shell command inside the host (as its SSH sessions see it)."""
        proc = subprocess.run(self._enter(host) + ["/bin/sh", "-c", cmd], stdout=subprocess.PIPE,  # pylint: disable=subprocess-run-check
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("%s: `%s` failed rc=%s\nstdout: %s\nstderr: %s" % (
                host, cmd, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def sysctl(self, host, key):
        """Live value inside the host's network namespace (whitespace collapsed), None if absent."""
        h = self._fleet.host(host)
        try:
            return self._mod.in_netns(h.ns_path, self._mod.read_sysctl, key)
        except FileNotFoundError:
            return None

    def set_sysctl(self, host, key, value):
        """Write a net.* value live inside the host (drift by hand). Other keys are machine-wide
        even inside a namespace, so they are refused."""
        if not key.startswith("net."):
            raise ValueError("only net.* keys are per host; %r would change the machine" % key)
        h = self._fleet.host(host)
        self._mod.in_netns(h.ns_path, self._mod.write_sysctl, key, value)

    def read_file(self, host, path):
        """Content of path as the host sees it, None when it does not exist."""
        proc = subprocess.run(  # pylint: disable=subprocess-run-check
            self._enter(host) + ["/bin/sh", "-c", 'test -e "$1" || exit 3; cat -- "$1"', "sh", path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if proc.returncode == 3:
            return None
        if proc.returncode != 0:
            raise OSError("%s: cannot read %s: %s" % (host, path, proc.stderr.decode("utf-8", "replace")))
        return proc.stdout.decode("utf-8", "replace")

    def list_dir(self, host, path):
        """Sorted entry names of a directory as the host sees it; [] when it does not exist."""
        proc = subprocess.run(  # pylint: disable=subprocess-run-check
            self._enter(host) + ["/bin/sh", "-c", 'test -d "$1" || exit 3; ls -A1 -- "$1"', "sh", path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        if proc.returncode == 3:
            return []
        if proc.returncode != 0:
            raise OSError("%s: cannot list %s: %s" % (host, path, proc.stderr))
        return sorted(line for line in proc.stdout.splitlines() if line)

    def snapshot(self, host):
        """{"sysctl": {net.* key: value}, "sysctl_d": {file: text}, "state": {file: text}} as the
        host sees them (its /etc/sysctl.d and /var/lib/netfleet-tcp); compare two for "no change"."""
        proc = subprocess.run(  # pylint: disable=subprocess-run-check
            self._enter(host) + ["/usr/bin/python3", "-c", _SNAPSHOT_SCRIPT,
                                 json.dumps(sorted(VOLATILE_NET_KEYS))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        if proc.returncode != 0:
            raise OSError("%s: snapshot failed: %s" % (host, proc.stderr))
        return json.loads(proc.stdout)

    # ----------------------------------------------------------------- faults and cleanup

    def reboot(self, host):
        self._fleet.reboot(host)

    def isolate(self, host):
        self._fleet.isolate(host)

    def restore(self, host):
        self._fleet.restore(host)

    def reset(self, hosts=None):
        if isinstance(hosts, str):
            hosts = [hosts]
        self._fleet.reset(hosts)


def machine_sysctls(prefixes=("kernel.", "fs.", "vm.")):
    """The machine's own values (initial namespaces) under prefixes, minus keys that move on their
    own; for asserting a fleet operation left the machine alone (tests/machine_guard.py)."""
    return _machine_guard().machine_settings(prefixes)


def _machine_guard():
    """tests/machine_guard.py, also when the harness is imported outside pytest (benchmarks)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "machine_guard.py")
    spec = importlib.util.spec_from_file_location("netfleet_machine_guard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
