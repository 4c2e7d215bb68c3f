# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tcp_profile filters: rendering, errors, and their sidecar documentation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.filter.tcp_profile import (
    FilterModule,
    tcp_profile,
    tcp_profile_findings,
    tcp_profile_guard,
    tcp_profile_plan,
    tcp_profile_report,
    tcp_profile_verify,
)

CONTEXT = {
    "mem_total_bytes": 8 * 1024 ** 3,
    "page_size": 4096,
    "listen_ports": [22, 12345],
    "kernel_version": [6, 1, 0],
    "initial_netns": False,
}
CHECK_RESULT = {"changed": False, "context": CONTEXT, "keys": {}, "findings": []}
FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "tcp_profile", "tcp_profile_plan", "tcp_profile_findings", "tcp_profile_guard",
        "tcp_profile_report", "tcp_profile_verify"}


def test_renders_from_a_registered_check_result():
    settings = tcp_profile(CHECK_RESULT, "outbound_heavy", {}, {"net.ipv4.tcp_fin_timeout": 30})
    assert settings["net.ipv4.tcp_fin_timeout"] == 30
    assert settings["net.ipv4.ip_local_reserved_ports"] == "12345"


def test_plan_explains_each_key():
    rows = tcp_profile_plan(CHECK_RESULT, "web_frontend", None, {"net.ipv4.tcp_fin_timeout": 30})
    by_key = dict((row["key"], row) for row in rows)
    assert by_key["net.ipv4.tcp_fin_timeout"]["source"] == "host"
    assert by_key["net.ipv4.tcp_max_tw_buckets"]["formula"] == "tw_buckets_by_memory"
    assert "TIME_WAIT" in by_key["net.ipv4.tcp_max_tw_buckets"]["reason"]


@pytest.mark.parametrize("args, message", [
    (("nope",), "unknown profile 'nope'"),
    (("web_frontend", ["x"]), "group overrides must be a dict"),
    (("web_frontend", None, {"../../etc/passwd": 1}), "host overrides"),
])
def test_errors_are_filter_errors_naming_the_filter(args, message):
    with pytest.raises(AnsibleFilterError, match=message) as caught:
        tcp_profile(CHECK_RESULT, *args)
    assert "netfleet.tcp.tcp_profile" in str(caught.value)
    with pytest.raises(AnsibleFilterError, match="tcp_profile_plan"):
        tcp_profile_plan(CHECK_RESULT, *args)


def test_a_context_without_memory_fails_clearly():
    with pytest.raises(AnsibleFilterError, match="mem_total_bytes"):
        tcp_profile({"context": {"page_size": 4096}}, "web_frontend")


@pytest.mark.parametrize("name", sorted(FilterModule().filters()))
def test_sidecar_documentation_is_complete(name):
    with open(os.path.join(FILTER_DIR, name + ".yml")) as handle:
        doc = yaml.safe_load(handle)
    assert doc["DOCUMENTATION"]["name"] == name
    assert doc["DOCUMENTATION"]["version_added"] == "0.1.0"
    assert "_input" in doc["DOCUMENTATION"]["options"]
    if name in ("tcp_profile", "tcp_profile_plan"):
        assert set(doc["DOCUMENTATION"]["options"]) == {
            "_input", "profile", "group_overrides", "host_overrides"}
    assert "netfleet.tcp." + name in doc["EXAMPLES"]
    assert "_value" in doc["RETURN"]


