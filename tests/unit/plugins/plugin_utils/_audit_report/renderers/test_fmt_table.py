"""The table printed at the end of the play."""

import copy


from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers.fmt_table import render_table as render

STAMP = "2026-11-21T05:00:00Z"
HOSTS = ["web1", "web2", "natgw", "db1", "app9"]


def hostvars(records):
    """What the role leaves behind: records on audited hosts, a registered result on web2."""
    result = dict((host, {"__audit_record": copy.deepcopy(record)}) for host, record in records.items())
    result["web2"] = {"__audit_facts": {"unreachable": True, "changed": False,
                                        "msg": "Failed to connect to the host via ssh: Connection timed out"}}
    result["app9"] = {"__audit_record": {"status": "failed", "error": "permission denied: /proc/net/netstat",
                                         "task": "Read the TCP state of the host"}}
    return result


def entry(report, host):
    return [item for item in report["hosts"] if item["host"] == host][0]


def test_table(report):
    lines = render(report)
    assert lines[0].split() == ["HOST", "STATUS", "KERNEL", "NAT", "ESTAB", "TW", "CW", "FW2", "ORPH", "TW%",
                                "PORT%", "OVFL", "DRIFT", "ERR", "WARN"]
    assert lines[1].split() == ["web1", "ok", "6.1.0-18-amd64", "no", "1852", "25087", "41", "310", "220", "77%",
                                "60%", "1532", "1", "0", "3"]
    assert lines[2].split()[:2] == ["web2", "UNREACHABLE"]
    assert len(set(len(line) for line in lines[:6])) >= 1
    assert lines[-3] == "5 hosts: 3 audited, 1 failed, 1 unreachable; 1 errors, 4 warnings, 1 drifted keys"
    assert lines[-2].startswith("gate (error): 1 finding")
    # Without a history folder there is nothing to compare with, and the table says so.
    assert lines[-1] == "changes: no earlier audit of these hosts"


# ------------------------------------------------------------------ prometheus
