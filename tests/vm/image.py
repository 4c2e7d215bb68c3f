"""The VM tier's disk image: a small Debian 12 (bookworm) system built with mmdebstrap.

    python3 tests/vm/image.py [--cache DIR] [--force]     build (or reuse) and print the image dir

Contents: Debian's cloud kernel (linux-image-cloud-amd64, 6.1), systemd (PID 1, systemd-sysctl),
openssh-server, python3, procps, iproute2 and kmod; nothing else (mmdebstrap's ``essential``
variant, no Recommends, no apt, no udev, no documentation, manual pages or translations).
Software emulation makes every process start and every byte read expensive, so the boot is
cut to what the tests need:

* no initramfs: the cloud kernel has NVMe built in (CONFIG_BLK_DEV_NVME=y) and ext4 too, so
  the root disk is an NVMe drive the kernel mounts itself (the initramfs Debian's kernel
  package wants is made by tiny-initramfs, which is fast, and never used);
* no udev: the one NIC's drivers (virtio_pci, virtio_net) are loaded by the unit that gives
  eth0 qemu's user-network address 10.0.2.15 (static: no DHCP exchange, no network daemon);
* no journald, getty, logind, timers, tmpfiles or random-seed: every unit that only costs boot
  time is masked (never systemd-sysctl.service).

No password anywhere: root logs in with a key pair made for this image, whose private half
stays in the image directory (root only).

The image lives outside the checkout, in ``$NETFLEET_VM_CACHE`` (default /var/cache/netfleet-tcp/vm),
in a directory named after a checksum of its recipe (this file): editing the recipe builds a new
image and the old one is removed once the new one is complete. Each image directory holds
``rootfs.qcow2`` (ext4 on the whole disk), ``vmlinuz``, ``id_ed25519`` (root's key) and
``manifest.json``. VMs never write to it: they run on copy-on-write overlays (vm.py). The
packages downloaded are kept in ``<cache>/debs`` for the next recipe.

Stdlib only; needs root, mmdebstrap, mke2fs (e2fsprogs) and qemu-img.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("systemd", "systemd-sysv", "openssh-server", "python3", "procps", "iproute2", "kmod",
            "linux-image-cloud-amd64", "tiny-initramfs")
# Left out of every package as dpkg unpacks it.
EXCLUDED_PATHS = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*",
                  "/usr/share/lintian/*", "/usr/share/zoneinfo/*", "/usr/share/i18n/*")
DISK_SIZE = "1G"
DEFAULT_CACHE = "/var/cache/netfleet-tcp/vm"
TOOLS = ("mmdebstrap", "mke2fs", "qemu-img", "chroot", "ssh-keygen")

# qemu's user network always gives the guest 10.0.2.15/24. With no udev, this unit loads the
# NIC's drivers itself; the kernel names the one NIC eth0.
NETWORK_SERVICE = """\
[Unit]
Description=qemu user-network address on eth0
DefaultDependencies=no
After=local-fs.target
Before=network.target ssh.service
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/modprobe -a virtio_pci virtio_net
ExecStart=/bin/sh -c 'for i in $(seq 100); do [ -e /sys/class/net/eth0 ] && exit 0; sleep 0.1; done; exit 1'
ExecStart=/sbin/ip link set lo up
ExecStart=/sbin/ip link set eth0 up
ExecStart=/sbin/ip addr replace 10.0.2.15/24 dev eth0
ExecStart=/sbin/ip route replace default via 10.0.2.2

