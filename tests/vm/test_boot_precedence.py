"""On vm2, a file in /etc/sysctl.d that shadows the tcp_tuning drop-in and a /run/sysctl.d link to
/dev/null that masks a vendor file in /usr/lib/sysctl.d behave at a real boot exactly as
sysctl_check predicted before it (set-up: scenarios.prepare_precedence)."""

from scenarios import FIN, KEEPALIVE, MASK, PRECEDENCE, SHADOW, SYN, VENDOR


def test_sysctl_check_names_the_shadowing_file_and_the_mask(first_reboot):
    predicted = first_reboot["precedence"]["predicted"]
    keys = predicted["keys"]
    assert keys[FIN]["persisted"] == "45" and keys[FIN]["persisted_file"] == SHADOW
    assert keys[KEEPALIVE]["persisted"] == "600"  # the vendor file's 1800 is masked
    assert keys[SYN]["persisted"] is None  # so is its 3
    assert {"file": VENDOR, "masked_by": MASK} in predicted["persisted"]["masked"]
    assert any(f["id"] == "persisted-shadows-desired" and f["key"] == FIN for f in predicted["findings"])


def test_the_boot_does_what_sysctl_check_predicted(vms, first_reboot):
    scenario = first_reboot["precedence"]
    assert vms.ssh(PRECEDENCE, "readlink %s" % MASK).stdout.strip() == "/dev/null"  # there at boot
    expected = {}
    for key, item in sorted(scenario["predicted"]["keys"].items()):
        if item.get("exists"):
            expected[key] = item["persisted"] if item["persisted"] is not None else scenario["fresh"][key]
    assert len(expected) >= 3
    assert vms.sysctls(PRECEDENCE, expected) == expected
