"""VM tier: real ansible-playbook runs over SSH against Debian 12 virtual machines.

Run with ``make test-vm`` (as root). The session boots two VMs (tests/vm/vm.py) from a cached
mmdebstrap image (tests/vm/image.py; built on first use: 28 s on an idle 2-core machine, under
4 minutes on a loaded one) and keeps them for every test; tests that need the namespace fleet
too get it from the ``fleet`` fixture (tests/integration/conftest.py's fixture, size 2,
NETFLEET_FLEET_ID). Three boot rounds in all: both VMs at once (about 30 s), both rebooted at
once, vm1 rebooted once more. The whole tier took 4 min 7 s cold (image built) and 4 min 19 s
to 5 min 28 s warm here.

    vm1   tuning with machine-wide keys, real reboots, removal        (test_reboot_restores.py)
    vm2   shadowing and masking predicted by sysctl_check vs a boot   (test_boot_precedence.py)
          (both prepared in scenarios.py and rebooted together by ``first_reboot``)
    both  the kernel's own boot values (``vms.fresh``) vs kernel_defaults and the rules
          (test_kernel_defaults.py); the audit with namespace hosts (test_audit_mixed.py)

Fixture ``vms`` (session): the VMSet of vm.py plus
    vms.fresh[name]    {key: value} of every sysctl right after the first boot, before any test
    vms.playbook(path_or_text, extra_vars=None, check=False, limit=None, inventory=None) -> Run
    vms.sysctl(name, key) -> str                 live value read over SSH, whitespace collapsed
    vms.sysctls(name, keys) -> {key: str}        many at once, in one SSH command
    vms.ssh(name, command, check=True) -> CompletedProcess
    vms.reboot(names)                            real reboot; waits for SSH in the new boot

When qemu cannot start a VM (or the machine lacks root, qemu or mmdebstrap) every test skips
with the reason; under CI=true that is a failure. SIGTERM/SIGHUP end the session the way Ctrl-C
does, so the VMs and their run directory are always removed; at the end the session fails if
anything of it remains (leftovers.py) and prints the wall time of every playbook and reboot.
"""

import contextlib
import json
import os
import shlex
import signal
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
for path in (HERE, INTEGRATION):
    if path not in sys.path:
        sys.path.insert(0, path)

import leftovers  # noqa: E402
import vm as vm_mod  # noqa: E402
from harness import FleetSession, load_fleet_module  # noqa: E402

CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
NAMES = ("vm1", "vm2")
# Ansible's connection timeout for guests running under software emulation.
VM_ENV = {"ANSIBLE_TIMEOUT": "120"}
_REASON = []
_VMSETS = []  # every VMSet of the session, for the leftover check at its end
_TAPS_BEFORE = []


