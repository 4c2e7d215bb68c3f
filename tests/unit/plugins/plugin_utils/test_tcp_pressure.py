"""tcp_pressure: ratios and verdicts on both sides of every threshold."""

import copy
import json
import os

import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils import _tcp_pressure as tp

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit")


@pytest.fixture(scope="module")
def records():
    with open(os.path.join(FIXTURES, "records.json")) as handle:
        return json.load(handle)


@pytest.fixture
def web1(records):
    return copy.deepcopy(records["web1"]["tcp_state"])


def test_web1_ratios_and_verdicts(web1):
    result = tp.tcp_pressure(web1)
    assert result["time_wait"] == {"count": 25087, "limit": 32768, "ratio": 0.765594, "verdict": "warning"}
    assert result["orphans"] == {"count": 220, "limit": 65536, "ratio": 0.003357, "verdict": "ok"}
    assert result["ephemeral_ports"]["worst"] == {"address": "10.20.0.15", "port": 5432, "count": 16939, "share": 0.6}
    assert result["ephemeral_ports"]["verdict"] == "warning"
    assert result["accept_queue"]["worst"]["port"] == 443
    assert result["accept_queue"]["ratio"] == pytest.approx(12 / 4096, abs=1e-6)
    assert result["close_wait"] == {"count": 41}
    assert result["listen_overflows"] == {"overflows": 1532, "drops": 1532}
    assert result["verdict"] == "warning"


@pytest.mark.parametrize("count,expected", [
    (0, "ok"), (16383, "ok"), (16384, "warning"), (26214, "warning"), (26215, "critical"), (40000, "critical"),
])
def test_time_wait_boundaries(web1, count, expected):
    web1["sockstat"]["tcp"]["tw"] = count
    assert tp.tcp_pressure(web1)["time_wait"]["verdict"] == expected


def test_time_wait_counts_the_buckets_the_kernel_caps(web1):
    """sockstat tw holds orphaned FIN_WAIT2 minisockets too: that is what meets the cap."""
    web1["states"]["TIME_WAIT"] = 10000
    web1["sockstat"]["tcp"]["tw"] = 30000
    assert tp.tcp_pressure(web1)["time_wait"] == {"count": 30000, "limit": 32768, "ratio": 0.915527,
                                                  "verdict": "critical"}


def test_time_wait_census_when_sockstat_is_missing(web1):
    del web1["sockstat"]
    web1["states"]["TIME_WAIT"] = 20000
    assert tp.tcp_pressure(web1)["time_wait"]["count"] == 20000


@pytest.mark.parametrize("share,expected", [(0.49, "ok"), (0.5, "warning"), (0.79, "warning"), (0.8, "critical")])
def test_ephemeral_port_boundaries(web1, share, expected):
    web1["ports"]["destinations"][0]["share"] = share
    assert tp.tcp_pressure(web1)["ephemeral_ports"]["verdict"] == expected


def test_share_computed_when_absent(web1):
    for entry in web1["ports"]["destinations"]:
        del entry["share"]
    result = tp.tcp_pressure(web1)["ephemeral_ports"]
    assert result["worst"]["share"] == pytest.approx(16939 / 28232, abs=1e-6)


@pytest.mark.parametrize("queue,backlog,expected", [
    (0, 128, "ok"), (102, 128, "ok"), (103, 128, "warning"), (128, 128, "critical"), (129, 128, "critical"),
    (0, 0, "ok"), (1, 0, "critical"),
])
def test_accept_queue_boundaries(web1, queue, backlog, expected):
    web1["listeners"] = [{"family": "ipv4", "address": "0.0.0.0", "port": 80, "queue": queue, "backlog": backlog}]
    assert tp.tcp_pressure(web1)["accept_queue"]["verdict"] == expected


def test_missing_limits_and_details_are_unknown(web1):
    web1["limits"]["tcp_max_orphans"] = None
    web1["limits"]["tcp_max_tw_buckets"] = None
    web1["pressure"] = {"time_wait_ratio": None, "orphan_ratio": None}
    del web1["ports"]
    del web1["listeners"]
    result = tp.tcp_pressure(web1)
    for metric in tp.METRICS:
        assert result[metric]["verdict"] == "unknown", metric
    assert result["verdict"] == "unknown"


def test_facts_ratio_used_when_limit_missing(web1):
    web1["limits"]["tcp_max_tw_buckets"] = None
    web1["pressure"]["time_wait_ratio"] = 0.9
    assert tp.tcp_pressure(web1)["time_wait"]["verdict"] == "critical"
    web1["pressure"]["tw_bucket_ratio"] = 0.1
    assert tp.tcp_pressure(web1)["time_wait"]["verdict"] == "ok"


def test_ports_detail_without_outbound_is_ok(records):
    result = tp.tcp_pressure(records["natgw"]["tcp_state"])
    assert result["ephemeral_ports"] == {"usable_ports": 28232, "worst": None, "ratio": 0.0, "verdict": "ok"}
    assert result["verdict"] == "ok"


def test_accepts_hostvars_like_mapping(web1):
    assert tp.tcp_pressure({"tcp_state": web1})["time_wait"]["count"] == 25087


def test_custom_thresholds(web1):
    result = tp.tcp_pressure(web1, {"time_wait": {"critical": 0.7}})
    assert result["time_wait"]["verdict"] == "critical"
    assert result["thresholds"]["time_wait"] == {"warning": 0.5, "critical": 0.7}
    assert result["thresholds"]["orphans"] == tp.DEFAULT_THRESHOLDS["orphans"]


@pytest.mark.parametrize("thresholds,needle", [
    ({"nope": {"warning": 0.1}}, "unknown metric"),
    ({"time_wait": {"severe": 0.1}}, "unknown level"),
    ({"time_wait": {"warning": "high"}}, "not a ratio"),
    ({"time_wait": {"warning": True}}, "not a ratio"),
    ({"time_wait": {"warning": 0.9, "critical": 0.5}}, "above critical"),
    ({"time_wait": 0.5}, "expected a mapping"),
    ([1], "must be a mapping"),
])
def test_bad_thresholds(web1, thresholds, needle):
    with pytest.raises(tp.PressureInputError, match=needle):
        tp.tcp_pressure(web1, thresholds)


@pytest.mark.parametrize("facts,needle", [("x", "expects the tcp_state"), ({"source": "netlink"}, "no 'states'")])
def test_bad_facts(facts, needle):
    with pytest.raises(tp.PressureInputError, match=needle):
        tp.tcp_pressure(facts)


def test_worst_verdict():
    assert tp.worst_verdict(["ok", "unknown", "warning"]) == "warning"
    assert tp.worst_verdict(["critical", "ok"]) == "critical"
    assert tp.worst_verdict(["unknown"]) == "unknown"
    assert tp.worst_verdict([]) == "unknown"
