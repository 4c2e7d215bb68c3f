"""Test fleet: N Linux hosts on this machine, each a network namespace with its own sshd.

Run it through ``tests/fleet/fleet.sh`` (as root)::

    fleet.sh up [N] [--rebuild]  build N hosts (default 4, at most 50); reuses a healthy fleet of that size
    fleet.sh down              remove everything the fleet created (idempotent)
    fleet.sh status [--json]   one line per host; rc 0 all healthy, 1 degraded, 3 down
    fleet.sh reboot HOST...    re-create the namespace and re-apply the host's persisted net.* sysctls
    fleet.sh reset [HOST...]   drop what tests wrote (sysctl.d files, state dir, isolation), then reboot
    fleet.sh isolate HOST      make HOST unreachable (link down, its SSH sessions closed)
    fleet.sh restore HOST      make HOST reachable again
    fleet.sh exec HOST -- CMD  run CMD inside HOST with its sshd's network, UTS and mount namespaces
    fleet.sh inventory         print the inventory path

NETFLEET_FLEET_ID (0-9, default 0) keys every name, so fleets of different ids coexist:

    namespace   nf<ID>-<host>            hostname inside: <host>
    bridge      nfbr<ID>, 198.18.<ID>.1/24 on the machine side
    host link   eth0 in the namespace, peer nfv<ID>-<host> on the bridge
    address     198.18.<ID>.(11 + index), MAC 02:4e:46:0<ID>:00:<index+1 in hex>; no default route
    sysctl.d    /etc/netns/nf<ID>-<host>/sysctl.d, which `ip netns exec` binds over /etc/sysctl.d
    state dir   .fleet/<ID>/<host>/var-lib-netfleet-tcp bound over /var/lib/netfleet-tcp
    files       .fleet/<ID>/ (inventory.ini, ansible.cfg, fleet.json, ssh keys, sshd configs and logs)

Hosts, in order: web1 (server), natgw (NAT gateway: ip_forward=1 persisted in its sysctl.d and an
nftables ``table ip nat`` masquerade rule), shadow (server with /etc/sysctl.d/99-zzz-local-override.conf
setting net.ipv4.tcp_fin_timeout = 45, sorting after the collection's drop-in), then web2, web3, ...
Inventory groups: fleet (all), servers, nat_gateways, shadowed.

Boot (``up`` and ``reboot``) applies the host's persisted sysctl.d files with this machine's own
systemd-sysctl, restricted with ``--prefix=/net/`` and run by ``ip netns exec`` inside the host's
network namespace, where the host's /etc/sysctl.d is bound over the machine's (/run/sysctl.d,
/usr/local/lib/sysctl.d and /usr/lib/sysctl.d are the machine's). Keys outside net.* are never
written, and the initial-namespace-only net.* keys do not exist inside a namespace. As on a real
host, the pass runs before eth0 exists (conf.default.* reaches eth0) and eth0's own keys are
applied when it appears, with the prefixes udev's 99-systemd.rules passes. Without systemd-sysctl
(or with NETFLEET_FLEET_SYSCTL_LOADER=emulation) an emulation of it runs instead
(tests/fleet/sysctl_boot.py); the corpus tests hold both to the same results. What ran is written
to .fleet/<ID>/<host>/boot.log. It never runs ``sysctl --system``/``sysctl -p``: those would also
write machine-wide kernel.*/fs.*/vm.* keys.

Stdlib only; runs under any python3 >= 3.8. The pytest harness (tests/integration/harness) imports
this file and uses the same ``Fleet`` class.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from sysctl_boot import (apply_assignments, boot_assignments, key_to_path,  # noqa: E402
                         normalize, path_to_key, run_real_loader, systemd_sysctl)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEFAULT_SIZE = 4
MAX_HOSTS = 50
FIRST_HOSTS = (("web1", "server"), ("natgw", "natgw"), ("shadow", "shadow"))
GROUP_NAMES = ("fleet", "servers", "nat_gateways", "shadowed")

STATE_MOUNT = "/var/lib/netfleet-tcp"
# Machine paths a fleet needs; created when absent and removed by the last fleet going down.
SHARED_DIRS = ("/etc/netns", "/run/sshd", STATE_MOUNT)
REGISTRY = "/run/netfleet-fleets.json"

# Files each kind of host starts with in its /etc/sysctl.d (re-seeded by reset).
SEED_FILES = {
    "server": {},
    "natgw": {
        "30-ip-forward.conf": "# This host routes and masquerades for others.\nnet.ipv4.ip_forward = 1\n",
    },
    "shadow": {
        "99-zzz-local-override.conf": (
            "# Local override kept by the host's owner; sorts after 99-zz-netfleet-tcp-*.conf.\n"
            "net.ipv4.tcp_fin_timeout = 45\n"
        ),
    },
}
NATGW_RULESET = """\
table ip nat {
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\toifname "eth0" masquerade
\t}
}
"""

CLONE_NEWNET = 0x40000000
SSHD_START = 'hostname "$1" && mount --bind "$2" "$3" && exec "$4" -f "$5" -E "$6"'


class FleetError(Exception):
    """A fleet operation failed; the message says what and why."""


# --------------------------------------------------------------------------- small helpers

def run(argv, input=None, check=True, timeout=60):
    """Run argv (no shell), return CompletedProcess with text output; FleetError when it fails."""
    try:
        proc = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # pylint: disable=subprocess-run-check
                              universal_newlines=True, timeout=timeout)
    except FileNotFoundError:
        raise FleetError("%s: command not found" % argv[0])
    except subprocess.TimeoutExpired:
        raise FleetError("%s: timed out after %ss" % (" ".join(argv), timeout))
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise FleetError("%s: rc=%s: %s" % (" ".join(argv), proc.returncode, detail))
    return proc


def _setns_function():
    if hasattr(os, "setns"):  # Python 3.12+
        return lambda fd: os.setns(fd, CLONE_NEWNET)
    libc = ctypes.CDLL(None, use_errno=True)

    def setns(fd):
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    return setns


_setns = _setns_function()


def in_netns(ns_path, func, *args):
    """Call func(*args) in a short-lived thread that joined the network namespace at ns_path.

    /proc/sys/net resolves against the calling thread's network namespace, so this reads and
    writes a host's net.* sysctls without a subprocess and without moving this process.
    """
    box = {}

    def worker():
        try:
            fd = os.open(ns_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                _setns(fd)
            finally:
                os.close(fd)
            box["value"] = func(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def read_sysctl(key):
    with open(key_to_path(key)) as handle:
        return normalize(handle.read())


def write_sysctl(key, value):
    with open(key_to_path(key), "w") as handle:
        handle.write(str(value))


def walk_net_sysctls(skip=()):
    """All readable net.* values of the calling thread's namespace: {key: normalized text}."""
    values = {}
    for top, dirs, files in os.walk("/proc/sys/net"):
        dirs.sort()
        for name in files:
            path = os.path.join(top, name)
            key = path_to_key(path)
            if key in skip:
                continue
            try:
                with open(path) as handle:
                    values[key] = normalize(handle.read())
            except OSError:
                continue  # write-only (route.flush) or refused in this namespace
    return values


