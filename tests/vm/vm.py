"""Virtual machines for the VM tier: Debian 12 guests under qemu, reachable over SSH on 127.0.0.1.

    python3 tests/vm/vm.py probe          say whether qemu can start a VM here, and why not
    python3 tests/vm/vm.py up [N]         build/reuse the image, boot N VMs, print the inventory,
                                          wait for Enter (or a signal), tear everything down

Each VM runs on a qcow2 overlay of the cached image (image.py), so the image stays pristine, with
the kernel booted directly (no boot loader, no initramfs). Network: qemu user networking with ``restrict=on`` (the
guest reaches nothing outside; no tap, no bridge, no route) and the guest's port 22 forwarded to a
free port on 127.0.0.1. Root logs in with the image's key (image.py). ``reboot`` is a real
one: ``systemctl reboot`` in the guest, qemu resets the machine and boots the same kernel again.

Acceleration: software emulation (TCG). /dev/kvm is only used when NETFLEET_VM_ACCEL=kvm or
=auto and a probe boot shows the kernel gets going under it (it hangs on nested hosts).

Everything a run creates (overlays, console logs, inventory) lives in a run directory
``<cache>/run-<pid>`` removed by ``VMSet.stop()``; qemu gets SIGKILL if its parent dies, and a
later run removes run directories whose process is gone.
"""

from __future__ import annotations

import ctypes
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import threading
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import image  # noqa: E402  pylint: disable=wrong-import-position

QEMU = "qemu-system-x86_64"
MEMORY_MB = int(os.environ.get("NETFLEET_VM_MEMORY", "384"))
BOOT_TIMEOUT = int(os.environ.get("NETFLEET_VM_BOOT_TIMEOUT", "900"))
WAIT_ATTEMPT = 20  # seconds one SSH attempt may take while waiting for a boot
# The kernel mounts the root itself (NVMe and ext4 are built in; no initramfs); every option
# after the first line saves probing or checking that costs seconds under emulation.
CMDLINE = ("root=/dev/nvme0n1 rootfstype=ext4 rootwait rw console=ttyS0 quiet loglevel=3 "
           "systemd.show_status=false mitigations=off fsck.mode=skip audit=0 raid=noautodetect "
           "tsc=reliable no_timer_check cryptomgr.notests random.trust_cpu=on "
           "i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd")
# NETFLEET_VM_CONSOLE=verbose: systemd's unit status lines on the console (<run dir>/<vm>-console.log).
if os.environ.get("NETFLEET_VM_CONSOLE") == "verbose":
    CMDLINE = CMDLINE.replace("quiet loglevel=3 systemd.show_status=false", "ignore_loglevel systemd.show_status=true")
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=60",
               "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=6"]
PR_SET_PDEATHSIG = 1


class VMError(Exception):
    """A VM could not be started or reached; the message says why."""


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()  # Ctrl-C in the terminal goes to the test run, which stops qemu itself


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def preflight():
    """One-line reason this machine cannot run the VM tier, or None."""
    if os.geteuid() != 0:
        return "the VM tier needs root (mmdebstrap builds the image)"
    for tool in (QEMU, "qemu-img", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return "%s is not installed (make deps installs qemu-system-x86 and qemu-utils)" % tool
    missing = image.missing_tools()
    if missing:
        return "%s not installed (make deps installs mmdebstrap)" % ", ".join(missing)
    return None


def remove_stale_runs(cache):
    """Run directories of runs whose process is gone (killed with no chance to clean up)."""
    for name in os.listdir(cache) if os.path.isdir(cache) else []:
        if not name.startswith("run-"):
            continue
        pid = name[len("run-"):]
        if pid.isdigit() and not os.path.exists("/proc/%s" % pid):
            shutil.rmtree(os.path.join(cache, name), ignore_errors=True)


def kvm_boots(image_dir, timeout=20):
    """Whether the image's kernel starts under KVM here: it must print its first lines."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    argv = [QEMU, "-machine", "accel=kvm", "-cpu", "host", "-m", "256", "-nodefaults",
            "-display", "none", "-no-reboot", "-serial", "stdio",
            "-kernel", os.path.join(image_dir, "vmlinuz"), "-append", "console=ttyS0 panic=-1"]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout,  # pylint: disable=subprocess-run-check
                              check=False)
        output = proc.stdout
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout or b""
    return b"Linux version" in output


class VM:
    def __init__(self, vmset, name, index):
        self.name, self.index = name, index
        self.port = None
        self.overlay = os.path.join(vmset.run_dir, "%s.qcow2" % name)
        self.console = os.path.join(vmset.run_dir, "%s-console.log" % name)
        self.proc = None
        self.boots = 0

    def cpu_seconds(self):
        """CPU time qemu has used so far: what the guest cost, whatever else loads the machine."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return None
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)

    def console_tail(self, size=3000):
        try:
            with open(self.console, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - size))
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return "(no console log)"


