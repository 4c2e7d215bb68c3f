"""The collection's knowledge of the kernel against a second real kernel: Debian 12's 6.1.

``vms.fresh`` holds every sysctl of the VMs as the kernel booted them, before any test touched
them. The kernel_defaults profile (rendered by the tcp_tuning role in check mode, so memory-derived
values are computed for the VM's own memory) must give exactly those values; the catalog's
version data must say which keys exist on 6.1; and the rules must not call any (non-empty)
boot value of 6.1 an error.

Keys where kernel_defaults is wrong for 6.1 are expected failures (strict: they turn into errors
once fixed), each naming the key and the reason, until kernel_defaults becomes version-aware.
"""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _profiles
from vm import MEMORY_MB

APPLY = "Apply the whole profile in one call"
HOST = "vm2"  # one VM is enough (both run the same kernel with the same memory); guests are slow
KERNEL_DEFAULTS_KEYS = sorted(entry["key"] for entry in _profiles.get_profile("kernel_defaults")["settings"])

# Where kernel_defaults does not give what a freshly booted 6.1 kernel holds, and why. All three
# are sized by Linux 6.1 at boot from the free buffer pages (nr_free_buffer_pages() in
# net/ipv4/tcp.c: tcp_init_mem() and tcp_init()), which kernel_defaults approximates with
# MemTotal; in a VM of a few hundred MiB the two differ by about 5%.
_FREE_PAGES = ("Linux 6.1 computes it at boot from nr_free_buffer_pages() (net/ipv4/tcp.c, %s), "
               "kernel_defaults from MemTotal, about 5%% more pages in this %d MiB VM: %s")
WRONG_ON_6_1 = {
    "net.ipv4.tcp_mem": _FREE_PAGES % (
        "tcp_init_mem: free pages / 16, then 3/4 and 3/2 of it", MEMORY_MB,
        "e.g. 4128 5504 8256 wanted, 3924 5232 7848 booted; the formula keeps a live value only within 2%"),
    "net.ipv4.tcp_rmem": _FREE_PAGES % (
        "tcp_init: max = min(6 MiB, free pages << (PAGE_SHIFT - 7))", MEMORY_MB,
        "the third value differs below the 6 MiB cap (2818112 wanted, 2678976 booted)"),
    "net.ipv4.tcp_wmem": _FREE_PAGES % (
        "tcp_init: max = min(4 MiB, free pages << (PAGE_SHIFT - 7))", MEMORY_MB,
        "the third value differs below the 4 MiB cap (2818112 wanted, 2678976 booted)"),
}


def _marks(key):
    if key in WRONG_ON_6_1:
        return [pytest.mark.xfail(strict=True, reason=WRONG_ON_6_1[key])]
    return []


@pytest.fixture(scope="module")
def rendered(vms):
    """kernel_defaults as the role would apply it on vm2 (check mode: nothing changes)."""
    run = vms.playbook("playbooks/tune.yml", check=True,
                       extra_vars={"tcp_tuning_hosts": HOST, "tcp_tuning_profile": "kernel_defaults"})
    assert run.rc == 0, run
    return run.results(APPLY)[HOST]


def test_the_vms_run_a_second_kernel(vms):
    release = vms.ssh("vm1", "uname -r").stdout.strip()
    assert release == vms.kernel_release and release.startswith("6.1.")


@pytest.mark.parametrize("key", [pytest.param(k, marks=_marks(k)) for k in KERNEL_DEFAULTS_KEYS])
def test_kernel_defaults_is_what_6_1_boots_with(vms, rendered, key):
    item = rendered["keys"][key]
    fresh = vms.fresh[HOST].get(key)
    if fresh is None:
        assert item["status"] == "skipped-missing", item
        return
    assert item["before"] == fresh, "%s changed since boot: not a fresh VM" % key
    assert item["after"] == fresh, "%s: kernel_defaults %s, booted with %s" % (key, item["after"], fresh)


# Keys a module registers exist once it is loaded, on any kernel version (the catalog's
# descriptions say so): nf_conntrack's net.netfilter.* keys. The boot loads no such module, so
# the existence check loads it on the VM for a moment and unloads it again.
MODULES = ("nf_conntrack",)


@pytest.fixture(scope="module")
def present(vms):
    """Every key of a fresh boot plus those of MODULES, read while they are loaded."""
    vms.ssh(HOST, "modprobe -a %s" % " ".join(MODULES))
    try:
        loaded = vms.ssh(HOST, "ls /proc/sys/net/netfilter").stdout.split()
    finally:
        vms.ssh(HOST, "modprobe -r -a %s" % " ".join(MODULES))
    return set(vms.fresh[HOST]) | set("net.netfilter." + name for name in loaded)


@pytest.mark.parametrize("key", _catalog.keys())
def test_catalog_knows_which_keys_exist_on_6_1(present, vms, key):
    expected = _catalog.exists_on_kernel(key, vms.kernel_release)
    assert expected is (key in present), "catalog says exists=%s on %s" % (expected, vms.kernel_release)


def test_rules_find_no_error_in_the_values_6_1_boots_with(vms):
    fresh = vms.fresh[HOST]
    # An empty boot value (ip_local_reserved_ports) is no setting anyone writes: left out.
    settings = dict((key, fresh[key]) for key in _catalog.keys() if fresh.get(key))
    run = vms.playbook(
        "- hosts: %s\n  gather_facts: false\n  tasks:\n"
        "    - name: Judge the boot values\n"
        "      netfleet.tcp.sysctl_check:\n"
        "        settings: \"{{ wanted }}\"\n"
        "        fail_on: never\n" % HOST,
        extra_vars={"wanted": settings})
    assert run.rc == 0, run
    findings = run.results("Judge the boot values")[HOST]["findings"]
    errors = [(f["id"], f["key"], f["message"]) for f in findings if f["severity"] == "error"]
    assert errors == []