def port_open(address, port=22, timeout=0.5):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


class _MachineLock:
    """Serialise the machine-wide parts (shared dirs, registry) between fleets of all ids."""

    def __enter__(self):
        self.fd = os.open("/run", os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# --------------------------------------------------------------------------- the fleet

class Host:
    def __init__(self, fleet, index, name, kind):
        self.index, self.name, self.kind = index, name, kind
        fid = fleet.id
        self.address = "198.18.%d.%d" % (fid, 11 + index)
        self.mac = "02:4e:46:0%d:00:%02x" % (fid, index + 1)
        self.peer_mac = "02:4e:46:0%d:01:%02x" % (fid, index + 1)
        self.ns = "nf%d-%s" % (fid, name)
        self.ns_path = "/run/netns/" + self.ns
        self.veth = "nfv%d-%s" % (fid, name)
        self.etc_dir = "/etc/netns/" + self.ns
        self.sysctl_dir = self.etc_dir + "/sysctl.d"
        self.dir = os.path.join(fleet.dir, name)
        self.state_dir = os.path.join(self.dir, "var-lib-netfleet-tcp")
        self.sshd_config = os.path.join(self.dir, "sshd_config")
        self.pidfile = os.path.join(self.dir, "sshd.pid")
        self.sshd_log = os.path.join(self.dir, "sshd.log")
        self.isolated_flag = os.path.join(self.dir, "isolated")
        self.boot_log = os.path.join(self.dir, "boot.log")
        self.remote_tmp = os.path.join(self.dir, "tmp")

    def groups(self):
        groups = ["fleet"]
        if self.kind in ("server", "shadow"):
            groups.append("servers")
        if self.kind == "natgw":
            groups.append("nat_gateways")
        if self.kind == "shadow":
            groups.append("shadowed")
        return groups

    def as_dict(self):
        return {"name": self.name, "kind": self.kind, "index": self.index, "address": self.address,
                "mac": self.mac, "netns": self.ns, "veth": self.veth, "groups": self.groups(),
                "sysctl_dir": self.sysctl_dir, "state_dir": self.state_dir}


def host_plan(size):
    names = list(FIRST_HOSTS) + [("web%d" % i, "server") for i in range(2, MAX_HOSTS)]
    return names[:size]


class Fleet:
    """One fleet, keyed by its id. Every method is safe to call on a fleet that is down."""

    def __init__(self, fleet_id=None, root=REPO, verbose=False):
        if fleet_id is None:
            fleet_id = os.environ.get("NETFLEET_FLEET_ID", "0")
        if not str(fleet_id).isdigit() or not 0 <= int(fleet_id) <= 9:
            raise FleetError("NETFLEET_FLEET_ID must be 0-9, got %r" % (fleet_id,))
        self.id = int(fleet_id)
        self.root = root
        self.verbose = verbose
        self.dir = os.path.join(root, ".fleet", str(self.id))
        self.bridge = "nfbr%d" % self.id
        self.bridge_address = "198.18.%d.1" % self.id
        self.bridge_mac = "02:4e:46:0%d:ff:ff" % self.id
        self.subnet = "198.18.%d.0/24" % self.id
        self.ns_prefix = "nf%d-" % self.id
        self.veth_prefix = "nfv%d-" % self.id
        self.ssh_dir = os.path.join(self.dir, "ssh")
        self.private_key = os.path.join(self.ssh_dir, "id_ed25519")
        self.host_key = os.path.join(self.ssh_dir, "ssh_host_ed25519_key")
        self.authorized_keys = os.path.join(self.ssh_dir, "authorized_keys")
        self.inventory = os.path.join(self.dir, "inventory.ini")
        self.ansible_cfg = os.path.join(self.dir, "ansible.cfg")
        self.meta_file = os.path.join(self.dir, "fleet.json")

    # ----------------------------------------------------------------- lookups

    def log(self, message):
        if self.verbose:
            sys.stderr.write("fleet %d: %s\n" % (self.id, message))

    def hosts(self):
        """Hosts of the fleet as built (from fleet.json); [] when the fleet is down."""
        try:
            with open(self.meta_file) as handle:
                meta = json.load(handle)
        except (OSError, ValueError):
            return []
        return [Host(self, h["index"], h["name"], h["kind"]) for h in meta["hosts"]]

    def host(self, name):
        for host in self.hosts():
            if host.name == name:
                return host
        known = ", ".join(h.name for h in self.hosts()) or "none: the fleet is down"
        raise FleetError("no host %r in fleet %d (hosts: %s)" % (name, self.id, known))

    def sshd_pid(self, host):
        """PID of the host's sshd listener, or None when it is not running in the host's netns."""
        try:
            with open(host.pidfile) as handle:
                pid = int(handle.read().split()[0])
            if os.stat("/proc/%d/ns/net" % pid).st_ino != os.stat(host.ns_path).st_ino:
                return None
            with open("/proc/%d/stat" % pid) as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return None
            return pid
        except (OSError, ValueError, IndexError):
            return None

    def nsenter_argv(self, host):
        """argv prefix entering the host the way its SSH sessions see it (net, UTS, mount)."""
        pid = self.sshd_pid(host)
        if pid is None:
            raise FleetError("sshd of %s is not running (fleet %d); `fleet.sh reboot %s` restarts it"
                             % (host.name, self.id, host.name))
        return ["nsenter", "-t", str(pid), "-n", "-u", "-m", "--"]

    def _our_netns(self):
        try:
            names = os.listdir("/run/netns")
        except OSError:
            return []
        return sorted(n for n in names if n.startswith(self.ns_prefix))

    def _our_links(self):
        try:
            names = os.listdir("/sys/class/net")
        except OSError:
            return []
        return sorted(n for n in names if n.startswith(self.veth_prefix) or n == self.bridge)

    # ----------------------------------------------------------------- processes

    def _processes(self, ns_names, orphans=False):
        """PIDs living in the given namespaces (by nsfs inode); with orphans, also any process
        running one of this fleet's sshd configs (left behind when a namespace was removed)."""
        inodes = set()
        for name in ns_names:
            try:
                st = os.stat("/run/netns/" + name)
                inodes.add((st.st_dev, st.st_ino))
            except OSError:
                pass
        marker = (self.dir + os.sep).encode()
        me = os.getpid()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                st = os.stat("/proc/%s/ns/net" % entry)
                if (st.st_dev, st.st_ino) in inodes:
                    found.append(int(entry))
                    continue
                if orphans:
                    with open("/proc/%s/cmdline" % entry, "rb") as handle:
                        cmdline = handle.read()
                    if b"sshd" in cmdline and marker in cmdline:
                        found.append(int(entry))
            except OSError:
                continue
        return found

    @staticmethod
    def _kill(pids, timeout=5.0, sig=signal.SIGKILL):
        """Signal pids and wait until they are gone (or zombies); returns those still alive."""
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        pending = list(pids)
        while pending and time.monotonic() < deadline:
            alive = []
            for pid in pending:
                try:
                    with open("/proc/%d/stat" % pid) as handle:
                        if handle.read().rsplit(")", 1)[1].split()[0] != "Z":
                            alive.append(pid)
                except (OSError, IndexError):
                    pass
            pending = alive
            if pending:
                time.sleep(0.02)
        return pending

    # ----------------------------------------------------------------- machine-wide parts

    def _register(self):
        """Note this fleet as up and create the shared machine dirs that are missing."""
        with _MachineLock():
            self._register_locked(self._read_registry())

    def _register_locked(self, registry):
        registry["fleets"][str(self.id)] = {"root": self.root, "since": time.time()}
        for path in SHARED_DIRS:
            if not os.path.isdir(path):
                os.makedirs(path, mode=0o755)
                if path not in registry["created"]:
                    registry["created"].append(path)
        self._write_registry(registry)

    def claim(self):
        """Register this id only if no fleet uses it (atomically across processes). For tests that
        need a scratch fleet next to their own; `up` keeps the claim. Returns True when claimed."""
        with _MachineLock():
            registry = self._read_registry()
            entry = registry["fleets"].get(str(self.id))
            if self._our_netns() or self._our_links():
                return False
            if isinstance(entry, dict) and time.time() - entry.get("since", 0) < 120:
                return False  # registered moments ago: somebody's `up` is under way
            self._register_locked(registry)
            return True

    def _unregister(self):
        """Forget this fleet; the last fleet going down removes the shared dirs fleets created."""
        with _MachineLock():
            registry = self._read_registry()
            if str(self.id) not in registry["fleets"] and not registry["created"]:
                return
            registry["fleets"].pop(str(self.id), None)
            if registry["fleets"]:
                self._write_registry(registry)
                return
            for path in reversed(registry["created"]):
                try:
                    os.rmdir(path)  # only when empty: never remove what someone else put there
                except OSError:
                    pass
            try:
                os.unlink(REGISTRY)
            except OSError:
                pass

    @staticmethod
    def _read_registry():
        try:
            with open(REGISTRY) as handle:
                registry = json.load(handle)
        except (OSError, ValueError):
            registry = {}
        registry.setdefault("fleets", {})
        registry.setdefault("created", [])
        return registry

    @staticmethod
    def _write_registry(registry):
        tmp = REGISTRY + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(registry, handle, indent=1, sort_keys=True)
        os.rename(tmp, REGISTRY)

    # ----------------------------------------------------------------- up / down

    def healthy(self, size=None):
        hosts = self.hosts()
        if not hosts or (size is not None and len(hosts) != size):
            return False
        if not os.path.isdir("/sys/class/net/" + self.bridge):
            return False
        return all(self.sshd_pid(h) is not None for h in hosts)

    def up(self, size=DEFAULT_SIZE, rebuild=False):
        """Build the fleet (or reuse it when already up with this size). Returns 'built'/'reused'."""
        if not 1 <= size <= MAX_HOSTS:
            raise FleetError("fleet size must be 1-%d, got %d" % (MAX_HOSTS, size))
        preflight_or_raise()
        if not rebuild and self.healthy(size):
            self._write_ansible_files(self.hosts())
            return "reused"
        self.down(keep_registration=True)
        hosts = [Host(self, i, name, kind) for i, (name, kind) in enumerate(host_plan(size))]
        os.makedirs(self.dir, exist_ok=True)
        self._ensure_keys()
        self._register()
        self._write_meta(hosts)
        for host in hosts:
            self._prepare_host_files(host, fresh=True)
        self._make_bridge()
        workers = min(8, len(hosts))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(self._boot, hosts))
        self._write_ansible_files(hosts)
        self._wait_reachable(hosts)
        return "built"

    def down(self, keep_registration=False):
        """Remove every namespace, link, process, /etc/netns entry and mount this fleet created."""
        namespaces = self._our_netns()
        self._kill(self._processes(namespaces, orphans=True))
        for link in self._our_links():
            if link != self.bridge:
                run(["ip", "link", "del", link], check=False)
        for name in namespaces:
            run(["ip", "netns", "del", name], check=False)
        if os.path.isdir("/sys/class/net/" + self.bridge):
            run(["ip", "link", "del", self.bridge], check=False)
        try:
            etc_entries = os.listdir("/etc/netns")
        except OSError:
            etc_entries = []
        for name in etc_entries:
            if name.startswith(self.ns_prefix):
                shutil.rmtree(os.path.join("/etc/netns", name), ignore_errors=True)
        if not keep_registration:
            self._unregister()
        if os.path.isdir(self.dir):
            for name in os.listdir(self.dir):
                if name != "ssh":  # keys are reused by the next `up`
                    path = os.path.join(self.dir, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.unlink(path)
        leftovers = self._our_netns() + self._our_links()
        if leftovers:
            raise FleetError("could not remove: %s" % ", ".join(leftovers))

    def _ensure_keys(self):
        os.makedirs(self.ssh_dir, mode=0o700, exist_ok=True)
        for path, comment in ((self.host_key, "netfleet-fleet-%d-host" % self.id),
                              (self.private_key, "netfleet-fleet-%d-root" % self.id)):
            if not (os.path.exists(path) and os.path.exists(path + ".pub")):
                for stale in (path, path + ".pub"):
                    if os.path.exists(stale):
                        os.unlink(stale)
                run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path])
        with open(self.private_key + ".pub") as handle:
            public = handle.read()
        with open(self.authorized_keys, "w") as handle:
            handle.write(public)
        os.chmod(self.authorized_keys, 0o600)

    def _write_meta(self, hosts):
        meta = {
            "id": self.id, "size": len(hosts), "bridge": self.bridge, "subnet": self.subnet,
            "bridge_address": self.bridge_address, "inventory": self.inventory,
            "ansible_cfg": self.ansible_cfg, "private_key": self.private_key,
            "hosts": [h.as_dict() for h in hosts],
            "groups": {g: [h.name for h in hosts if g in h.groups()] for g in GROUP_NAMES},
        }
        tmp = self.meta_file + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(meta, handle, indent=1)
        os.rename(tmp, self.meta_file)

    def _prepare_host_files(self, host, fresh=False, seed=True):
        """Host dirs, state dir, sshd_config and (seed) the kind's files in its sysctl.d."""
        if fresh:
            shutil.rmtree(host.dir, ignore_errors=True)
            shutil.rmtree(host.etc_dir, ignore_errors=True)
        os.makedirs(host.sysctl_dir, exist_ok=True)
        os.makedirs(host.state_dir, exist_ok=True)
        os.makedirs(host.remote_tmp, exist_ok=True)
        for name, text in (SEED_FILES[host.kind].items() if seed else ()):
            with open(os.path.join(host.sysctl_dir, name), "w") as handle:
                handle.write(text)
        with open(host.sshd_config, "w") as handle:
            handle.write(self._sshd_config(host))

    def _sshd_config(self, host):
        return "\n".join([
            "# sshd of fleet %d host %s (written by tests/fleet/fleet.py)" % (self.id, host.name),
            "ListenAddress %s:22" % host.address,
            "AddressFamily inet",
            "HostKey %s" % self.host_key,
            "PidFile %s" % host.pidfile,
            "AuthorizedKeysFile %s" % self.authorized_keys,
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            # The checkout may live under a group-writable or sticky dir (/tmp): skip the path check.
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "X11Forwarding no",
            "MaxStartups 200",
            "MaxSessions 100",
            "LogLevel INFO",
            "Subsystem sftp internal-sftp",
            # Modules unpack their AnsiballZ payload under TMPDIR: give each host its own, so a
            # payload left by a module the fault tests killed is this fleet's to clean up and no
            # other ansible run on the machine shares the directory.
            "SetEnv TMPDIR=%s" % host.remote_tmp,
            "",
        ])

    def _make_bridge(self):
        run(["ip", "link", "add", self.bridge, "address", self.bridge_mac, "type", "bridge"])
        run(["ip", "-batch", "-"], input="addr add %s/24 dev %s\nlink set %s up\n"
            % (self.bridge_address, self.bridge, self.bridge))

    # ----------------------------------------------------------------- one host's boot

    def _boot(self, host):
        """Create the namespace, apply persisted net.* sysctls, wire eth0, kind setup, sshd."""
        run(["ip", "netns", "add", host.ns])
        # Before eth0 exists, as at boot: conf.default.* values then reach eth0 when it appears,
        # and eth0's own keys are applied once it exists (udev does that on a real host).
        with open(host.boot_log, "w") as log:
            self._apply_boot_sysctls(host, log)
        run(["ip", "link", "add", host.veth, "address", host.peer_mac, "type", "veth",
             "peer", "name", "eth0", "address", host.mac, "netns", host.ns])
        up = "down" if os.path.exists(host.isolated_flag) else "up"
        run(["ip", "link", "set", host.veth, "master", self.bridge, up])
        run(["ip", "-n", host.ns, "-batch", "-"],
            input="link set lo up\naddr add %s/24 dev eth0\nlink set eth0 up\n" % host.address)
        with open(host.boot_log, "a") as log:
            self._apply_boot_sysctls(host, log, "eth0")
        if host.kind == "natgw":
            run(["ip", "netns", "exec", host.ns, "nft", "-f", "-"], input=NATGW_RULESET)
        self._start_sshd(host)
        run(["ip", "neigh", "flush", "to", host.address, "dev", self.bridge], check=False)

    def _apply_boot_sysctls(self, host, log, device=None):
        """One boot pass over the host's sysctl.d files (all net.* keys, or one device's)."""
        loader = None if os.environ.get("NETFLEET_FLEET_SYSCTL_LOADER") == "emulation" else systemd_sysctl()
        if loader:
            proc = run_real_loader(["ip", "netns", "exec", host.ns], loader, device)
            lines = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
            lines.insert(0, "%s %s: rc=%d" % (loader, device or "net", proc.returncode))
        else:
            report = in_netns(host.ns_path, apply_assignments, boot_assignments(host.sysctl_dir), device)
            lines = ["emulation %s:" % (device or "net")]
            lines += ["%s = %s (%s) %s" % row for row in report]
        for line in lines:
            self.log("%s: %s" % (host.name, line))
        log.write("\n".join(lines) + "\n")

    def _start_sshd(self, host):
        try:
            os.unlink(host.pidfile)
        except OSError:
            pass
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"  # sshd re-execs itself: absolute path
        run(["ip", "netns", "exec", host.ns, "unshare", "--uts", "--", "/bin/sh", "-c", SSHD_START,
             "sh", host.name, host.state_dir, STATE_MOUNT, os.path.abspath(sshd), host.sshd_config,
             host.sshd_log])
        deadline = time.monotonic() + 5
        while self.sshd_pid(host) is None:
            if time.monotonic() > deadline:
                raise FleetError("sshd of %s did not start; see %s" % (host.name, host.sshd_log))
            time.sleep(0.01)

    def _wait_reachable(self, hosts, timeout=10):
        deadline = time.monotonic() + timeout
        pending = [h for h in hosts if not os.path.exists(h.isolated_flag)]
        while pending:
            pending = [h for h in pending if not port_open(h.address, timeout=0.5)]
            if pending and time.monotonic() > deadline:
                raise FleetError("no SSH answer from %s" % ", ".join(h.address for h in pending))

    # ----------------------------------------------------------------- per-host operations

    def reboot(self, name):
        """Kill everything in the host, re-create its namespace (same MAC/address), boot it."""
        host = self.host(name)
        self._kill(self._processes([host.ns]))
        run(["ip", "link", "del", host.veth], check=False)
        run(["ip", "netns", "del", host.ns], check=False)
        self._prepare_host_files(host, seed=False)  # sysctl.d and the state dir persist
        self._boot(host)
        if not os.path.exists(host.isolated_flag):
            self._wait_reachable([host])

    def reset(self, names=None):
        """Back to the state `up` built: remove what tests wrote to sysctl.d (seed files are
        rewritten) and to the state dir, lift isolation, then reboot. All hosts by default."""
        hosts = [self.host(n) for n in names] if names else self.hosts()
        for host in hosts:
            for directory in (host.sysctl_dir, host.state_dir):
                if os.path.isdir(directory):
                    for entry in os.listdir(directory):
                        path = os.path.join(directory, entry)
                        if os.path.isdir(path) and not os.path.islink(path):
                            shutil.rmtree(path)
                        else:
                            os.unlink(path)
            if os.path.exists(host.isolated_flag):
                os.unlink(host.isolated_flag)
            self._prepare_host_files(host)
        if hosts:
            with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
                list(pool.map(lambda h: self.reboot(h.name), hosts))

    def isolate(self, name):
        """Cut the host off: close its SSH sessions (so no client hangs on a dead connection),
        take its link down and forget its neighbour entry; connects then fail fast."""
        host = self.host(name)
        with open(host.isolated_flag, "w"):
            pass
        listener = self.sshd_pid(host)
        sessions = []
        for pid in self._processes([host.ns]):
            try:
                with open("/proc/%d/stat" % pid) as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if listener is not None and ppid == listener:
                sessions.append(pid)
        self._kill(sessions, sig=signal.SIGTERM)  # waits: their FINs leave before the link goes down
        run(["ip", "link", "set", host.veth, "down"])
        run(["ip", "neigh", "flush", "to", host.address, "dev", self.bridge], check=False)

    def restore(self, name):
        host = self.host(name)
        if os.path.exists(host.isolated_flag):
            os.unlink(host.isolated_flag)
        run(["ip", "link", "set", host.veth, "up"])
        run(["ip", "neigh", "flush", "to", host.address, "dev", self.bridge], check=False)
        self._wait_reachable([host])

    def status(self):
        hosts = self.hosts()
        rows = []
        for host in hosts:
            pid = self.sshd_pid(host)
            isolated = os.path.exists(host.isolated_flag)
            rows.append({
                "name": host.name, "kind": host.kind, "address": host.address,
                "netns": os.path.exists(host.ns_path), "sshd_pid": pid, "isolated": isolated,
                "ssh": (not isolated) and pid is not None and port_open(host.address, timeout=0.3),
            })
        return {"id": self.id, "up": bool(hosts), "bridge": self.bridge,
                "bridge_present": os.path.isdir("/sys/class/net/" + self.bridge),
                "inventory": self.inventory if hosts else None, "hosts": rows,
                "stray_netns": [n for n in self._our_netns() if n not in {h.ns for h in hosts}]}

    # ----------------------------------------------------------------- ansible files

    def _write_ansible_files(self, hosts):
        lines = ["# Test fleet %d, written by tests/fleet/fleet.sh up; rewritten on every up." % self.id,
                 "[fleet]"]
        for host in hosts:
            lines.append("%s ansible_host=%s ansible_remote_tmp=%s fleet_host_kind=%s"
                         % (host.name, host.address, host.remote_tmp, host.kind))
        for group in GROUP_NAMES[1:]:
            lines += ["", "[%s]" % group] + [h.name for h in hosts if group in h.groups()]
        lines += [
            "", "[fleet:vars]",
            "ansible_user=root",
            "ansible_port=22",
            "ansible_ssh_private_key_file=%s" % self.private_key,
            # Interpreter discovery can pick a broken pyenv shim on this image.
            "ansible_python_interpreter=/usr/bin/python3",
            "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
            "",
        ]
        with open(self.inventory, "w") as handle:
            handle.write("\n".join(lines))
        cfg = [
            "# Test fleet %d: export ANSIBLE_CONFIG=%s" % (self.id, self.ansible_cfg),
            "[defaults]",
            "inventory = %s" % self.inventory,
            "home = %s" % os.path.join(self.dir, "ansible-home"),
            "local_tmp = %s" % os.path.join(self.dir, "ansible-home", "tmp"),
            "forks = 10",
            "timeout = 10",
            "host_key_checking = False",
            "interpreter_python = /usr/bin/python3",
            "retry_files_enabled = False",
            "nocows = True",
            "",
            "[ssh_connection]",
            "pipelining = True",
            "ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o LogLevel=ERROR",
            "control_path_dir = %s" % os.path.join(self.dir, "cp"),
            "",
        ]
        with open(self.ansible_cfg, "w") as handle:
            handle.write("\n".join(cfg))


