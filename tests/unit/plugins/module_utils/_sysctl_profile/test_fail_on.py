"""sysctl_profile judges its settings with sysctl_check's rules and gate before writing anything."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check

BAD = {"net.ipv4.ip_local_port_range": "40000 40000", "net.ipv4.tcp_rmem": "8192 4096 1000",
       "net.ipv4.tcp_fin_timeout": 30}


def tree(base):
    found = {}
    for directory, _dirs, files in os.walk(str(base)):
        for name in files:
            found[os.path.join(directory, name)] = open(os.path.join(directory, name)).read()
    return found


def run(base, settings, check=False, **params):
    params.update(name="web", nat_facing="false", state_dir="/var/lib/netfleet-tcp", settings=settings)
    return engine.run(params, proc=str(base / "proc"), root=str(base / "root"), check_mode=check)


@pytest.mark.parametrize("check", [False, True])
def test_error_findings_refuse_and_name_every_key(host, check):
    before = tree(host)
    with pytest.raises(ProfileError) as raised:
        run(host, BAD, check=check)
    message = str(raised.value)
    assert "(2 problems)" in message
    assert "net.ipv4.ip_local_port_range" in message and "port-range-order" in message
    assert "net.ipv4.tcp_rmem" in message and "triple-order" in message
    keys = raised.value.result["keys"]
    assert keys["net.ipv4.ip_local_port_range"]["status"] == "refused"
    assert keys["net.ipv4.tcp_rmem"]["status"] == "refused"
    assert keys["net.ipv4.tcp_fin_timeout"]["status"] == "unchanged"
    assert tree(host) == before


def test_refusals_and_findings_are_named_in_one_message(host):
    settings = dict(BAD, **{"net.ipv4.tcp_timestamps": "yes"})
    with pytest.raises(ProfileError) as raised:
        run(host, settings)
    for key in ("net.ipv4.ip_local_port_range", "net.ipv4.tcp_rmem", "net.ipv4.tcp_timestamps"):
        assert key in str(raised.value)
    assert "(3 problems)" in str(raised.value)


def test_the_gate_means_what_sysctl_checks_gate_means(host):
    check = run_check({"net.ipv4.ip_local_port_range": "40000 40000"}, proc=str(host / "proc"),
                      root=str(host / "root"), nat_facing="false")
    assert any(f["id"] == "port-range-order" and f["severity"] == "error" for f in check["findings"])
    result = run(host, {"net.ipv4.ip_local_port_range": "40000 40000"}, fail_on="never")
    assert result["changed"] is True
    assert (host / "proc" / "sys" / "net" / "ipv4" / "ip_local_port_range").read_text().split() == ["40000", "40000"]
    assert any(f["id"] == "port-range-order" for f in result["findings"])


def test_fail_on_warning_refuses_a_leading_zero(host):
    with pytest.raises(ProfileError) as raised:
        run(host, {"net.ipv4.tcp_fin_timeout": "030"}, fail_on="warning")
    assert "value-leading-zero" in str(raised.value)
    assert run(host, {"net.ipv4.tcp_fin_timeout": "030"})["keys"]["net.ipv4.tcp_fin_timeout"]["after"] == "24"


def test_bad_fail_on_is_refused(host):
    with pytest.raises(ProfileError) as raised:
        run(host, {"net.ipv4.tcp_fin_timeout": 30}, fail_on="sometimes")
    assert "fail_on" in str(raised.value)
