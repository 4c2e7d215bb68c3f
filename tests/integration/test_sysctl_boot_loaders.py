"""The real boot-time loader, the fleet's emulation of it and the collection's resolver agree.

Every case of tests/fleet/sysctl_corpus.py is laid out as the four sysctl.d directories and
booted in a new network namespace (with a private mount namespace that shows the case's
directories, nothing else) twice: once by this machine's systemd-sysctl --prefix=/net/, once by
the emulation in tests/fleet/sysctl_boot.py. Every net.* key of the namespace must end with the
same value in both, equal to what plugins/module_utils/_sysctl_conf.resolve predicts, and the
case's telling keys must hold the values written down from systemd's source.
"""


import pytest

from harness import load_fleet_module, machine_sysctls

pytestmark = pytest.mark.integration

fleet_mod = load_fleet_module()
import sysctl_boot  # noqa: E402  (tests/fleet is on sys.path once fleet.py is loaded)
import sysctl_corpus  # noqa: E402

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_conf  # noqa: E402

LOADERS = ("real", "emulation")


def resolver_prediction(tree, before):
    """Every net.* key of a fresh namespace as the resolver says a boot leaves it."""
    resolution = _sysctl_conf.resolve(root=tree)
    predicted = {}
    for key, value in before.items():
        record = _sysctl_conf.effective_for(resolution, key)
        predicted[key] = record["value"] if record else value
    return predicted


def differences(left, right):
    return {key: (left.get(key), right.get(key))
            for key in sorted(set(left) | set(right)) if left.get(key) != right.get(key)}


def boot_everywhere(tree):
    if sysctl_boot.systemd_sysctl() is None:
        pytest.skip("systemd-sysctl is not installed here: nothing to hold the emulation to")
    return {loader: sysctl_boot.probe_in_fresh_namespace(tree, loader) for loader in LOADERS}


def machine_snapshot(fresh_namespace_keys):
    """kernel.*, vm.*, fs.* of the machine, and its net.* keys that no namespace has."""
    values = machine_sysctls()
    for key, value in fleet_mod.walk_net_sysctls().items():
        if key not in fresh_namespace_keys and ".conf." not in key and ".neigh." not in key:
            values[key] = value  # device keys come and go with other fleets' links: left out
    return values


@pytest.mark.parametrize("name", sorted(sysctl_corpus.CASES))
def test_real_loader_emulation_and_resolver_agree(name, tmp_path):
    case = sysctl_corpus.CASES[name]
    tree = sysctl_corpus.materialize(tmp_path, case["files"])
    booted = boot_everywhere(tree)
    real, emulated = booted["real"], booted["emulation"]
    before = real["before"]
    assert differences(before, emulated["before"]) == {}, "two fresh namespaces differ"

    expected = {key: before[key] if value is None else value for key, value in case["expect"].items()}
    assert {key: real["after"][key] for key in expected} == expected, real["log"]
    assert differences(real["after"], emulated["after"]) == {}, emulated["log"]
    assert differences(real["after"], resolver_prediction(tree, before)) == {}


def test_machine_wide_keys_are_never_applied(tmp_path):
    current = {key: fleet_mod.normalize(open(fleet_mod.key_to_path(key)).read())
               for key in sysctl_corpus.MACHINE_WIDE_KEYS}
    case = sysctl_corpus.machine_wide_case(current)
    tree = sysctl_corpus.materialize(tmp_path, case["files"])
    fresh = sysctl_boot.probe_in_fresh_namespace(tree, "emulation")["before"]
    machine_before = machine_snapshot(fresh)
    assert "net.ipv4.tcp_mem" in machine_before and "net.core.netdev_max_backlog" in machine_before

    booted = boot_everywhere(tree)

    for loader in LOADERS:
        assert booted[loader]["after"][sysctl_corpus.FIN] == "42", booted[loader]["log"]
    for key in current:
        assert key not in booted["real"]["after"]  # not a key a namespace has
        assert fleet_mod.normalize(open(fleet_mod.key_to_path(key)).read()) == current[key]
    assert differences(machine_before, machine_snapshot(fresh)) == {}
    # The resolver models a whole host, so it does see the machine-wide lines of the file.
    resolution = _sysctl_conf.resolve(root=tree)
    assert set(current) <= set(resolution["effective"])