[Install]
WantedBy=multi-user.target
"""

SSHD_CONFIG = """\
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
"""

# Units that only cost boot time in a throw-away test VM (never systemd-sysctl.service).
MASKED_UNITS = (
    "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service",
    "fstrim.timer", "dpkg-db-backup.timer", "systemd-tmpfiles-clean.timer",
    "getty@tty1.service", "serial-getty@ttyS0.service", "getty-static.service", "getty.target",
    "systemd-timesyncd.service", "systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount",
    "modprobe@dm_mod.service", "modprobe@loop.service", "modprobe@fuse.service",
    "modprobe@efi_pstore.service", "modprobe@configfs.service", "modprobe@drm.service",
    "sys-kernel-tracing.mount", "sys-kernel-debug.mount", "sys-kernel-config.mount",
    "sys-fs-fuse-connections.mount", "dev-hugepages.mount", "dev-mqueue.mount",
    "systemd-pstore.service", "systemd-firstboot.service", "systemd-sysusers.service",
    "systemd-update-utmp.service", "systemd-update-utmp-runlevel.service", "systemd-logind.service",
    "ldconfig.service", "systemd-hwdb-update.service", "systemd-journal-catalog-update.service",
    "systemd-update-done.service", "systemd-fsck-root.service", "systemd-remount-fs.service",
    "systemd-tmpfiles-setup-dev.service", "systemd-tmpfiles-setup.service", "kmod-static-nodes.service",
    "systemd-random-seed.service", "systemd-modules-load.service", "systemd-user-sessions.service",
    "systemd-boot-system-token.service", "systemd-machine-id-commit.service",
    # No journal: services log nowhere (the console holds the kernel's and PID 1's lines).
    "systemd-journald.service", "systemd-journald.socket", "systemd-journald-dev-log.socket",
    "systemd-journald-audit.socket", "systemd-journal-flush.service",
    "systemd-networkd.service", "systemd-networkd.socket", "systemd-networkd-wait-online.service",
)
# Debian's ssh.service runs 'sshd -t' first: a second sshd start per boot, dropped here.
SSH_DROPIN = "[Service]\nExecStartPre=\n"


class ImageError(Exception):
    """The image cannot be built here; the message says why."""


def recipe_key():
    """Checksum of everything that decides the image's contents: this file."""
    with open(os.path.abspath(__file__), "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def missing_tools():
    return [tool for tool in TOOLS if shutil.which(tool) is None
            and not os.path.exists(os.path.join("/usr/sbin", tool))]


def _run(argv, log, timeout=3600, env=None):
    log.write("+ %s\n" % " ".join(argv))
    log.flush()
    proc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, env=env,  # pylint: disable=subprocess-run-check
                          check=False)
    if proc.returncode != 0:
        raise ImageError("%s failed (rc=%d); see %s" % (argv[0], proc.returncode, log.name))


def _write(root, path, text, mode=0o644):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)
    os.chmod(full, mode)


def _configure(root, key, log):
    _write(root, "/etc/hostname", "netfleet-vm\n")
    _write(root, "/etc/hosts", "127.0.0.1 localhost\n")
    _write(root, "/etc/fstab", "# root: the NVMe disk, mounted read-write by the kernel (root=... rw)\n")
    _write(root, "/etc/systemd/system/netfleet-net.service", NETWORK_SERVICE)
    _write(root, "/etc/systemd/system/ssh.service.d/netfleet.conf", SSH_DROPIN)
    with open(key + ".pub") as handle:
        _write(root, "/root/.ssh/authorized_keys", handle.read(), 0o600)
    os.chmod(os.path.join(root, "root/.ssh"), 0o700)
    _write(root, "/etc/ssh/sshd_config.d/netfleet.conf", SSHD_CONFIG)
    env = dict(os.environ, LANG="C.UTF-8")
    env.pop("PYTHONPATH", None)
    _run(["chroot", root, "systemctl", "enable", "netfleet-net.service", "ssh.service"], log, env=env)
    _run(["chroot", root, "systemctl", "mask"] + list(MASKED_UNITS), log, env=env)
    for junk in glob.glob(os.path.join(root, "var/cache/apt/archives/*.deb")) + \
            glob.glob(os.path.join(root, "var/lib/apt/lists/*_Packages")) + \
            glob.glob(os.path.join(root, "boot/initrd.img-*")):
        os.unlink(junk)
    # Every VM gets its own machine-id at boot (an empty file = "not yet initialised").
    _write(root, "/etc/machine-id", "")


def _kernel_file(root):
    kernels = sorted(glob.glob(os.path.join(root, "boot", "vmlinuz-*")))
    if not kernels:
        raise ImageError("mmdebstrap left no kernel in %s/boot" % root)
    return kernels[-1]


