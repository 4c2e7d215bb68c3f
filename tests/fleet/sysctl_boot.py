"""Boot-time sysctl loading for test hosts: the real systemd-sysctl, and an emulation of it.

A fleet host "boots" by applying its persisted sysctl.d files inside its network namespace. When
this machine has systemd-sysctl (``/lib/systemd/systemd-sysctl``), that is what runs, restricted
with ``--prefix=/net/`` so it writes nothing but the namespace's own net.* keys; keys that exist
only in the initial namespace (tcp_mem, netdev_max_backlog, rmem_max, ...) are absent from
/proc/sys/net inside a namespace, so they cannot be written either. Only where systemd-sysctl is
missing does the emulation below run; it follows systemd 252 (src/sysctl/sysctl.c,
src/basic/conf-files.c), which is what the corpus tests compare it against:

* files: ``*.conf`` in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d;
  hidden files (a name starting with ``.``) and anything that is not a regular file are skipped;
  a name in an earlier directory masks the same name in a later one; a link to /dev/null or an
  empty file masks and applies nothing; files are read in order of their names.
* lines: stripped; blank and ``#``/``;`` lines skipped; ``[-]key = value`` (the ``-`` may be
  followed by blanks; it only means "ignore write errors"); ``-key`` without ``=`` cancels an
  earlier assignment of that key and keeps globs off it; a line of more than 1 MiB ends the
  reading of its file (what came before stays). Keys outside the prefix are dropped as read.
* order: the last assignment of a key wins; repeating the same value keeps the key's first
  place. Explicit keys are written once each; a glob is expanded against /proc/sys when applied
  and skips every key named explicitly anywhere (even by ``-key``).

Stdlib only; runs under any python3 >= 3.8.
"""

from __future__ import annotations

import glob as globmod
import json
import os
import subprocess
import sys

SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")
SYSTEMD_SYSCTL_CANDIDATES = ("/lib/systemd/systemd-sysctl", "/usr/lib/systemd/systemd-sysctl")
LONG_LINE_MAX = 1024 * 1024  # systemd's LONG_LINE_MAX: read_line() fails on longer lines
GLOB_CHARS = "*?["
# The device keys udev re-applies when a network device appears (systemd's 99-systemd.rules).
DEVICE_PREFIXES = ("/net/ipv4/conf/%s", "/net/ipv4/neigh/%s", "/net/ipv6/conf/%s", "/net/ipv6/neigh/%s")


def key_to_path(key):
    """net.ipv4.tcp_fin_timeout -> /proc/sys/net/ipv4/tcp_fin_timeout (systemd-sysctl rules)."""
    key = key.strip()
    slash, dot = key.find("/"), key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        rel = key.strip("/")  # already a path: dots inside are literal (eth0.100)
    else:
        rel = key.replace("/", "\0").replace(".", "/").replace("\0", ".")
    return "/proc/sys/" + rel


def path_to_key(path):
    rel = path[len("/proc/sys/"):]
    return rel.replace(".", "\0").replace("/", ".").replace("\0", "/")


def normalize(value):
    """Collapse whitespace runs, as sysctl.d files write multi-value keys ("4096 87380 6291456")."""
    return " ".join(value.split())


def canonical_key(key):
    return path_to_key(key_to_path(key))


def systemd_sysctl():
    """Path of this machine's systemd-sysctl, or None."""
    for path in SYSTEMD_SYSCTL_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


# --------------------------------------------------------------------------- the emulation

def boot_sysctl_files(host_sysctl_dir=SYSCTL_DIRS[0], dirs=SYSCTL_DIRS[1:]):
    """Files systemd-sysctl reads when /etc/sysctl.d is host_sysctl_dir, in order; masking
    files (a link to /dev/null, an empty file) are left out."""
    chosen = {}
    for directory in (host_sysctl_dir,) + tuple(dirs):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if not name.endswith(".conf") or name.startswith(".") or name in chosen:
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue  # dangling link
            if os.path.realpath(path) == "/dev/null" or (os.path.isfile(path) and st.st_size == 0):
                chosen[name] = None  # masks the name everywhere after
            elif os.path.isfile(path):
                chosen[name] = path
    return [chosen[name] for name in sorted(chosen) if chosen[name]]


def parse_sysctl_conf(data, prefix="net."):
    """Yield (key, value or None, ignore_errors) from one file's bytes, as systemd-sysctl reads it."""
    for raw in data.split(b"\n"):
        if len(raw) > LONG_LINE_MAX:
            return  # read_line() fails with ENOBUFS: the rest of the file is not read
        line = raw.decode("utf-8", "replace").strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        ignore = key.startswith("-")
        if ignore:
            key = key[1:]
        elif not sep:
            continue  # "Line is not an assignment, ignoring"
        key = canonical_key(key)
        if any(c in key for c in GLOB_CHARS) or key == prefix[:-1] or key.startswith(prefix):
            yield key, (value.strip() if sep else None), ignore


