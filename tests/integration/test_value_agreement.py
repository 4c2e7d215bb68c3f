"""One reading of a value through the tuning role and the audit role, on the fleet.

A host is tuned (outbound_heavy, with host overrides) with values a person and the
kernel may read differently (a port list the kernel prints as a range, hexadecimal, a
leading zero, tabs, a bound); then the role's own re-check under --check and the audit
of the same profile and overrides must agree that the host holds them, and the drop-in
must hold what the kernel holds, never the text as written. Values are verified on the host (fleet.sysctl, fleet.read_file).
"""

import json
import os

import pytest

TUNE = "playbooks/tune.yml"
AUDIT = "playbooks/audit.yml"
APPLY = "Apply the whole profile in one call"
SUMMARY = "Show the outcome on this host, failing it when refused or not as wanted"
DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-tuning.conf"
HOST = "web1"
RESERVED = "net.ipv4.ip_local_reserved_ports"
FIN = "net.ipv4.tcp_fin_timeout"
INTVL = "net.ipv4.tcp_keepalive_intvl"
RMEM = "net.ipv4.tcp_rmem"
SOMAXCONN = "net.core.somaxconn"
PROFILE = "outbound_heavy"


@pytest.fixture(scope="module")
def tuned(fleet, tmp_path_factory):
    fleet.reset()
    rmem = fleet.sysctl(HOST, RMEM).split()
    wanted = {
        RESERVED: "8080,8081",                    # the kernel prints 8080-8081
        FIN: "0x1e",                              # hexadecimal 30
        INTVL: "030",                             # octal to the kernel: 24
        RMEM: "%s  %s\t%s" % tuple(rmem),         # tabs and double spaces
        SOMAXCONN: ">=1024",                      # a bound the live value already meets
    }
    extra = {"tcp_tuning_hosts": HOST, "tcp_tuning_profile": PROFILE, "tcp_tuning_host_overrides": wanted}
    runs = {"real": fleet.playbook(TUNE, extra_vars=extra), "again": fleet.playbook(TUNE, extra_vars=extra, check=True)}
    report_dir = tmp_path_factory.mktemp("agree")
    runs["audit"] = fleet.playbook(AUDIT, extra_vars={
        "tcp_audit_hosts": HOST, "tcp_audit_profile": PROFILE, "tcp_audit_host_overrides": wanted,
        "tcp_audit_report_dir": str(report_dir), "tcp_audit_fail_on": "never"})
    with open(os.path.join(str(report_dir), "audit.json")) as handle:
        runs["report"] = json.load(handle)
    yield runs
    fleet.reset()


def test_the_host_and_its_dropin_hold_what_the_kernel_reads(fleet, tuned):
    assert tuned["real"].rc == 0, tuned["real"]
    assert fleet.sysctl(HOST, RESERVED) == "8080-8081"
    assert fleet.sysctl(HOST, FIN) == "30"
    assert fleet.sysctl(HOST, INTVL) == "24"
    dropin = fleet.read_file(HOST, DROPIN)
    for line in ("%s = 8080-8081" % RESERVED, "%s = 30" % FIN, "%s = 24" % INTVL):
        assert line in dropin, dropin
    assert "0x1e" not in dropin and "030" not in dropin


def test_the_roles_recheck_finds_no_drift(tuned):
    run = tuned["again"]
    assert run.rc == 0, run
    apply = run.results(APPLY)[HOST]
    assert apply["changed"] is False, apply["keys"]
    assert all(entry["status"] == "unchanged" for entry in apply["keys"].values()), apply["keys"]
    assert "no drift" in run.results(SUMMARY)[HOST]["msg"][-1], run.results(SUMMARY)[HOST]


def test_the_audit_agrees(tuned):
    assert tuned["audit"].rc == 0, tuned["audit"]
    entry = [item for item in tuned["report"]["hosts"] if item["host"] == HOST][0]
    drifted = [item["key"] for item in entry["drifted_keys"]]
    for key in (RESERVED, FIN, INTVL, RMEM, SOMAXCONN):
        assert key not in drifted, entry["drifted_keys"]
    assert not [item for item in entry["findings"] if item["id"] == "live-differs-desired"], entry["findings"]
    # the wanted values were judged: the leading zero and the hex number are reported as the
    # kernel reads them, with the findings sysctl_check gives them
    zero = [item for item in entry["findings"] if item["id"] == "value-leading-zero"]
    assert [item["key"] for item in zero] == [INTVL] and "it would set 24" in zero[0]["message"]
    assert [item["key"] for item in entry["findings"] if item["id"] == "value-hex"] == [FIN]
