"""The hostvars adapter: registered results of the audit role's tasks make the same report as records."""

import copy

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import _model as ar

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


def registered(records):
    """Host variables as the audit role leaves them: registered module results, no record."""
    result = {}
    for host, record in records.items():
        result[host] = {
            "__audit_facts": {"changed": False, "ansible_facts": {"tcp_state": copy.deepcopy(record["tcp_state"])}},
            "__audit_check": copy.deepcopy(record["check"]),
            "__audit_profile_check": {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"},
        }
    return result


def from_registered(variables, **kwargs):
    return ar.build_report(variables, record_var="__audit_record", facts_var="__audit_facts",
                           check_vars=["__audit_profile_check", "__audit_check"], generated_at=STAMP, **kwargs)


def test_registered_results_make_the_same_report(records):
    plain_report = ar.build_report(records, record_var=None, generated_at=STAMP)
    assert from_registered(registered(records)) == plain_report


def test_profile_check_wins_when_it_ran(records):
    variables = registered(records)
    profile_check = copy.deepcopy(records["db1"]["check"])
    profile_check["findings"] = [{"id": "live-differs-desired", "severity": "warning", "key": "net.core.somaxconn",
                                  "value": "4096", "message": "m", "remediation": "r"}]
    variables["db1"]["__audit_profile_check"] = profile_check
    report = from_registered(variables, profile="web_frontend")
    assert [item["id"] for item in entry(report, "db1")["findings"]] == ["live-differs-desired"]
    assert entry(report, "db1")["profile"] == "web_frontend"
    assert report["profile"] == "web_frontend"


def test_failed_facts_without_rescue_record(records):
    variables = registered(records)
    variables["db1"]["__audit_facts"] = {"failed": True, "msg": "netlink and /proc/net/tcp both unreadable"}
    db1 = entry(from_registered(variables), "db1")
    assert (db1["status"], db1["error"]) == ("failed", "netlink and /proc/net/tcp both unreadable")


def test_rescue_record_used_when_the_results_are_unusable(records):
    variables = registered(records)
    variables["db1"]["__audit_check"] = {"failed": True, "msg": "boom"}
    variables["db1"]["__audit_facts"] = {"failed": True, "msg": "first"}
    variables["db1"]["__audit_record"] = {"status": "failed", "error": "first", "task": "Read the TCP state of the host"}
    db1 = entry(from_registered(variables), "db1")
    assert (db1["status"], db1["error"], db1["task"]) == ("failed", "first", "Read the TCP state of the host")


def test_stale_record_does_not_hide_a_fresh_result(records):
    variables = registered(records)
    variables["db1"]["__audit_record"] = {"status": "failed", "error": "from an earlier play"}
    assert entry(from_registered(variables), "db1")["status"] == "ok"


def test_unreachable_beats_a_stale_record(records):
    variables = registered(records)
    variables["db1"]["__audit_facts"] = {"unreachable": True, "msg": "ssh: connect to host db1 port 22: No route"}
    variables["db1"]["__audit_record"] = {"status": "failed", "error": "from an earlier play"}
    db1 = entry(from_registered(variables), "db1")
    assert (db1["status"], db1["error"]) == ("unreachable", "ssh: connect to host db1 port 22: No route")


def test_gate_lists_unaudited_hosts(report):
    assert report["gate"]["unaudited"] == {
        "web2": "unreachable: Failed to connect to the host via ssh: Connection timed out",
        "app9": "failed: permission denied: /proc/net/netstat",
    }


def test_dotted_names_read_the_judgements_inside_the_one_module_result(records):
    """The role registers one tcp_audit result per host and names its judgements by dotted paths."""
    variables = {}
    for host, record in records.items():
        variables[host] = {"__tcp_audit_facts": {
            "changed": False, "ansible_facts": {"tcp_state": copy.deepcopy(record["tcp_state"])},
            "check": copy.deepcopy(record["check"]), "profile_check": {"skipped": True}}}
    report = ar.build_report(variables, record_var="__tcp_audit_record", facts_var="__tcp_audit_facts",
                             check_vars=["__tcp_audit_facts.profile_check", "__tcp_audit_facts.check"],
                             generated_at=STAMP)
    assert report == ar.build_report(records, record_var=None, generated_at=STAMP)
    assert ar.build_report(variables, record_var="__tcp_audit_record", facts_var="__tcp_audit_facts",
                           check_vars=["__tcp_audit_facts.nothing.here"], generated_at=STAMP)["hosts"]
