# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_check over fake /proc and / trees: persisted rules both ways, drift, a clean host, a blog list."""

import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _rules, _sysctl_check as _check
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils.check_proctree import build_proc, write


@pytest.fixture
def host(tmp_path):
    class Host(object):
        root = str(tmp_path / "root")
        proc_kwargs = {}

        def file(self, path, text):
            write(os.path.join(self.root, path.lstrip("/")), text)

        def link(self, path, target):
            full = os.path.join(self.root, path.lstrip("/"))
            if not os.path.isdir(os.path.dirname(full)):
                os.makedirs(os.path.dirname(full))
            os.symlink(target, full)

        def check(self, settings=None, keys=None, nat_facing="false", **proc_kwargs):
            proc = build_proc(tmp_path, **proc_kwargs)
            return _check.run_check(settings=settings, proc=proc, root=self.root, nat_facing=nat_facing,
                                    keys=keys, which=lambda name: None)

    os.makedirs(os.path.join(str(tmp_path), "root"))
    return Host()


def ids(result, key=None, part="findings"):
    return sorted(item["id"] for item in result[part] if key is None or item["key"] == key)


def only(result, rule_id, part="findings"):
    found = [item for item in result[part] if item["id"] == rule_id]
    assert len(found) == 1, result[part]
    return found[0]


def test_clean_host_clean_settings_finds_nothing(host):
    host.file("/usr/lib/sysctl.d/50-default.conf", "net.ipv4.tcp_syncookies = 1\nkernel.sysrq = 16\n")
    result = host.check(settings={"net.ipv4.tcp_fin_timeout": 60, "net.core.somaxconn": ">=1024",
                                  "net.ipv4.tcp_rmem": "4096 131072 6291456"},
                        sysctls={"kernel.sysrq": "16"})
    assert result["findings"] == []
    assert result["summary"] == {"errors": 0, "warnings": 0, "infos": 0, "drift": 0,
                                 "keys_checked": len(result["keys"])}
    assert result["keys"]["net.ipv4.tcp_rmem"]["live"] == "4096 131072 6291456"
    assert result["keys"]["net.core.somaxconn"]["desired"] == ">=1024"
    assert result["keys"]["net.ipv4.tcp_syncookies"]["persisted_file"] == "/usr/lib/sysctl.d/50-default.conf"
    assert "sysctl_live" not in result["context"]
    assert result["persisted"]["sources"] == ["/usr/lib/sysctl.d/50-default.conf"]
    assert not _rules.should_fail(result["findings"], "warning")


def test_catalog_keys_absent_here_are_not_judged_by_default(host):
    result = host.check()
    assert "net.ipv4.tcp_tw_recycle" not in result["keys"]
    assert result["keys"]["net.ipv4.tcp_fin_timeout"] == {
        "live": "60", "persisted": None, "persisted_file": None, "desired": None, "in_catalog": True, "exists": True}


def test_explicit_keys_outside_the_catalog(host):
    result = host.check(keys=["net.ipv4.tcp_congestion_control", "net.ipv4.tcp_nonexistent", "Bad Key"],
                        sysctls={"net.ipv4.tcp_congestion_control": "cubic"})
    assert set(result["keys"]) == {"net.ipv4.tcp_congestion_control", "net.ipv4.tcp_nonexistent"}
    assert result["keys"]["net.ipv4.tcp_congestion_control"]["in_catalog"] is False
    assert ids(result) == ["key-invalid", "key-missing"]
    assert "no such key under /proc/sys" in only(result, "key-missing")["message"]


# --- drift ------------------------------------------------------------------------------------------------------

def test_live_differs_desired_both_ways(host):
    result = host.check(settings={"net.ipv4.tcp_fin_timeout": 30})
    item = only(result, "live-differs-desired", part="drift")
    assert item["value"] == "60" and "desired value is 30" in item["message"]
    assert result["summary"]["drift"] == 1
    # drift is the host's state, apart from the judgement of the values: no finding, no gate
    assert result["findings"] == [] and result["summary"]["warnings"] == 0
    assert ids(host.check(settings={"net.ipv4.tcp_rmem": "4096  131072\t6291456"}), part="drift") == []
    assert ids(host.check(settings={"net.core.somaxconn": ">=8192"}), part="drift") == ["live-differs-desired"]
    assert ids(host.check(settings={"net.core.somaxconn": "<=8192"}), part="drift") == []