# --------------------------------------------------------------------------- preflight and CLI

def preflight():
    """One-line reason this machine cannot run a fleet, or None when it can."""
    if os.geteuid() != 0:
        return "the test fleet needs root (network namespaces, bridges, bind mounts)"
    for tool in ("ip", "nsenter", "unshare", "ssh", "ssh-keygen", "nft", "hostname", "mount"):
        if shutil.which(tool) is None:
            return "%s is not installed" % tool
    if not (shutil.which("sshd") or os.path.exists("/usr/sbin/sshd")):
        return "sshd is not installed (apt-get install openssh-server)"
    if run(["ip", "netns", "list"], check=False).returncode != 0:
        return "`ip netns` is not usable here"
    probe = run(["unshare", "--net", "--uts", "--mount", "true"], check=False)
    if probe.returncode != 0:
        return "cannot create network namespaces: %s" % probe.stderr.strip()
    try:
        with open("/etc/shadow") as handle:
            for line in handle:
                if line.startswith("root:") and line.split(":")[1].startswith("!"):
                    return "root's password is locked ('!' in /etc/shadow): sshd with UsePAM no refuses it"
    except OSError:
        pass
    return None


def preflight_or_raise():
    reason = preflight()
    if reason:
        raise FleetError(reason)


def _print_status(status):
    if not status["up"]:
        print("fleet %d: down" % status["id"])
        for name in status["stray_netns"]:
            print("  stray namespace %s (run down)" % name)
        return 3
    print("fleet %d: %d hosts on %s, inventory %s" % (
        status["id"], len(status["hosts"]), status["bridge"], status["inventory"]))
    print("%-8s %-7s %-14s %-6s %-8s %s" % ("HOST", "KIND", "ADDRESS", "NETNS", "SSHD", "SSH"))
    bad = not status["bridge_present"]
    for row in status["hosts"]:
        ssh = "isolated" if row["isolated"] else ("open" if row["ssh"] else "CLOSED")
        print("%-8s %-7s %-14s %-6s %-8s %s" % (
            row["name"], row["kind"], row["address"], "yes" if row["netns"] else "NO",
            row["sshd_pid"] or "DEAD", ssh))
        bad = bad or not row["netns"] or row["sshd_pid"] is None or not (row["ssh"] or row["isolated"])
    return 1 if bad else 0


