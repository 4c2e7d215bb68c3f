"""The netfleet.tcp.tcp_pressure filter: plain values in, AnsibleFilterError out."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter.tcp_pressure import FilterModule, tcp_pressure_filter as tcp_pressure


def test_registered():
    assert FilterModule().filters()["tcp_pressure"] is tcp_pressure


def test_error_is_filter_error():
    with pytest.raises(AnsibleFilterError, match="tcp_pressure: .*no 'states'"):
        tcp_pressure({})


def test_subclassed_input():
    class Tagged(str):
        pass

    facts = {"states": {"TIME_WAIT": 10}, "limits": {"tcp_max_tw_buckets": 20}, "sockstat": {"tcp": {"orphan": 0}}}
    result = tcp_pressure(dict((Tagged(key), value) for key, value in facts.items()))
    assert result["time_wait"]["verdict"] == "warning"