class VMSet:
    """Some VMs for one test session; ``start()`` boots them, ``stop()`` removes every trace."""

    def __init__(self, names=("vm1", "vm2"), cache=None, accel=None):
        self.cache = cache or os.environ.get("NETFLEET_VM_CACHE") or image.DEFAULT_CACHE
        self.run_dir = os.path.join(self.cache, "run-%d" % os.getpid())
        self.accel = accel or os.environ.get("NETFLEET_VM_ACCEL", "tcg")
        self.vms = [VM(self, name, i) for i, name in enumerate(names)]
        self.key = None
        self.inventory = os.path.join(self.run_dir, "inventory.ini")
        self.image_dir = None
        self.manifest = {}
        self.timings = {}
        self.stopping = threading.Event()  # set on an interrupt: boot waits in threads give up

    def vm(self, name):
        for vm in self.vms:
            if vm.name == name:
                return vm
        raise KeyError(name)

    # ----------------------------------------------------------------- lifecycle

    def start(self, log=sys.stderr):
        started = time.monotonic()
        self.image_dir = image.ensure_image(self.cache, log_stream=log)
        self.timings["image"] = time.monotonic() - started
        with open(os.path.join(self.image_dir, "manifest.json")) as handle:
            self.manifest = json.load(handle)
        remove_stale_runs(self.cache)
        os.makedirs(self.run_dir)
        self.key = os.path.join(self.image_dir, "id_ed25519")
        if self.accel == "auto":
            self.accel = "kvm" if kvm_boots(self.image_dir) else "tcg"
        boot_started = time.monotonic()
        for vm in self.vms:  # from this thread: PDEATHSIG follows the thread that forks
            self._launch(vm)
        self._in_parallel(self.wait_ssh, self.vms)
        self.timings["first_boot"] = time.monotonic() - boot_started
        self._write_inventory()
        return self

    def _launch(self, vm):
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        os.path.join(self.image_dir, "rootfs.qcow2"), vm.overlay], check=True)
        vm.port = _free_port()
        accel = ["-machine", "q35,accel=kvm", "-cpu", "host"] if self.accel == "kvm" else \
            ["-machine", "q35,accel=tcg", "-cpu", "max"]  # with RDRAND: random.trust_cpu seeds at once
        argv = [QEMU] + accel + [
            "-smp", "1", "-m", str(MEMORY_MB), "-nodefaults", "-display", "none",
            "-serial", "file:" + vm.console, "-monitor", "none",
            "-kernel", os.path.join(self.image_dir, "vmlinuz"),
            "-append", "%s systemd.hostname=%s" % (CMDLINE, vm.name),
            "-drive", "file=%s,if=none,id=root,format=qcow2,discard=unmap" % vm.overlay,
            "-device", "nvme,drive=root,serial=netfleet-root",
            "-netdev", "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:22" % vm.port,
            "-device", "virtio-net-pci,netdev=net0",
        ]
        with open(os.path.join(self.run_dir, "%s-qemu.log" % vm.name), "w") as errors:
            vm.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                       stderr=errors, preexec_fn=_die_with_parent, close_fds=True)

    def stop(self):
        """Stop every qemu and remove the run directory (overlays, logs). Signals wait until
        this is done, so a second Ctrl-C or SIGTERM cannot leave half of it behind."""
        blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            self._stop()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _stop(self):
        for vm in self.vms:
            self.close_ssh(vm)
            if vm.proc and vm.proc.poll() is None:
                vm.proc.kill()
        for vm in self.vms:
            if vm.proc:
                try:
                    vm.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
        keep = os.environ.get("NETFLEET_VM_KEEP_CONSOLES")  # a directory for the console logs
        if keep:
            os.makedirs(keep, exist_ok=True)
            for vm in self.vms:
                if os.path.exists(vm.console):
                    shutil.copy(vm.console, keep)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def qemu_failure(self, vm):
        """Why qemu is not running, or None while it runs."""
        if vm.proc is None or vm.proc.poll() is None:
            return None
        try:
            with open(os.path.join(self.run_dir, "%s-qemu.log" % vm.name)) as handle:
                detail = handle.read().strip()
        except OSError:
            detail = ""
        return "qemu for %s exited with %s: %s" % (vm.name, vm.proc.returncode, detail or "(no message)")

    # ----------------------------------------------------------------- access

    def control_path(self, vm):
        return os.path.join(self.run_dir, "ssh-%s" % vm.name)

    def ssh_argv(self, vm, command):
        """One SSH connection per VM and boot carries every command (a handshake costs seconds
        under emulation); ``reboot`` closes it, so no command waits on a connection to a
        machine that is gone."""
        shared = ["-o", "ControlMaster=no", "-o", "ControlPath=%s" % self.control_path(vm)]
        return ["ssh"] + SSH_OPTIONS + shared + ["-i", self.key, "-p", str(vm.port), "root@127.0.0.1", command]

    def open_ssh(self, vm):
        """The shared connection: a background master (-f) with no pipe of ours, so no caller
        waits on it; commands without it (socket absent) connect on their own."""
        self.close_ssh(vm)
        argv = ["ssh"] + SSH_OPTIONS + [
            "-o", "ControlMaster=yes", "-o", "ControlPersist=yes", "-o", "ControlPath=%s" % self.control_path(vm),
            "-i", self.key, "-p", str(vm.port), "-N", "-f", "root@127.0.0.1"]
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120, check=False)

    def close_ssh(self, vm):
        if os.path.exists(self.control_path(vm)):
            subprocess.run(["ssh", "-o", "ControlPath=%s" % self.control_path(vm), "-O", "exit", "x"],  # pylint: disable=subprocess-run-check
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)

    def ssh(self, vm, command, check=True, timeout=120):
        vm = self.vm(vm) if isinstance(vm, str) else vm
        proc = subprocess.run(self.ssh_argv(vm, command), stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # pylint: disable=subprocess-run-check
                              universal_newlines=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        if check and proc.returncode != 0:
            raise VMError("%s: %r failed (rc=%d): %s" % (vm.name, command, proc.returncode,
                                                         (proc.stderr or proc.stdout).strip()))
        return proc

    def boot_id(self, vm, timeout=90):
        try:
            proc = self.ssh(vm, "cat /proc/sys/kernel/random/boot_id", check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    def wait_ssh(self, vm, not_boot_id=None, timeout=BOOT_TIMEOUT):
        """Wait until the VM answers over SSH (in a boot other than not_boot_id)."""
        started = time.monotonic()
        attempts = 0
        while True:
            if self.stopping.is_set():
                raise VMError("%s: no longer waited for (the session is ending)" % vm.name)
            failure = self.qemu_failure(vm)
            if failure:
                raise VMError(failure)
            # A short limit per attempt: while the guest is down, qemu accepts the connection
            # and the client would wait for a banner that a later attempt gets at once.
            boot_id = self.boot_id(vm, timeout=WAIT_ATTEMPT)
            attempts += 1
            if boot_id and boot_id != not_boot_id:
                self.open_ssh(vm)
                vm.boots += 1
                self.timings.setdefault("boots", []).append(
                    (vm.name, round(time.monotonic() - started, 1), vm.cpu_seconds(), attempts))
                return boot_id
            if time.monotonic() - started > timeout:
                raise VMError("%s did not answer SSH on 127.0.0.1:%d within %ds; console:\n%s"
                              % (vm.name, vm.port, timeout, vm.console_tail()))
            self.stopping.wait(3)

    def reboot(self, names):
        """Reboot the VMs for real (systemctl reboot inside; qemu resets) and wait for them."""
        vms = [self.vm(n) if isinstance(n, str) else n for n in ([names] if isinstance(names, str) else names)]
        before = {}
        for vm in vms:
            before[vm.name] = self._current_boot_id(vm)
            self.timings.setdefault("cpu_before_reboot", []).append((vm.name, vm.cpu_seconds()))
            self._schedule_reboot(vm)
            self.close_ssh(vm)
        self._in_parallel(lambda v: self.wait_ssh(v, not_boot_id=before[v.name]), vms)

    def _in_parallel(self, function, vms):
        """function(vm) for every VM in threads; on an interrupt (Ctrl-C, SIGTERM) the threads
        stop waiting at once, so the VMs can be torn down without waiting for a boot timeout."""
        pool = ThreadPoolExecutor(max_workers=len(vms))
        try:
            list(pool.map(function, vms))
        except BaseException:
            self.stopping.set()
            raise
        finally:
            pool.shutdown(wait=True)

    def inventory_text(self, host_vars=None):
        """INI inventory of the VMs (group ``vms``); host_vars: {name: {variable: value}}."""
        lines = ["# VM tier (tests/vm/vm.py): Debian 12 guests on 127.0.0.1", "[vms]"]
        for vm in self.vms:
            words = ["%s ansible_host=127.0.0.1 ansible_port=%d" % (vm.name, vm.port)]
            for key, value in sorted((host_vars or {}).get(vm.name, {}).items()):
                text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
                words.append("%s=%s" % (key, shlex.quote(text)))
            lines.append(" ".join(words))
        lines += ["", "[vms:vars]", "ansible_user=root",
                  "ansible_ssh_private_key_file=%s" % self.key,
                  "ansible_python_interpreter=/usr/bin/python3",
                  "ansible_ssh_common_args='%s'" % " ".join(SSH_OPTIONS[:6]), ""]
        return "\n".join(lines)

    def _current_boot_id(self, vm, attempts=5):
        for _attempt in range(attempts):
            boot_id = self.boot_id(vm)
            if boot_id:
                return boot_id
            time.sleep(3)
        raise VMError("%s: no answer over SSH before its reboot" % vm.name)

    def _schedule_reboot(self, vm, attempts=5):
        """Have systemd reboot the guest two seconds from now. A transient timer, so the command
        returns (and its exit status can be trusted) before the connection goes down; retried
        when SSH itself fails (an overloaded guest can miss the handshake)."""
        command = "systemd-run --quiet --on-active=2 /bin/systemctl reboot"
        for _attempt in range(attempts):
            try:
                proc = self.ssh(vm, command, check=False, timeout=180)
            except subprocess.TimeoutExpired:
                continue
            if proc.returncode == 0:
                return
            if proc.returncode != 255:
                raise VMError("%s: %r failed (rc=%d): %s" % (vm.name, command, proc.returncode,
                                                             (proc.stderr or proc.stdout).strip()))
        raise VMError("%s: could not ask for a reboot over SSH in %d attempts" % (vm.name, attempts))

    def _write_inventory(self):
        with open(self.inventory, "w") as handle:
            handle.write(self.inventory_text())


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["probe"]:
        reason = preflight()
        print(reason or "ok")
        return 1 if reason else 0
    if argv[:1] == ["up"]:
        count = int(argv[1]) if len(argv) > 1 else 2
        vms = VMSet(["vm%d" % (i + 1) for i in range(count)])
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        try:
            vms.start()
            print(vms.inventory_text())
            print("timings: %s" % json.dumps(vms.timings))
            sys.stdin.readline()
        finally:
            vms.stop()
        return 0
    sys.stderr.write("usage: vm.py probe | up [N]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