USAGE = __doc__.split("\n\n")[2]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = False
    while argv and argv[0] in ("-v", "--verbose"):
        verbose = True
        argv.pop(0)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: fleet.sh [-v] COMMAND\n" + USAGE)
        return 0 if argv else 2
    command, args = argv[0], argv[1:]
    try:
        fleet = Fleet(verbose=verbose)
        started = time.monotonic()
        if command == "up":
            numbers = [a for a in args if not a.startswith("-")]
            size = int(numbers[0]) if numbers else DEFAULT_SIZE
            how = fleet.up(size, rebuild="--rebuild" in args)
            print("fleet %d: %d hosts %s in %.2fs; inventory %s" % (
                fleet.id, size, "up" if how == "built" else "already up (reused)",
                time.monotonic() - started, fleet.inventory))
        elif command == "down":
            fleet.down()
            print("fleet %d: down in %.2fs" % (fleet.id, time.monotonic() - started))
        elif command == "status":
            status = fleet.status()
            if "--json" in args:
                print(json.dumps(status, indent=1))
                return 0 if status["up"] else 3
            return _print_status(status)
        elif command in ("reboot", "isolate", "restore"):
            if not args:
                raise FleetError("usage: fleet.sh %s HOST..." % command)
            for name in args:
                getattr(fleet, command)(name)
            print("fleet %d: %s %s in %.2fs" % (fleet.id, command, " ".join(args),
                                                time.monotonic() - started))
        elif command == "reset":
            fleet.reset(args or None)
            print("fleet %d: reset %s in %.2fs" % (fleet.id, " ".join(args) or "all hosts",
                                                   time.monotonic() - started))
        elif command == "exec":
            if len(args) < 3 or args[1] != "--":
                raise FleetError("usage: fleet.sh exec HOST -- COMMAND [ARG...]")
            prefix = fleet.nsenter_argv(fleet.host(args[0]))
            os.execvp(prefix[0], prefix + args[2:])
        elif command == "inventory":
            if not fleet.hosts():
                raise FleetError("fleet %d is down" % fleet.id)
            print(fleet.inventory)
        else:
            raise FleetError("unknown command %r\nusage: fleet.sh COMMAND\n%s" % (command, USAGE))
    except FleetError as exc:
        sys.stderr.write("fleet.sh: %s\n" % exc)
        return 1
    except ValueError as exc:
        sys.stderr.write("fleet.sh: %s\n" % exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