def _bootstrap(root, debs, log):
    """mmdebstrap into root, with the downloaded packages kept in (and reused from) debs."""
    os.makedirs(debs, exist_ok=True)
    argv = ["mmdebstrap", "--mode=root", "--variant=essential", "--format=directory",
            "--include=" + ",".join(PACKAGES), "--aptopt=Acquire::Languages \"none\"",
            "--skip=essential/unlink",
            "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
            "--setup-hook=sync-in %s /var/cache/apt/archives/" % debs,
            "--customize-hook=sync-out /var/cache/apt/archives %s" % debs]
    argv += ["--dpkgopt=path-exclude=%s" % path for path in EXCLUDED_PATHS]
    env = dict(os.environ, LANG="C.UTF-8")
    env.pop("PYTHONPATH", None)
    _run(argv + [SUITE, root, MIRROR], log, env=env)


def build(target, debs, log):
    """Build the image into the (new, empty) directory target."""
    root = os.path.join(target, "root")
    phases = {}
    started = time.monotonic()
    _bootstrap(root, debs, log)
    phases["bootstrap"] = round(time.monotonic() - started, 1)
    key = os.path.join(target, "id_ed25519")
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netfleet-vm-tier", "-f", key], log)
    _configure(root, key, log)
    kernel = _kernel_file(root)
    shutil.copy(kernel, os.path.join(target, "vmlinuz"))
    phases["configure"] = round(time.monotonic() - started - phases["bootstrap"], 1)
    raw = os.path.join(target, "rootfs.raw")
    _run(["mke2fs", "-q", "-t", "ext4", "-L", "root", "-d", root, "-F", raw, DISK_SIZE], log)
    _run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw,
          os.path.join(target, "rootfs.qcow2")], log)
    os.unlink(raw)
    release = os.path.basename(kernel)[len("vmlinuz-"):]
    shutil.rmtree(root)
    phases["disk"] = round(time.monotonic() - started - phases["bootstrap"] - phases["configure"], 1)
    return {"suite": SUITE, "kernel_release": release, "packages": list(PACKAGES), "phases": phases,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def ensure_image(cache=None, force=False, log_stream=None):
    """Path of a complete image directory for the current recipe, building it when needed."""
    cache = cache or os.environ.get("NETFLEET_VM_CACHE") or DEFAULT_CACHE
    if os.geteuid() != 0:
        raise ImageError("building the VM image needs root (debootstrap, chroot)")
    missing = missing_tools()
    if missing:
        raise ImageError("missing %s (make deps installs qemu-utils, mmdebstrap, e2fsprogs)"
                         % ", ".join(missing))
    os.makedirs(cache, exist_ok=True)
    key = recipe_key()
    final = os.path.join(cache, key)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; waiters then reuse its result
        if force and os.path.isdir(final):
            shutil.rmtree(final)
        if os.path.isfile(os.path.join(final, "manifest.json")):
            return final
        work = os.path.join(cache, ".build-%s" % key)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        log_path = os.path.join(cache, "build-%s.log" % key)
        started = time.monotonic()
        try:
            with open(log_path, "w") as log:
                if log_stream:
                    log_stream.write("vm image: building %s (log %s)\n" % (key, log_path))
                manifest = build(work, os.path.join(cache, "debs"), log)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        manifest.update(recipe=key, build_seconds=round(time.monotonic() - started, 1))
        with open(os.path.join(work, "manifest.json"), "w") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True)
        os.rename(work, final)
        for old in os.listdir(cache):
            path = os.path.join(cache, old)
            if old != key and len(old) == len(key) and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)  # images of older recipes
            elif old.startswith("build-") and old != os.path.basename(log_path):
                os.unlink(path)
        return final


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    cache = None
    if "--cache" in argv:
        cache = argv[argv.index("--cache") + 1]
    try:
        path = ensure_image(cache, force="--force" in argv, log_stream=sys.stderr)
    except ImageError as exc:
        sys.stderr.write("image.py: %s\n" % exc)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
