"""What a VM tier session must not leave behind, looked for after its VMs and fleet are gone.

``find(vmsets, fleet_id, taps_before)`` returns one line per leftover, empty when clean:

* a qemu process of the session still running (by pid, and any qemu whose command line
  names one of the session's run directories);
* a run directory (overlays, console logs, inventory) still on disk, or a disk overlay of
  the session outside the image cache;
* a network interface of the session's namespace fleet (bridge nfbr<id>, veths nfv<id>-*),
  a network namespace nf<id>-*, or a tap device that was not there when the session began
  (the VMs use qemu's user networking, which makes none).
"""

import os


def _processes():
    """{pid: command line} of every process, read from /proc."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as handle:
                found[int(name)] = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
    return found


def taps():
    """Names of the tap (and qemu-created) interfaces on this machine now."""
    try:
        names = os.listdir("/sys/class/net")
    except OSError:
        return set()
    return set(name for name in names if os.path.exists("/sys/class/net/%s/tun_flags" % name))


def _fleet_leftovers(fleet_id):
    lines = []
    prefixes = ("nfbr%s" % fleet_id, "nfv%s-" % fleet_id)
    for name in sorted(os.listdir("/sys/class/net")):
        if name == prefixes[0] or name.startswith(prefixes[1]):
            lines.append("network interface %s of fleet %s" % (name, fleet_id))
    netns = "/run/netns"
    for name in sorted(os.listdir(netns)) if os.path.isdir(netns) else []:
        if name.startswith("nf%s-" % fleet_id):
            lines.append("network namespace %s of fleet %s" % (name, fleet_id))
    return lines


def find(vmsets, fleet_id, taps_before):
    lines = []
    processes = _processes()
    for vmset in vmsets:
        for vm in vmset.vms:
            pid = vm.proc.pid if vm.proc else None
            if pid in processes and vm.proc.poll() is None:
                lines.append("qemu of %s (pid %d) still runs" % (vm.name, pid))
        for pid, command in sorted(processes.items()):
            if "qemu-system" in command and vmset.run_dir in command:
                lines.append("qemu pid %d still runs on %s" % (pid, vmset.run_dir))
        if os.path.exists(vmset.run_dir):
            lines.append("run directory %s is still there: %s" % (vmset.run_dir, sorted(os.listdir(vmset.run_dir))))
    lines += _fleet_leftovers(fleet_id)
    for name in sorted(taps() - set(taps_before)):
        lines.append("tap device %s appeared during the session" % name)
    return sorted(set(lines))