def test_ansible_doc_renders_the_filter():
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    if not os.path.exists(doc):
        pytest.skip("ansible-doc is not installed next to this interpreter")
    result = subprocess.run([doc, "-t", "filter", "netfleet.tcp.tcp_profile"], check=False,
                            capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Returns the sysctl settings a host should get" in result.stdout


# --- guard ----------------------------------------------------------------------

FIN_FINDING = {
    "id": "fin-timeout-low", "severity": "warning", "key": "net.ipv4.tcp_fin_timeout", "value": "5",
    "message": "tcp_fin_timeout=5 resets slow peers.", "remediation": "Use 10 or more.",
}
DRIFT_FINDING = {
    "id": "live-differs-desired", "severity": "warning", "key": "net.ipv4.tcp_fin_timeout",
    "value": "5", "message": "live 60, desired 5", "remediation": "apply it",
}
UNRELATED = dict(FIN_FINDING, key="net.ipv4.tcp_syn_retries", id="retries-low")
NAT_EVIDENCE = ["ip_forward=1", "masquerade rule in table ip nat"]


def _check(*findings, **context):
    base = dict(CONTEXT, proc_sys_net_writable=True, nat_facing=False, nat_evidence=[])
    live = base.pop("live", None) or {}
    base.update(context)
    live = base.pop("live", live)
    keys = dict((key, {"live": value, "exists": value is not None}) for key, value in live.items())
    return {"context": base, "keys": keys, "findings": list(findings)}


def test_guard_refuses_tw_recycle_on_a_nat_gateway_naming_host_and_evidence():
    # An old kernel that still has the key: only the NAT evidence refuses it.
    check = _check(DRIFT_FINDING, kernel_version=[4, 9, 0], nat_facing=True,
                   nat_evidence=NAT_EVIDENCE, live={"net.ipv4.tcp_tw_recycle": "0"})
    refusals = tcp_profile_guard(check, {"net.ipv4.tcp_tw_recycle": 1}, "natgw")
    assert len(refusals) == 1
    assert refusals == [
        "tcp_tw_recycle refused on natgw: NAT-facing (ip_forward=1; masquerade rule in table ip nat); "
        "use tcp_tw_reuse=1 on the connecting side instead, which is safe with clients behind NAT"]


def test_guard_gives_every_reason_for_tw_recycle():
    # A current kernel on a NAT gateway: both reasons, as one sentence.
    check = _check(kernel_version=[6, 1, 0], nat_facing=True, nat_evidence=NAT_EVIDENCE,
                   live={"net.ipv4.tcp_tw_recycle": None})
    refusals = tcp_profile_guard(check, {"net.ipv4.tcp_tw_recycle": 1}, "web3")
    assert refusals == [
        "tcp_tw_recycle refused on web3: NAT-facing (ip_forward=1; masquerade rule in table ip nat) "
        "and removed in Linux 4.12 (this host runs 6.1); use tcp_tw_reuse=1 on the connecting side "
        "instead, which is safe with clients behind NAT"]


def test_guard_refuses_tw_recycle_where_the_kernel_removed_it():
    check = _check(live={"net.ipv4.tcp_tw_recycle": None})
    refusals = tcp_profile_guard(check, {"net.ipv4.tcp_tw_recycle": 1}, "web3")
    assert len(refusals) == 1 and "removed in Linux 4.12 (this host runs 6.1)" in refusals[0]
    assert "NAT-facing" not in refusals[0]
    # 0 is what such a kernel does anyway: satisfied, not refused.
    assert tcp_profile_guard(check, {"net.ipv4.tcp_tw_recycle": 0}, "web3") == []


def test_guard_missing_policy():
    check = _check(initial_netns=False, live={"net.ipv4.tcp_mem": None})
    wanted = {"net.ipv4.tcp_mem": "1 2 3"}
    assert tcp_profile_guard(check, wanted, "web1", "skip") == []
    refusals = tcp_profile_guard(check, wanted, "web1", "fail")
    assert len(refusals) == 1
    assert refusals[0].startswith("tcp_mem refused on web1: ")
    assert "initial network namespace" in refusals[0]


def test_guard_refuses_invalid_values_naming_every_key():
    wanted = {"net.ipv4.tcp_fin_timeout": True, "net.ipv4.tcp_rmem": "1 2"}
    refusals = tcp_profile_guard(_check(), wanted, "web1")
    assert sorted(r.split(" ", 1)[0] for r in refusals) == ["tcp_fin_timeout", "tcp_rmem"]


def test_guard_fail_on_threshold_and_unrelated_findings():
    check = _check(FIN_FINDING, UNRELATED, DRIFT_FINDING)
    wanted = {"net.ipv4.tcp_fin_timeout": 5}
    assert tcp_profile_guard(check, wanted, "web1", "skip", "error") == []
    refusals = tcp_profile_guard(check, wanted, "web1", "skip", "warning")
    assert len(refusals) == 1 and "tcp_fin_timeout refused on web1 (tcp_tuning_fail_on: warning)" in refusals[0]
    assert tcp_profile_guard(check, wanted, "web1", "skip", "never") == []


def test_guard_refuses_a_read_only_proc_sys():
    refusals = tcp_profile_guard(_check(proc_sys_net_writable=False),
                                 {"net.ipv4.tcp_fin_timeout": 20}, "box1")
    assert len(refusals) == 1 and "read-only" in refusals[0] and "box1" in refusals[0]


def test_guard_passes_skipped_checks_and_empty_settings():
    assert tcp_profile_guard({"skipped": True}, {"net.ipv4.tcp_tw_recycle": 1}, "web1") == []
    assert tcp_profile_guard(_check(), {}, "web1") == []


def test_guard_validates_its_arguments():
    wanted = {"net.ipv4.tcp_fin_timeout": 20}
    with pytest.raises(AnsibleFilterError, match="missing must be"):
        tcp_profile_guard(_check(), wanted, "web1", "ignore")
    with pytest.raises(AnsibleFilterError, match="fail_on must be"):
        tcp_profile_guard(_check(), wanted, "web1", "skip", "info")
    with pytest.raises(AnsibleFilterError, match="settings must be a dict"):
        tcp_profile_guard(_check(), ["net.ipv4.tcp_fin_timeout"], "web1")


def test_findings_lines_leave_out_the_change_itself():
    lines = tcp_profile_findings(_check(FIN_FINDING, DRIFT_FINDING, UNRELATED),
                                 {"net.ipv4.tcp_fin_timeout": 5})
    assert lines == ["warning fin-timeout-low: tcp_fin_timeout=5 resets slow peers. Fix: Use 10 or more."]


# --- report ------------------------------------------------------------------------

DROPIN = "/etc/sysctl.d/99-zz-netfleet-tcp-tuning.conf"


def _apply(keys, file_changed=False, state="present", **extra):
    result = {"changed": file_changed or any(e["status"] == "changed" for e in keys.values()),
              "keys": keys, "file": DROPIN, "file_changed": file_changed, "state": state}
    result.update(extra)
    return result


def _key(before, after, status):
    return {"before": before, "after": after, "persisted": after, "status": status, "reason": ""}


def test_check_mode_report_lists_exactly_the_drifted_key():
    apply = _apply({
        "net.ipv4.tcp_fin_timeout": _key("60", "20", "changed"),
        "net.ipv4.tcp_keepalive_time": _key("600", "600", "unchanged"),
        "net.ipv4.tcp_max_orphans": _key(None, None, "skipped-missing"),
    }, file_changed=True)
    report = tcp_profile_report(apply, "web2", True, "web_frontend")
    assert report["lines"] == [
        "net.ipv4.tcp_fin_timeout: live 60, wanted 20; %s would change" % DROPIN]
    assert report["summary"] == (
        "web2: 1 drifted from web_frontend (net.ipv4.tcp_fin_timeout); nothing changed (check mode); "
        "1 skipped (absent here: net.ipv4.tcp_max_orphans)")
    # Under --check nothing may change: the re-read must show the values from before.
    assert report["expected"] == {"net.ipv4.tcp_fin_timeout": "60", "net.ipv4.tcp_keepalive_time": "600"}
    assert report["changed_keys"] == ["net.ipv4.tcp_fin_timeout"]
    assert report["skipped_keys"] == ["net.ipv4.tcp_max_orphans"]


def test_check_mode_report_of_live_drift_does_not_claim_the_file_would_change():
    # Only the live value drifted; sysctl_profile found the drop-in already holding 20.
    apply = _apply({
        "net.ipv4.tcp_fin_timeout": _key("60", "20", "changed"),
        "net.ipv4.tcp_keepalive_time": _key("600", "600", "unchanged"),
    }, file_changed=False)
    report = tcp_profile_report(apply, "web2", True, "web_frontend")
    assert report["lines"] == [
        "net.ipv4.tcp_fin_timeout: live 60, wanted 20; %s already persists 20 "
        "(only the live value would change)" % DROPIN]
    assert report["summary"].startswith(
        "web2: 1 drifted from web_frontend (net.ipv4.tcp_fin_timeout); nothing changed (check mode)")


def test_check_mode_report_follows_file_changed_key_by_key():
    keys = {"net.ipv4.tcp_fin_timeout": _key("60", "20", "changed"),
            "net.ipv4.tcp_keepalive_time": _key("7200", "600", "changed")}
    rewritten = tcp_profile_report(_apply(keys, file_changed=True), "web2", True)["lines"]
    kept = tcp_profile_report(_apply(keys, file_changed=False), "web2", True)["lines"]
    assert all(line.endswith("%s would change" % DROPIN) for line in rewritten), rewritten
    assert all("%s already persists" % DROPIN in line and "%s would change" % DROPIN not in line
               for line in kept), kept


def test_check_mode_report_without_a_drop_in_or_when_removing():
    live_only = _apply({"net.ipv4.tcp_fin_timeout": _key("60", "20", "changed")}, file=None)
    assert tcp_profile_report(live_only, "web2", True)["lines"] == [
        "net.ipv4.tcp_fin_timeout: live 60, wanted 20; live value only (persist: false)"]
    gone = _apply({"net.ipv4.tcp_fin_timeout": _key("20", "60", "changed")}, state="absent",
                  removed_files=[])
    assert tcp_profile_report(gone, "web2", True)["lines"] == [
        "net.ipv4.tcp_fin_timeout: live 20, wanted 60; %s is already absent" % DROPIN]
    removing = _apply({"net.ipv4.tcp_fin_timeout": _key("20", "60", "changed")}, file_changed=True,
                      state="absent", removed_files=[DROPIN])
    assert tcp_profile_report(removing, "web2", True)["lines"] == [
        "net.ipv4.tcp_fin_timeout: live 20, wanted 60; %s would be removed" % DROPIN,
        "%s: would be removed" % DROPIN]


def test_check_mode_report_without_drift():
    apply = _apply({"net.ipv4.tcp_fin_timeout": _key("20", "20", "unchanged")})
    report = tcp_profile_report(apply, "web1", True, "web_frontend")
    assert report["lines"] == []
    assert report["summary"] == "web1: no drift from web_frontend (1 keys in line)"


def test_report_names_persisted_drift_with_its_file():
    apply = _apply({"net.ipv4.tcp_fin_timeout": _key("20", "20", "unchanged")}, file_changed=True)
    check = {"keys": {"net.ipv4.tcp_fin_timeout": {
        "live": "20", "persisted": "60", "persisted_file": DROPIN}}}
    report = tcp_profile_report(apply, "web1", True, "web_frontend", check)
    assert report["lines"] == [
        "net.ipv4.tcp_fin_timeout: live 20 as wanted, but %s persists 60; %s would change"
        % (DROPIN, DROPIN)]
    assert "1 drifted" in report["summary"]


def test_report_of_a_file_only_change_without_per_key_evidence():
    apply = _apply({"net.ipv4.tcp_fin_timeout": _key("20", "20", "unchanged")}, file_changed=True)
    report = tcp_profile_report(apply, "web1", True, ["web_frontend", "high_throughput"])
    assert report["lines"] == [
        "%s: would be rewritten (the persisted values differ from the profile)" % DROPIN]
    assert "web_frontend+high_throughput" in report["summary"]


def test_real_run_report():
    apply = _apply({
        "net.ipv4.tcp_fin_timeout": _key("60", "20", "changed"),
        "net.core.somaxconn": _key("65535", "65535", "unchanged"),
    }, file_changed=True)
    report = tcp_profile_report(apply, "web1", False, "web_frontend")
    assert report["lines"] == ["net.ipv4.tcp_fin_timeout: 60 -> 20; %s" % DROPIN]
    assert report["summary"] == "web1: web_frontend applied: 1 changed, 1 unchanged; %s written" % DROPIN
    assert report["expected"] == {"net.ipv4.tcp_fin_timeout": "20", "net.core.somaxconn": "65535"}


def test_absent_report():
    apply = _apply({"net.ipv4.tcp_fin_timeout": _key("20", "60", "changed")}, file_changed=True,
                   state="absent", removed_files=[DROPIN])
    report = tcp_profile_report(apply, "web1", False, "web_frontend")
    assert report["lines"] == ["net.ipv4.tcp_fin_timeout: 20 -> 60; %s" % DROPIN, "%s: removed" % DROPIN]
    assert report["summary"] == ("web1: profile removed: 1 key(s) restored, 0 already at their "
                                 "original value; %s removed" % DROPIN)


def test_report_of_a_skipped_or_missing_apply():
    assert "nothing to apply" in tcp_profile_report({"skipped": True}, "web1", False, "none")["summary"]
    assert "did not run" in tcp_profile_report({}, "web1")["summary"]


# --- verify ----------------------------------------------------------------------------


def _reread(live, sources=()):
    return {"keys": dict((key, {"live": value}) for key, value in live.items()),
            "persisted": {"sources": list(sources)}}


def test_verify_compares_like_the_kernel():
    reread = _reread({"net.ipv4.tcp_rmem": "4096\t131072\t33554432",
                      "net.ipv4.ip_local_reserved_ports": "30000-30001",
                      "net.core.somaxconn": "65535"})
    expected = {"net.ipv4.tcp_rmem": "4096 131072 33554432",
                "net.ipv4.ip_local_reserved_ports": "30000,30001",
                "net.core.somaxconn": ">=8192"}
    assert tcp_profile_verify(reread, expected, "web1") == []


def test_verify_names_every_mismatch():
    reread = _reread({"net.ipv4.tcp_fin_timeout": "60", "net.core.somaxconn": "4096"})
    problems = tcp_profile_verify(reread, {"net.ipv4.tcp_fin_timeout": 20, "net.core.somaxconn": ">=8192",
                                           "net.ipv4.tcp_mem": "1 2 3"}, "web1")
    assert problems == [
        "net.ipv4.tcp_fin_timeout on web1: re-read 60, expected 20",
        "net.core.somaxconn on web1: re-read 4096, expected >=8192",
        "net.ipv4.tcp_mem on web1: re-read absent, expected 1 2 3",
    ]


def test_verify_after_removal_checks_the_drop_in_is_gone():
    apply = _apply({}, file_changed=True, state="absent", removed_files=[DROPIN])
    assert tcp_profile_verify(_reread({}, [DROPIN]), {}, "web1", apply) == [
        "%s on web1: the drop-in is still there" % DROPIN]
    assert tcp_profile_verify(_reread({}, [DROPIN]), {}, "web1", apply, True) == []
    assert tcp_profile_verify(_reread({}, []), {}, "web1", apply) == []
    assert tcp_profile_verify({"skipped": True}, {"k.k": 1}, "web1") == []


def test_verify_leaves_out_keys_absent_here_only_under_skip():
    reread = {"keys": {"net.ipv4.tcp_max_orphans": {"live": None, "exists": False}}}
    expected = {"net.ipv4.tcp_max_orphans": 65536}
    assert tcp_profile_verify(reread, expected, "web1") == []
    assert tcp_profile_verify(reread, expected, "web1", None, False, "fail") == [
        "net.ipv4.tcp_max_orphans on web1: re-read absent, expected 65536"]