def test_persisted_drift_both_ways(host):
    host.file("/etc/sysctl.d/60-tune.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    result = host.check()
    item = only(result, "persisted-drift", part="drift")
    assert item["key"] == "net.ipv4.tcp_fin_timeout" and item["value"] == "60"
    assert "/etc/sysctl.d/60-tune.conf line 1 sets 45" in item["message"]
    assert result["findings"] == [] and result["summary"]["drift"] == 1
    assert host.check(sysctls={"net.ipv4.tcp_fin_timeout": "45"})["drift"] == []


def test_shadowing_file_is_named(host):
    host.file("/etc/sysctl.d/90-netfleet.conf", "net.ipv4.tcp_fin_timeout = 30\n")
    host.file("/etc/sysctl.d/99-zzz-local-override.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    result = host.check(settings={"net.ipv4.tcp_fin_timeout": 30}, sysctls={"net.ipv4.tcp_fin_timeout": "45"})
    item = only(result, "persisted-shadows-desired")
    assert "/etc/sysctl.d/99-zzz-local-override.conf" in item["message"] and "desired 30" in item["message"]
    conflict = only(result, "persisted-conflict")
    assert "/etc/sysctl.d/99-zzz-local-override.conf line 1 wins" in conflict["message"]
    assert "30 in /etc/sysctl.d/90-netfleet.conf line 1" in conflict["message"]
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["persisted_file"] == "/etc/sysctl.d/99-zzz-local-override.conf"
    # the same file agreeing with the desired value shadows nothing
    result = host.check(settings={"net.ipv4.tcp_fin_timeout": 45}, sysctls={"net.ipv4.tcp_fin_timeout": "45"})
    assert "persisted-shadows-desired" not in ids(result)


def test_conflict_only_when_values_differ(host):
    host.file("/etc/sysctl.d/10-a.conf", "net.core.somaxconn = 4096\n")
    host.file("/etc/sysctl.d/20-b.conf", "net.core.somaxconn =   4096\n")
    assert host.check()["findings"] == []


# --- file problems ------------------------------------------------------------------------------------------------

def test_persisted_missing_key_names_the_kernel(host):
    host.file("/etc/sysctl.conf", "net.ipv4.tcp_tw_recycle = 1\n-net.ipv4.tcp_tw_reuse_delay = 100\n")
    host.link("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf")
    item = only(host.check(), "persisted-missing-key")
    assert item["key"] == "net.ipv4.tcp_tw_recycle"
    assert "removed in Linux 4.12; this host runs 6.1" in item["message"]
    assert "/etc/sysctl.d/99-sysctl.conf" in item["remediation"]
    # on a kernel that still has it: no missing key (but recycle=1 itself is judged as a value)
    result = host.check(release="4.9.0-8-amd64", sysctls={"net.ipv4.tcp_tw_recycle": "1"})
    assert "persisted-missing-key" not in ids(result)


def test_persisted_missing_key_outside_the_catalog(host):
    host.file("/etc/sysctl.d/30-x.conf", "net.netfilter.nf_conntrack_expect_max = 4096\n")
    item = only(host.check(), "persisted-missing-key")
    assert "no such key under /proc/sys on kernel 6.1" in item["message"]
    assert host.check(sysctls={"net.netfilter.nf_conntrack_expect_max": "4096"})["findings"] == []


def test_persisted_quoted_and_invalid(host):
    host.file("/etc/sysctl.d/40-blog.conf",
              'net.ipv4.ip_local_port_range = "32768 60999"\nthis is not a line\nnet.ipv4.tcp_tw_reuse = 5\n')
    result = host.check(sysctls={"net.ipv4.ip_local_port_range": "32768 60999", "net.ipv4.tcp_tw_reuse": "2"})
    # A quoted or bad persisted value gets the finding the same value gets as a setting.
    quoted = only(result, "value-quoted")
    assert "/etc/sysctl.d/40-blog.conf line 1" in quoted["message"]
    assert "'net.ipv4.ip_local_port_range = 32768 60999'" in quoted["remediation"]
    assert (quoted["severity"], quoted["file"], quoted["line"]) == ("error", "/etc/sysctl.d/40-blog.conf", 1)
    invalid = only(result, "persisted-invalid")
    assert "not a 'key = value' assignment" in invalid["message"]
    shape = only(result, "value-shape")
    assert "net.ipv4.tcp_tw_reuse in /etc/sysctl.d/40-blog.conf line 3: 5 is not a known value" in shape["message"]
    assert (shape["severity"], shape["file"], shape["line"]) == ("error", "/etc/sysctl.d/40-blog.conf", 3)


def test_invalid_key_in_a_file(host):
    host.file("/etc/sysctl.d/40-x.conf", "net.ipv4.Bad_Key = 1\n")
    assert "not a valid sysctl name" in only(host.check(), "key-invalid")["message"]


def test_loaders_disagree_without_the_99_link(host):
    host.file("/etc/sysctl.conf", "net.ipv4.tcp_fin_timeout = 15\n")
    result = host.check(sysctls={"net.ipv4.tcp_fin_timeout": "15"})
    item = only(result, "persisted-boot-disagree")
    assert "systemd-sysctl leaves the kernel's value" in item["message"]
    assert "15 (from /etc/sysctl.conf)" in item["message"]
    assert "99-sysctl.conf" in item["remediation"]
    host.link("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf")
    assert host.check(sysctls={"net.ipv4.tcp_fin_timeout": "15"})["findings"] == []


# --- settings problems end up as findings ----------------------------------------------------------------------------

def test_refusals_become_error_findings(host):
    result = host.check(settings={"net.ipv4.tcp_sack": "yes", "net.ipv4.tcp_mem": "1 2 3"},
                        drop=("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog"))
    assert ids(result) == ["key-missing", "value-boolean"]
    assert "initial network namespace" in only(result, "key-missing")["message"]
    assert result["keys"]["net.ipv4.tcp_sack"]["desired"] == "yes"
    assert result["keys"]["net.ipv4.tcp_mem"]["exists"] is False
    assert _rules.should_fail(result["findings"], "error")


def test_tw_recycle_zero_where_removed_is_only_info(host):
    result = host.check(settings={"net.ipv4.tcp_tw_recycle": 0})
    assert ids(result) == ["tw-recycle-obsolete"]
    assert not _rules.should_fail(result["findings"], "warning") and _rules.should_fail(result["findings"], "error") is False


def test_live_tw_recycle_on_a_nat_gateway(host):
    result = host.check(release="4.9.0-8-amd64", sysctls={"net.ipv4.tcp_tw_recycle": "1"}, nat_facing="true")
    assert ids(result) == ["tw-recycle-nat"]


BLOG = {
    "net.ipv4.tcp_syncookies": 1,
    "net.ipv4.tcp_tw_reuse": 1,
    "net.ipv4.tcp_tw_recycle": 1,
    "net.ipv4.tcp_timestamps": 0,
    "net.ipv4.tcp_fin_timeout": 5,
    "net.ipv4.tcp_max_tw_buckets": 5000,
    "net.ipv4.tcp_max_syn_backlog": 40240,
    "net.core.somaxconn": 4096,
    "net.ipv4.tcp_keepalive_time": 1200,
    "net.ipv4.ip_local_port_range": "1024 65000",
    "net.ipv4.tcp_mem": "94500000 915000000 927000000",
    "net.ipv4.tcp_max_orphans": 3276800,
    "net.ipv4.tcp_syn_retries": 2,
    "net.ipv4.tcp_synack_retries": 2,
    "net.ipv4.tcp_rmem": "87380 4096 4194304",
    "net.ipv4.tcp_sack": "on",
    "net.ipv4.tcp_window_scaling": '"1"',
}


def test_blog_list_reports_every_problem_in_one_run(host):
    host.file("/etc/sysctl.d/99-zzz-local-override.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    result = host.check(settings=BLOG, listeners=[("0.0.0.0", 22), ("0.0.0.0", 8080)], time_wait=12000,
                        active=10, passive=9000, nat_facing="auto")
    found = set(ids(result))
    assert {"tw-recycle-nat", "tw-reuse-no-timestamps", "tw-reuse-accepting-host", "tcp-mem-above-ram",
            "orphans-above-ram", "triple-order", "port-range-parity", "port-range-listeners",
            "tw-buckets-below-current", "fin-timeout-low", "retries-low", "syn-backlog-above-somaxconn",
            "value-boolean", "value-quoted", "persisted-shadows-desired"} <= found
    assert "live-differs-desired" in ids(result, part="drift") and "live-differs-desired" not in found
    assert result["context"]["nat_mode"] == "server"
    for item in result["findings"]:
        assert item["message"] and item["remediation"], item
    assert result["findings"][0]["severity"] == "error"
    assert "8080" in only(result, "port-range-listeners")["message"]


def test_blog_list_on_a_kernel_without_tw_recycle_and_no_nat(host):
    result = host.check(settings={"net.ipv4.tcp_tw_recycle": 1, "net.ipv4.ip_local_port_range": "1000 65000"},
                        listeners=[])
    assert set(ids(result)) >= {"tw-recycle-removed", "port-range-privileged", "port-range-parity"}


def test_should_fail_thresholds():
    def result(*severities):
        return [{"severity": severity} for severity in severities]
    assert _rules.should_fail(result("error"), "error")
    assert not _rules.should_fail(result("warning", "info"), "error")
    assert _rules.should_fail(result("warning"), "warning")
    assert not _rules.should_fail(result("info"), "warning")
    assert not _rules.should_fail(result("error"), "never")
    with pytest.raises(ValueError):
        _rules.should_fail(result(), "sometimes")


def test_missing_skip_turns_absent_keys_into_info_findings(host, tmp_path):
    drop = ("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog")
    settings = {"net.ipv4.tcp_mem": "1 2 3", "net.ipv4.tcp_max_orphans": 65536, "net.ipv4.tcp_fin_timeout": 60}
    proc = build_proc(tmp_path, drop=drop)
    result = _check.run_check(settings=settings, proc=proc, root=host.root, nat_facing="false",
                              which=lambda name: None, missing="skip")
    # tcp_mem "1 2 3" is still judged as the list writes it (far below the boot value), as info:
    # the key does not exist here, so nothing is written.
    assert ids(result) == ["key-missing", "key-missing", "tcp-mem-lowers-boot"]
    assert all(item["severity"] == "info" for item in result["findings"])
    assert "initial network namespace" in result["findings"][0]["message"]
    assert "judged as the list writes it" in only(result, "tcp-mem-lowers-boot")["message"]
    assert result["keys"]["net.ipv4.tcp_mem"]["desired"] is None
    assert result["keys"]["net.ipv4.tcp_fin_timeout"]["desired"] == "60"
    assert not _rules.should_fail(result["findings"], "warning")


def test_machine_wide_keys_refused_in_a_namespace_are_still_judged_as_written(host, tmp_path):
    # fs.file-max is one machine-wide value: refused in a child network namespace (key-machine-wide),
    # but a list's 51200 is still far below the boot value, reported as info since nothing is written.
    drop = ("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.core.netdev_max_backlog")
    proc = build_proc(tmp_path, drop=drop, sysctls={"fs.file-max": "9223372036854775807"})
    result = _check.run_check(settings={"fs.file-max": 51200}, proc=proc, root=host.root, nat_facing="false",
                              which=lambda name: None, missing="skip")
    assert ids(result) == ["file-max-lowers-boot", "key-machine-wide"]
    item = only(result, "file-max-lowers-boot")
    assert item["severity"] == "info" and "reaches beyond this network namespace" in item["message"]


def test_missing_skip_leaves_tw_recycle_obsolete_alone(host):
    result = host.check(settings={"net.ipv4.tcp_tw_recycle": 0})
    proc_result = _check.run_check(settings={"net.ipv4.tcp_tw_recycle": 0}, proc=os.path.join(
        os.path.dirname(host.root), "proc"), root=host.root, nat_facing="false", which=lambda name: None,
        missing="skip")
    assert ids(proc_result) == ids(result) == ["tw-recycle-obsolete"]
    assert proc_result["keys"]["net.ipv4.tcp_tw_recycle"]["desired"] == "0"


@pytest.mark.parametrize("key,value,rule_id", [
    ("net.ipv4.tcp_tw_reuse", "5", "value-shape"),
    ("net.ipv4.tcp_window_scaling", '"1"', "value-quoted"),
    ("net.ipv4.tcp_sack", "yes", "value-boolean"),
    ("net.ipv4.tcp_fin_timeout", "030", "value-leading-zero"),
    ("net.ipv4.tcp_fin_timeout", "0x1e", "value-hex"),
    ("net.ipv4.tcp_fin_timeout", "2", "fin-timeout-low"),
    ("net.ipv4.tcp_rmem", "87380 4096 16777216", "triple-order"),
    ("net.ipv4.ip_local_port_range", "1024 65000", "port-range-parity"),
    ("net.ipv4.ip_local_reserved_ports", "8080, 8081", "value-shape"),
])
def test_a_persisted_value_gets_the_finding_it_gets_as_a_setting(host, key, value, rule_id):
    as_setting = [item for item in host.check(settings={key: value})["findings"] if item["id"] == rule_id]
    assert len(as_setting) == 1, rule_id
    host.file("/etc/sysctl.d/50-pasted.conf", "# pasted\n%s = %s\n" % (key, value))
    persisted = [item for item in host.check()["findings"] if item["id"] == rule_id]
    assert len(persisted) == 1, host.check()["findings"]
    assert persisted[0]["severity"] == as_setting[0]["severity"]
    assert persisted[0]["key"] == key
    assert (persisted[0]["file"], persisted[0]["line"]) == ("/etc/sysctl.d/50-pasted.conf", 2)
