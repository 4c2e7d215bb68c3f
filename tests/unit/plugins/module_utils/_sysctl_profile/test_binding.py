"""A record of original values belongs to one network stack and is refused anywhere else."""

import json
import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _binding

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "sysctl_profile",
                       "proc_sys_child_netns.json")
FIB = """Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 127.0.0.0/8 2 0 2
           |-- 127.0.0.1
              /32 host LOCAL
        +-- 198.18.8.0/24 2 0 2
           |-- %s
              /32 host LOCAL
           |-- 198.18.8.255
              /32 link BROADCAST
Local:
           |-- %s
              /32 host LOCAL
"""
INET6 = ("00000000000000000000000000000001 01 80 10 80       lo\n"
         "fe80000000000000004e46fffe010102 04 40 20 80     eth0\n"
         "20010db8000000000000000000000011 04 40 00 80     eth0\n")


def make_proc(base, address, boot="b1"):
    proc = base / "proc"
    for key, value in json.load(open(FIXTURE)).items():
        if not key.startswith("_"):
            path = proc.joinpath("sys", *key.split("."))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(value + "\n")
    (proc / "sys" / "kernel" / "random").mkdir(parents=True, exist_ok=True)
    (proc / "sys" / "kernel" / "random" / "boot_id").write_text(boot + "\n")
    (proc / "meminfo").write_text("MemTotal:        8000000 kB\n")
    (proc / "net").mkdir(exist_ok=True)
    (proc / "net" / "fib_trie").write_text(FIB % (address, address))
    (proc / "net" / "if_inet6").write_text(INET6)
    (proc / "self" / "ns").mkdir(parents=True)
    (proc / "self" / "ns" / "net").write_text("")  # a namespace of its own: an inode of its own
    return str(proc)


def test_addresses_are_the_namespaces_own_unicast_ones(tmp_path):
    proc = make_proc(tmp_path, "198.18.8.11")
    binding = _binding.current(proc, str(tmp_path), initial=False)
    assert binding["addresses"] == ["198.18.8.11", "2001:0db8:0000:0000:0000:0000:0000:0011"]
    assert binding["boot_id"] == "b1" and binding["initial"] is False


def bound(**fields):
    base = {"machine_id": "m1", "initial": False, "addresses": ["198.18.8.11"], "netns_inode": 1, "boot_id": "b1"}
    base.update(fields)
    return base


@pytest.mark.parametrize("recorded,here,ok", [
    (bound(), bound(), True),
    (None, bound(), True),  # a record from before bindings: bound on its next write
    (bound(), bound(netns_inode=2, boot_id="b2"), True),  # the same namespace after a reboot
    (bound(addresses=["10.0.0.1"]), bound(), True),  # same namespace in this boot, address changed
    (bound(), bound(netns_inode=2, addresses=["198.18.8.12"]), False),  # another namespace
    (bound(addresses=[]), bound(netns_inode=2, addresses=[]), False),  # nothing to tell them apart
    (bound(machine_id="m2"), bound(), False),
    (bound(initial=True, addresses=[]), bound(), False),
    (bound(initial=True, addresses=[], boot_id="b0", netns_inode=9), bound(initial=True), True),
])
def test_binding_rules(recorded, here, ok):
    problem = _binding.problem("/var/lib/x.json", recorded, here)
    assert (problem is None) == ok, problem
    if not ok:
        assert "/var/lib/x.json" in problem and "state_dir of its own" in problem


def run(base, proc, state="present", check=False):
    params = {"name": "web", "nat_facing": "false", "state_dir": "/var/lib/netfleet-tcp", "state": state}
    if state == "present":
        params["settings"] = {"net.ipv4.tcp_fin_timeout": 31}
    return engine.run(params, proc=proc, root=str(base / "root"), check_mode=check)


@pytest.mark.parametrize("state", ["present", "absent"])
@pytest.mark.parametrize("check", [False, True])
def test_a_record_from_another_namespace_is_refused_and_kept(tmp_path, state, check):
    (tmp_path / "root" / "etc" / "sysctl.d").mkdir(parents=True)
    proc_a = make_proc(tmp_path / "a", "198.18.8.11")
    run(tmp_path, proc_a)
    record_file = tmp_path / "root" / "var" / "lib" / "netfleet-tcp" / "sysctl_profile-web.json"
    record = record_file.read_text()
    assert json.loads(record)["binding"]["addresses"][0] == "198.18.8.11"
    proc_b = make_proc(tmp_path / "b", "198.18.8.12")
    b_fin = tmp_path / "b" / "proc" / "sys" / "net" / "ipv4" / "tcp_fin_timeout"
    before = b_fin.read_text()
    with pytest.raises(ProfileError) as raised:
        run(tmp_path, proc_b, state=state, check=check)
    assert "198.18.8.11" in str(raised.value) and "198.18.8.12" in str(raised.value)
    assert record_file.read_text() == record and b_fin.read_text() == before
    # In its own namespace the record still restores, after a reboot (new boot id) too.
    proc_a2 = make_proc(tmp_path / "a2", "198.18.8.11", boot="b2")
    (tmp_path / "a2" / "proc" / "sys" / "net" / "ipv4" / "tcp_fin_timeout").write_text("31\n")
    result = run(tmp_path, proc_a2, state="absent")
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["after"] == "60"
    assert not record_file.exists()
