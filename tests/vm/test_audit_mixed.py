"""One audit run over the VMs and the namespace fleet together: two kernels in one report."""

import json
import os
import platform

PLAYBOOK = "playbooks/audit.yml"


def test_one_report_covers_vms_and_namespace_hosts_on_two_kernels(vms, fleet, tmp_path):
    with open(fleet.inventory) as handle:
        inventory = handle.read() + "\n" + vms.inventory()
    report_dir = tmp_path / "report"
    run = vms.playbook(PLAYBOOK, inventory=inventory,
                       extra_vars={"tcp_audit_report_dir": str(report_dir), "tcp_audit_fail_on": "never",
                                   "tcp_audit_report_formats": ["json", "markdown"]})
    assert run.rc == 0, run
    with open(os.path.join(str(report_dir), "audit.json")) as handle:
        report = json.load(handle)
    hosts = dict((item["host"], item) for item in report["hosts"])
    assert sorted(hosts) == sorted(fleet.hosts + vms.names)
    assert all(item["status"] == "ok" for item in hosts.values()), hosts
    kernels = dict((name, item["kernel"]) for name, item in hosts.items())
    for name in vms.names:
        assert kernels[name] == vms.kernel_release
    for name in fleet.hosts:
        assert kernels[name] == platform.release()
    assert len(set(kernels.values())) == 2
    markdown = (report_dir / "audit.md").read_text()
    assert vms.kernel_release in markdown and platform.release() in markdown