def boot_options(files, prefix="net."):
    """{key: (value or None, ignore_errors, file)} in systemd-sysctl's application order."""
    options = {}
    for path in files:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        for key, value, ignore in parse_sysctl_conf(data, prefix):
            existing = options.get(key)
            if existing and existing[0] == value:
                options[key] = (value, existing[1] or ignore, existing[2])
                continue
            options.pop(key, None)  # a changed value moves the key to the end
            options[key] = (value, ignore, path)
    return options


def boot_assignments(host_sysctl_dir=SYSCTL_DIRS[0], dirs=SYSCTL_DIRS[1:]):
    """[(key, value, ignore_errors, file)] of net.* keys a boot applies, in order; a value of None
    marks a '-key' exclusion (applies nothing, keeps globs off the key)."""
    options = boot_options(boot_sysctl_files(host_sysctl_dir, dirs))
    return [(key, value, ignore, path) for key, (value, ignore, path) in options.items()]


def apply_assignments(assignments, device=None):
    """Write assignments under /proc/sys of the calling thread's namespace. Returns a report
    [(key, value, file, status)]. With device, only that network device's keys (udev's pass)."""
    explicit = set(key for key, _v, _i, _s in assignments if not any(c in key for c in GLOB_CHARS))
    markers = tuple(p % device for p in DEVICE_PREFIXES) if device else None
    report = []
    for key, value, ignore, source in assignments:
        if value is None:
            continue
        if any(c in key for c in GLOB_CHARS):
            targets = [path_to_key(p) for p in sorted(globmod.glob(key_to_path(key)))]
            targets = [t for t in targets if t.startswith("net.") and t not in explicit]
        else:
            targets = [key]
        for target in targets:
            path = key_to_path(target)
            if markers and not any((path + "/").startswith("/proc/sys" + m + "/") for m in markers):
                continue
            try:
                with open(path, "w") as handle:
                    handle.write(value)
                report.append((target, value, source, "set"))
            except OSError as exc:
                status = "ignored" if ignore else ("absent" if not os.path.exists(path)
                                                   else "error: %s" % exc.strerror)
                report.append((target, value, source, status))
    return report


# --------------------------------------------------------------------------- the real loader

def real_loader_argv(loader, device=None):
    """argv of systemd-sysctl restricted to net.* (or to one device's keys, as udev runs it)."""
    if device:
        return [loader] + ["--prefix=" + p % device for p in DEVICE_PREFIXES]
    return [loader, "--prefix=/net/"]


def run_real_loader(argv_prefix, loader, device=None, timeout=60):
    """Run systemd-sysctl behind argv_prefix (e.g. ``ip netns exec NS``); returns the
    CompletedProcess. Its debug log names every key it sets. A non-zero exit only means some
    write failed (a key absent in the namespace, a refused value), as at a real boot."""
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="debug", SYSTEMD_LOG_TARGET="console")
    return subprocess.run(argv_prefix + real_loader_argv(loader, device), env=env, timeout=timeout,  # pylint: disable=subprocess-run-check
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False)


# --------------------------------------------------------------------------- corpus probe

def walk_net():
    values = {}
    for top, dirs, files in os.walk("/proc/sys/net"):
        dirs.sort()
        for name in files:
            path = os.path.join(top, name)
            try:
                with open(path) as handle:
                    values[path_to_key(path)] = normalize(handle.read())
            except OSError:
                continue
    return values


def _mount_tree(tree):
    """In a private mount namespace: make the four sysctl.d directories show tree's copies."""
    for directory in SYSCTL_DIRS:
        source = os.path.join(tree, directory.lstrip("/"))
        os.makedirs(source, exist_ok=True)
        if not os.path.isdir(directory):
            # Absent on this machine: a tmpfs over the parent (here only) makes room for it.
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", os.path.dirname(directory)], check=True)
            os.makedirs(directory)
        subprocess.run(["mount", "--bind", source, directory], check=True)


def probe(tree, loader):
    """Run inside ``unshare --net --mount``: show tree as the sysctl.d dirs, boot with loader
    ("real" or "emulation") and return net.* values before and after."""
    _mount_tree(tree)
    before = walk_net()
    log = ""
    if loader == "real":
        proc = run_real_loader([], systemd_sysctl())
        log = proc.stderr + proc.stdout
    else:
        report = apply_assignments(boot_assignments())
        log = "\n".join("%s = %s (%s) %s" % row for row in report)
    return {"before": before, "after": walk_net(), "log": log}


def probe_in_fresh_namespace(tree, loader, python=sys.executable, timeout=120):
    """probe() in a new network and mount namespace (root only); returns its result."""
    argv = ["unshare", "--net", "--mount", "--propagation", "private", "--",
            python, os.path.abspath(__file__), "probe", os.path.abspath(tree), loader]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,  # pylint: disable=subprocess-run-check
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s: rc=%d: %s" % (" ".join(argv), proc.returncode, proc.stderr.strip()))
    return json.loads(proc.stdout)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "probe":
        print(json.dumps(probe(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    sys.stderr.write("usage: sysctl_boot.py probe TREE real|emulation\n")
    sys.exit(2)