def _interrupt(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def pytest_configure(config):
    config.addinivalue_line("markers", "vm: runs against the VM tier's virtual machines")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    _TAPS_BEFORE[:] = sorted(leftovers.taps())


def pytest_sessionfinish(session, exitstatus):
    """After the VMs and the namespace fleet are gone: nothing of theirs may remain (qemu,
    run directory and overlays, bridge, veths, namespaces, taps); a leftover fails the run."""
    if not _VMSETS:
        return
    for vmset in _VMSETS:
        sys.stderr.write("\nVM tier: timings (seconds; boots as [vm, wall, qemu CPU so far]) %s\n"
                         % json.dumps(vmset.timings, sort_keys=True))
    found = leftovers.find(_VMSETS, os.environ.get("NETFLEET_FLEET_ID", "0"), _TAPS_BEFORE)
    if found:
        sys.stderr.write("\nVM tier: left behind:\n  %s\n" % "\n  ".join(found))
        session.exitstatus = 1
    else:
        sys.stderr.write("\nVM tier: nothing left behind (no qemu of the session, no run directory or "
                         "overlay outside the image cache, no tap, bridge, veth or namespace of fleet %s)\n"
                         % os.environ.get("NETFLEET_FLEET_ID", "0"))


def _unavailable_reason():
    if not _REASON:
        reason = vm_mod.preflight() or load_fleet_module().preflight()
        _REASON.append(reason)
    return _REASON[0]


# Modules in the order they run: kernel_defaults first, while both VMs still hold the values
# they booted with; the shared reboot later.
ORDER = ("test_kernel_defaults.py", "test_audit_mixed.py", "test_boot_precedence.py", "test_reboot_restores.py")


def _rank(item):
    name = os.path.basename(str(item.path))
    return ORDER.index(name) if name in ORDER else len(ORDER)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    ours = [i for i, item in enumerate(items) if str(item.path).startswith(HERE + os.sep)]
    for index, item in zip(ours, sorted((items[i] for i in ours), key=_rank)):  # stable sort
        items[index] = item
    for item in items:
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(pytest.mark.vm)
            reason = _unavailable_reason()
            if reason:
                item.add_marker(pytest.mark.skip(reason="VM tier unavailable: %s" % reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a VM test that skips has failed: CI must prove them."""
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = "CI=true: VM tests must run, not skip: %s" % message


READ_ALL = ("python3 -c 'import json, os\n"
            "v = {}\n"
            "for top, dirs, files in os.walk(\"/proc/sys\"):\n"
            "    for f in files:\n"
            "        p = os.path.join(top, f)\n"
            "        try:\n"
            "            v[p[10:].replace(\".\", \"\\0\").replace(\"/\", \".\").replace(\"\\0\", \"/\")] = "
            "\" \".join(open(p).read().split())\n"
            "        except OSError:\n"
            "            pass\n"
            "print(json.dumps(v))'")


class VMSession:
    """The VMSet plus the helpers tests use (see the module docstring)."""

    def __init__(self, vmset, runner):
        self.set = vmset
        self.runner = runner  # a FleetSession: its ansible harness, with the VMs' inventory
        self.fresh = {}
        self.names = [vm.name for vm in vmset.vms]
        self.kernel_release = vmset.manifest.get("kernel_release")

    def ssh(self, name, command, check=True, timeout=120):
        return self.set.ssh(name, command, check=check, timeout=timeout)

    def sysctl(self, name, key):
        return self.sysctls(name, [key])[key]

    def sysctls(self, name, keys):
        """{key: live value} for many keys in one command (the shell's read: no process per key)."""
        keys = list(keys)
        paths = ["/proc/sys/" + key.replace("/", "\0").replace(".", "/").replace("\0", ".") for key in keys]
        command = "for f in %s; do v=; read -r v < \"$f\"; printf '%%s\\n' \"$v\"; done" % " ".join(
            shlex.quote(path) for path in paths)
        lines = self.ssh(name, command).stdout.split("\n")
        return dict((key, " ".join(line.split())) for key, line in zip(keys, lines))

    def read_all(self, name):
        return json.loads(self.ssh(name, READ_ALL).stdout)

    def reboot(self, names):
        with self.phase("reboot %s" % (names if isinstance(names, str) else "+".join(names))):
            self.set.reboot(names)

    @contextlib.contextmanager
    def phase(self, name):
        """Record the wall time of a step in the session's timings (printed at the end)."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.set.timings.setdefault("phases", []).append((name, round(time.monotonic() - started, 1)))

    def inventory(self, host_vars=None):
        """The VMs' inventory (INI text), with extra variables per host when given."""
        return self.set.inventory_text(host_vars)

    def playbook(self, playbook, extra_vars=None, check=False, diff=False, limit=None, inventory=None):
        name = playbook if "\n" not in playbook else "inline playbook"
        with self.phase("playbook %s%s" % (name, " (check)" if check else "")):
            return self.runner.playbook(playbook, extra_vars=extra_vars, check=check, diff=diff, limit=limit,
                                        env=VM_ENV, inventory=inventory or self.inventory())

    def adhoc(self, pattern, module, args=None, inventory=None):
        return self.runner.adhoc(pattern, module, args=args, env=VM_ENV, inventory=inventory or self.inventory())


@pytest.fixture(scope="session")
def fleet():
    """The namespace fleet (2 hosts) for tests that mix VMs and namespace hosts."""
    session = FleetSession(os.environ.get("NETFLEET_FLEET_ID", "0"), 2)
    try:
        session.start()
    except Exception:
        session.stop()
        raise
    yield session
    session.stop()


@pytest.fixture(scope="session")
def vms(fleet):
    reason = _unavailable_reason()
    if reason:
        pytest.skip("VM tier unavailable: %s" % reason)
    vmset = vm_mod.VMSet(NAMES)
    _VMSETS.append(vmset)
    try:
        try:
            vmset.start()
        except (vm_mod.VMError, vm_mod.image.ImageError) as exc:
            message = "VM tier: qemu could not start a VM here: %s" % exc
            if CI:
                pytest.fail(message)
            pytest.skip(message)
        session = VMSession(vmset, fleet)
        for name in session.names:
            session.fresh[name] = session.read_all(name)
        sys.stderr.write("\nVM tier: image %s (kernel %s), accel %s, timings %s\n" % (
            vmset.manifest.get("recipe"), session.kernel_release, vmset.accel, vmset.timings))
        yield session
    finally:
        vmset.stop()
        sys.stderr.write("\nVM tier: timings %s\n" % vmset.timings)


@pytest.fixture(scope="session")
def first_reboot(vms):
    """vm1 tuned and vm2's precedence scenario prepared (scenarios.py), then both rebooted at
    once: one boot wait instead of two."""
    import scenarios
    run = scenarios.tune_both(vms)
    state = {"tuning": scenarios.apply_tuning(vms, run), "precedence": scenarios.prepare_precedence(vms)}
    vms.reboot(["vm1", "vm2"])
    return state  # no clean-up: the VMs' overlays are thrown away at the end
