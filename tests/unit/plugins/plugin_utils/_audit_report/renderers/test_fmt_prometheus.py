"""The Prometheus text format, one host at a time."""

import copy
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import ReportInputError
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers import fmt_prometheus as fmt
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers.fmt_prometheus import render_prometheus as render

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


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_exposition(text):
    """A strict reader of the text exposition format as node_exporter's textfile collector needs it."""
    assert text.endswith("\n")
    families, seen, current = {}, set(), None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in families, "family %s split" % name
            families[name] = {"help": line.split(" ", 3)[3], "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, kind = line.split(" ")[2:]
            assert name == current and kind in ("gauge", "counter")
            families[name]["type"] = kind
        else:
            match = _SAMPLE.match(line)
            assert match, line
            name, labels, value = match.groups()
            assert name == current, line
            float(value)
            if families[name]["type"] == "counter":
                assert name.endswith("_total")
            series = (name, tuple(_LABEL.findall(labels)))
            assert series not in seen, line
            seen.add(series)
            families[name]["samples"].append((dict(_LABEL.findall(labels)), float(value)))
    return families


def test_prometheus_web1(report):
    families = parse_exposition(render(report, "web1"))
    assert families["netfleet_tcp_audit_up"]["samples"] == [({"host": "web1"}, 1.0)]
    sockets = dict(((labels["family"], labels["state"]), value)
                   for labels, value in families["netfleet_tcp_sockets"]["samples"])
    assert sockets[("ipv4", "time_wait")] == 25087
    assert sockets[("ipv6", "established")] == 12
    ratios = dict((labels["metric"], value) for labels, value in families["netfleet_tcp_pressure_ratio"]["samples"])
    assert ratios["time_wait"] == 0.765594
    assert families["netfleet_tcp_tcpext_listen_overflows_total"]["type"] == "counter"
    assert families["netfleet_tcp_curr_estab"]["type"] == "gauge"
    assert not [name for name in families if "max_conn" in name]
    assert families["netfleet_tcp_ephemeral_ports_used"]["samples"] == [
        ({"host": "web1", "destination": "10.20.0.15:5432"}, 16939.0)]
    assert families["netfleet_tcp_audit_timestamp_seconds"]["samples"][0][1] == 1795237200
    limits = dict((labels["name"], value) for labels, value in families["netfleet_tcp_limit"]["samples"])
    assert limits["ip_local_port_range_low"] == 32768 and "ip_local_reserved_ports" not in limits


def test_prometheus_unreachable(report):
    families = parse_exposition(render(report, "web2"))
    assert sorted(families) == ["netfleet_tcp_audit_timestamp_seconds", "netfleet_tcp_audit_up"]
    assert families["netfleet_tcp_audit_up"]["samples"][0][1] == 0


def test_prometheus_help_is_identical_across_hosts(report):
    """node_exporter merges the files of one directory: a family's HELP and TYPE must agree."""
    seen = {}
    for host in ("web1", "natgw", "db1"):
        for name, family in parse_exposition(render(report, host)).items():
            assert seen.setdefault(name, (family["help"], family["type"])) == (family["help"], family["type"])


def test_prometheus_label_escaping():
    assert fmt._labels([("host", 'a"b\\c\nd')]) == '{host="a\\"b\\\\c\\nd"}'


def test_prometheus_unknown_host(report):
    with pytest.raises(ReportInputError, match="not in the report"):
        render(report, "nope")


# ------------------------------------------------------------------ registered results (the role's way)


# ------------------------------------------------------------------ names that pass promtool

@pytest.mark.parametrize("group,name,family", [
    ("TcpExt", "ListenOverflows", "netfleet_tcp_tcpext_listen_overflows_total"),
    ("TcpExt", "TCPReqQFullDoCookies", "netfleet_tcp_tcpext_tcp_req_q_full_do_cookies_total"),
    ("TcpExt", "PAWSEstab", "netfleet_tcp_tcpext_paws_estab_total"),
    ("TcpExt", "TW", "netfleet_tcp_tcpext_tw_total"),
    ("TcpExt", "TWKilled", "netfleet_tcp_tcpext_tw_killed_total"),
    ("Tcp", "ActiveOpens", "netfleet_tcp_tcp_active_opens_total"),
    ("IpExt", "InOctetsTotal", "netfleet_tcp_ipext_in_octets_total"),
])
def test_counter_family_names(group, name, family):
    assert fmt.counter_family(group, name) == family


def test_every_kernel_counter_keeps_its_number(records, report):
    # Each counter of the host's facts is one counter family, snake_case, _total once, same value.
    families = parse_exposition(render(report, "web1"))
    counters = records["web1"]["tcp_state"]["counters"]
    expected = {}
    for group, values in counters.items():
        for name, value in values.items():
            if name in ("RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", "CurrEstab"):
                continue
            expected[fmt.counter_family(group, name)] = float(value)
    exported = dict((name, family["samples"][0][1]) for name, family in families.items()
                    if family["type"] == "counter")
    assert exported == expected
    for name in exported:
        assert re.match(r"^netfleet_tcp_[a-z0-9_]+$", name) and name.count("_total") == 1, name
        assert "counter" not in name


def promtool():
    path = shutil.which("promtool")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: make deps installs Debian's prometheus package")
        pytest.skip("promtool is not installed (make deps installs Debian's prometheus package)")
    return path


def test_promtool_accepts_every_host_file(report, tmp_path):
    tool = promtool()
    for entry in report["hosts"]:
        path = tmp_path / ("%s.prom" % entry["host"])
        path.write_text(render(report, entry["host"]))
        with open(str(path)) as handle:
            run = subprocess.run([tool, "check", "metrics"], stdin=handle, capture_output=True, text=True,
                                 timeout=60, check=False)
        print("promtool check metrics < %s: rc=%d %s" % (path, run.returncode, (run.stdout + run.stderr).strip()))
        assert run.returncode == 0 and not (run.stdout + run.stderr).strip(), (entry["host"], run.stdout, run.stderr)
