"""The Markdown rendering."""

import copy
import re


from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers import fmt_markdown as fmt
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers.fmt_markdown import render_markdown as render

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


def test_markdown(report):
    text = render(report)
    assert text.startswith("# TCP fleet audit\n")
    assert "**FAILED**" in text
    assert "| web1 | ok | 6.1.0-18-amd64 | no | 1852 | 25087 | 41 | 310 | 220 | 77% | 10.20.0.15:5432 16939 (60%) | 1532 | 1 | 0 | 3 |" in text
    assert "| web2 | unreachable |" in text
    assert "| natgw | ok | 5.10.0-28-amd64 | yes | 210 | 3 | 0 | 0 | 0 | 0.0% | none |" in text
    assert "| db1 | ok | 6.1.0-18-amd64 | no | 95 | 0 | 7 | 0 | 0 | 0% | - |" in text
    assert "### `persisted-missing-key` (error, fails the gate): 1 host" in text
    assert "Remediation: Remove the line from /etc/sysctl.d/60-nat.conf." in text
    assert "| web1 | net.ipv4.tcp_fin_timeout | 60 | 30 | /etc/sysctl.d/99-tuning.conf | - |" in text
    assert "| app9 | failed | permission denied: /proc/net/netstat |" in text
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_markdown_escapes_cells():
    assert fmt._cell("a|b\nc") == "a\\|b c"
    assert fmt._cell(None) == "-"
    assert fmt._cell(True) == "yes"


def test_markdown_clean_fleet(records):
    result = build_report({"db1": {"__audit_record": records["db1"]}}, generated_at=STAMP)
    text = render(result)
    assert "No findings." in text
    assert "No drift" in text
    assert "None: every host of the play was audited." in text


HOSTILE = "<img src=x onerror=alert(1)>/../*evil*|x\n# not a heading"


def test_markdown_shows_hostile_host_data_as_text(records):
    record = copy.deepcopy(records["web1"])
    record["tcp_state"]["host"]["kernel"] = "<script>k()</script>"
    report = build_report({HOSTILE: {"__audit_record": record}}, generated_at=STAMP, fail_on="warning")
    text = render(report)
    assert "<img" not in text and "<script" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;/../\\*evil\\*\\|x # not a heading" in text
    assert "&lt;script&gt;k()&lt;/script&gt;" in text
    assert "\n# not a heading" not in text
    host_rows = [line for line in text.splitlines() if line.startswith("| &lt;img")]
    assert host_rows and all(len(re.findall(r"(?<!\\)\|", row)) == 16 for row in host_rows[:1])


def test_markdown_cell_escapes():
    assert fmt._cell("_a_ *b* `c` [d](e) ~f~ <g> &h") == "\\_a\\_ \\*b\\* \\`c\\` \\[d\\](e) \\~f\\~ &lt;g&gt; &amp;h"
    assert fmt._cell("net.ipv4.tcp_fin_timeout") == "net.ipv4.tcp_fin_timeout"
