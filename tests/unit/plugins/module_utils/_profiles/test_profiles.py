# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tuning profiles: data integrity, per-host formulas, override merging."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given, strategies as st

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _profiles
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import (
    FORMULAS,
    PROFILES,
    ProfileError,
    describe_profiles,
    kernel_ehash_entries,
    plan,
    profile_names,
    render_profile as render,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem, value_problem
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import parse_bound

GIB = 1024 ** 3

# A 24 GiB-ish host as /proc/meminfo reports it (MemTotal in kB * 1024).
BIG = {
    "mem_total_bytes": 24684084 * 1024,
    "page_size": 4096,
    "listen_ports": [22, 443, 8080, 30000, 40000],
    "kernel_version": [6, 1, 0],
    "initial_netns": True,
}
SMALL = dict(BIG, mem_total_bytes=512 * 1024 * 1024, listen_ports=[22])

STATIC_PROFILES = sorted(PROFILES)


def _ints(text):
    return [int(part) for part in str(text).split()]


# --- data integrity -------------------------------------------------------


@pytest.mark.parametrize("name", STATIC_PROFILES)
def test_every_entry_is_well_formed(name):
    seen = set()
    for entry in PROFILES[name]["settings"]:
        assert key_problem(entry["key"]) is None, entry["key"]
        assert entry["key"] not in seen, "duplicate key %s" % entry["key"]
        seen.add(entry["key"])
        assert ("value" in entry) != ("formula" in entry), entry["key"]
        assert len(entry["reason"]) > 40, "reason too short for %s" % entry["key"]
        if "formula" in entry:
            assert entry["formula"] in FORMULAS
        else:
            if isinstance(entry["value"], str) and entry["value"].startswith(("<", ">")):
                assert parse_bound(entry["value"]) is not None, entry["key"]
            else:
                assert value_problem(entry["value"]) is None, entry["key"]


def test_required_profiles_exist():
    assert set(["web_frontend", "outbound_heavy", "high_throughput", "kernel_defaults",
                "none"]) == set(profile_names())
    assert profile_names()[-1] == "none"


def test_issue_content_of_profiles():
    web = set(entry["key"] for entry in PROFILES["web_frontend"]["settings"])
    assert {"net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog", "net.core.somaxconn",
            "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_max_tw_buckets"} <= web
    out = dict((entry["key"], entry) for entry in PROFILES["outbound_heavy"]["settings"])
    assert out["net.ipv4.tcp_tw_reuse"]["value"] == 1
    assert out["net.ipv4.tcp_timestamps"]["value"] == 1
    assert out["net.ipv4.ip_local_reserved_ports"]["formula"] == "reserved_listen_ports"
    high = set(entry["key"] for entry in PROFILES["high_throughput"]["settings"])
    assert {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_notsent_lowat",
            "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_mem"} <= high


def test_no_profile_sets_tw_recycle_or_ip_forward():
    for name in STATIC_PROFILES:
        keys = [entry["key"] for entry in PROFILES[name]["settings"]]
        assert "net.ipv4.tcp_tw_recycle" not in keys
        assert "net.ipv4.ip_forward" not in keys


def test_web_frontend_does_not_set_tw_reuse():
    # Only the connecting side benefits; a server that accepts would be flagged.
    keys = [entry["key"] for entry in PROFILES["web_frontend"]["settings"]]
    assert "net.ipv4.tcp_tw_reuse" not in keys


def test_namespace_global_keys_stay_in_the_rendered_profile():
    # A child namespace lacks them; the missing-key policy decides, not the profile.
    child = dict(BIG, initial_netns=False)
    assert "net.ipv4.tcp_max_orphans" in render(child, "web_frontend")
    high = render(child, "high_throughput")
    assert "net.ipv4.tcp_mem" in high
    assert "net.core.netdev_max_backlog" in high


def test_port_range_has_different_parity_and_starts_above_1024():
    low, high = _ints(render(BIG, "outbound_heavy")["net.ipv4.ip_local_port_range"])
    assert 1024 <= low < high <= 65535
    assert low % 2 != high % 2


def test_syn_backlog_not_above_somaxconn():
    settings = render(BIG, "web_frontend")
    assert parse_bound(settings["net.ipv4.tcp_max_syn_backlog"])[1] <= \
        parse_bound(settings["net.core.somaxconn"])[1]


def test_buffer_triples_are_ordered():
    settings = render(BIG, "high_throughput")
    for key in ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_mem"):
        values = _ints(settings[key])
        assert values == sorted(values), key


# --- formulas ------------------------------------------------------------------


def test_kernel_ehash_matches_a_real_24_gib_host():
    # That host shows tcp_max_tw_buckets = tcp_max_orphans = 131072, syn backlog 2048.
    entries = kernel_ehash_entries(BIG["mem_total_bytes"], 4096)
    assert entries // 2 == 131072
    assert entries // 128 == 2048


def test_kernel_ehash_is_capped():
    assert kernel_ehash_entries(1024 * GIB, 4096) == 512 * 1024


def test_tcp_mem_counts_pages_not_bytes():
    pages = BIG["mem_total_bytes"] // 4096
    low, pressure, high = _ints(render(BIG, "high_throughput")["net.ipv4.tcp_mem"])
    assert (low, pressure, high) == (pages // 16, pages // 8, pages // 4)
    assert high * 4096 < BIG["mem_total_bytes"]


def test_tcp_mem_follows_the_page_size():
    big_pages = dict(BIG, page_size=65536)
    four_k = _ints(render(BIG, "high_throughput")["net.ipv4.tcp_mem"])
    sixty_four_k = _ints(render(big_pages, "high_throughput")["net.ipv4.tcp_mem"])
    assert sixty_four_k[2] == pytest.approx(four_k[2] / 16, rel=0.01)


def test_tw_buckets_between_kernel_default_and_the_established_hash():
    for context in (BIG, SMALL):
        buckets = render(context, "web_frontend")["net.ipv4.tcp_max_tw_buckets"]
        ehash = kernel_ehash_entries(context["mem_total_bytes"], 4096)
        assert ehash // 2 <= buckets <= ehash
    # 24 GiB: the memory budget (1.5 Mi sockets) is capped at the 256 Ki-bucket hash
    assert render(BIG, "web_frontend")["net.ipv4.tcp_max_tw_buckets"] == 262144


def test_tw_buckets_on_64_gib_stop_at_the_hash_cap():
    # MemTotal/64/256 would be 4 Mi TIME_WAIT sockets; the hash has at most 512 Ki buckets
    # (alloc_large_system_hash's limit in tcp_init), so 8 sockets would share each chain.
    context = dict(BIG, mem_total_bytes=64 * GIB)
    assert render(context, "web_frontend")["net.ipv4.tcp_max_tw_buckets"] == 512 * 1024


def test_typical_orphans_fill_at_most_a_quarter_of_memory():
    for context in (BIG, SMALL):
        orphans = render(context, "web_frontend")["net.ipv4.tcp_max_orphans"]
        assert orphans * 64 * 1024 <= context["mem_total_bytes"] // 4


@given(st.integers(min_value=64, max_value=4096), st.sampled_from([4096, 16384, 65536]))
def test_memory_formulas_are_sane_for_any_host(mib, page):
    context = dict(BIG, mem_total_bytes=mib * 1024 * 1024, page_size=page)
    settings = render(context, ["web_frontend", "high_throughput"])
    tcp_mem = _ints(settings["net.ipv4.tcp_mem"])
    assert tcp_mem == sorted(tcp_mem)
    assert tcp_mem[2] * page <= context["mem_total_bytes"]
    assert settings["net.ipv4.tcp_max_tw_buckets"] > 0
    assert settings["net.ipv4.tcp_max_orphans"] * 64 * 1024 <= context["mem_total_bytes"] // 4 \
        or settings["net.ipv4.tcp_max_orphans"] == 1024


def test_reserved_ports_are_the_listeners_inside_the_range():
    settings = render(BIG, "outbound_heavy")
    # 22 and 443 are below 10000, 8080 too; 30000 and 40000 are inside.
    assert settings["net.ipv4.ip_local_reserved_ports"] == "30000,40000"


def test_reserved_ports_follow_an_overridden_range():
    settings = render(BIG, "outbound_heavy",
                      host_overrides={"net.ipv4.ip_local_port_range": "1024 65535"})
    assert settings["net.ipv4.ip_local_reserved_ports"] == "8080,30000,40000"


def test_reserved_ports_keep_existing_reservations():
    result = {"context": BIG, "keys": {"net.ipv4.ip_local_reserved_ports": {"live": "50000-50002"}}}
    assert render(result, "outbound_heavy")["net.ipv4.ip_local_reserved_ports"] == \
        "30000,40000,50000-50002"


def test_reserved_ports_left_alone_when_nothing_to_reserve():
    assert "net.ipv4.ip_local_reserved_ports" not in render(SMALL, "outbound_heavy")


def test_reserved_ports_use_the_live_range_without_a_profile_range():
    result = {"context": BIG, "keys": {"net.ipv4.ip_local_port_range": {"live": "35000\t45000"}}}
    settings = render(result, "none", host_overrides={})
    assert settings == {}
    rows = _profiles._formulas._reserved_listen_ports("net.ipv4.ip_local_reserved_ports", BIG, result, {})
    assert rows == "40000"


def test_reserved_ports_refuse_a_live_list_the_kernel_would_not_print():
    result = {"context": BIG, "keys": {"net.ipv4.ip_local_reserved_ports": {"live": "80,abc"}}}
    with pytest.raises(ProfileError, match="cannot read port list"):
        _profiles._formulas._reserved_listen_ports("net.ipv4.ip_local_reserved_ports", BIG, result, {})


def test_missing_memory_is_a_clear_error():
    with pytest.raises(ProfileError, match="mem_total_bytes"):
        render({"page_size": 4096, "listen_ports": []}, "web_frontend")


def test_missing_listen_ports_is_a_clear_error():
    context = dict(BIG)
    del context["listen_ports"]
    with pytest.raises(ProfileError, match="listen_ports"):
        render(context, "outbound_heavy")


# --- kernel defaults ------------------------------------------------------------


def test_kernel_tcp_mem_keeps_the_kernels_own_value():
    # Live value sized by the kernel from free pages at boot, slightly below MemTotal.
    live = {"context": BIG, "keys": {"net.ipv4.tcp_mem": {"live": "287898 383867 575796"}}}
    value = _profiles._formulas._kernel_tcp_mem_formula("net.ipv4.tcp_mem", BIG, live, {})
    assert value == "287898 383867 575796"
    tuned = {"context": BIG, "keys": {"net.ipv4.tcp_mem": {"live": "94500000 915000000 927000000"}}}
    value = _profiles._formulas._kernel_tcp_mem_formula("net.ipv4.tcp_mem", BIG, tuned, {})
    pages = BIG["mem_total_bytes"] // 4096
    assert _ints(value)[1] == pages // 16


def test_kernel_rmem_and_somaxconn_follow_the_kernel_version():
    old = dict(BIG, kernel_version=[4, 19, 0])
    assert _profiles._formulas._kernel_tcp_rmem("k", old, {}, {}) == "4096 87380 6291456"
    assert _profiles._formulas._kernel_tcp_rmem("k", BIG, {}, {}) == "4096 131072 6291456"
    assert _profiles._formulas._kernel_somaxconn("k", old, {}, {}) == 128
    assert _profiles._formulas._kernel_somaxconn("k", BIG, {}, {}) == 4096
    tiny = dict(BIG, mem_total_bytes=64 * 1024 * 1024)
    assert _profiles._formulas._kernel_tcp_wmem("k", tiny, {}, {}) == "4096 16384 524288"


# --- overrides ------------------------------------------------------------------


def test_override_order_is_profile_group_host():
    rows = plan(BIG, "web_frontend",
                {"net.ipv4.tcp_fin_timeout": 30, "net.ipv4.tcp_keepalive_time": 900},
                {"net.ipv4.tcp_fin_timeout": 25})
    by_key = dict((row["key"], row) for row in rows)
    assert by_key["net.ipv4.tcp_fin_timeout"]["value"] == 25
    assert by_key["net.ipv4.tcp_fin_timeout"]["source"] == "host"
    assert by_key["net.ipv4.tcp_keepalive_time"]["value"] == 900
    assert by_key["net.ipv4.tcp_keepalive_time"]["source"] == "group"
    assert by_key["net.ipv4.tcp_syncookies"]["source"] == "profile"


def test_null_override_removes_a_key():
    settings = render(BIG, "web_frontend", {"net.ipv4.tcp_max_orphans": None})
    assert "net.ipv4.tcp_max_orphans" not in settings
    settings = render(BIG, "web_frontend", {"net.ipv4.tcp_fin_timeout": 30},
                      {"net.ipv4.tcp_fin_timeout": None})
    assert "net.ipv4.tcp_fin_timeout" not in settings


def test_override_replaces_a_formula():
    settings = render(BIG, "web_frontend", host_overrides={"net.ipv4.tcp_max_tw_buckets": 200000})
    assert settings["net.ipv4.tcp_max_tw_buckets"] == 200000


def test_overrides_add_keys_outside_the_profile():
    settings = render(BIG, "none", {"net.ipv4.tcp_rfc1337": 1})
    assert settings == {"net.ipv4.tcp_rfc1337": 1}


def test_override_values_are_passed_on_for_the_shared_rules_to_judge():
    # tcp_tw_recycle is refused by the guard with its reasons, not silently dropped here.
    settings = render(BIG, "web_frontend", host_overrides={"net.ipv4.tcp_tw_recycle": 1})
    assert settings["net.ipv4.tcp_tw_recycle"] == 1


@pytest.mark.parametrize("bad", ["/proc/sys/net/ipv4/tcp_fin_timeout", "net..ipv4", "../etc"])
def test_bad_override_keys_are_refused(bad):
    with pytest.raises(ProfileError, match="host overrides"):
        render(BIG, "web_frontend", host_overrides={bad: 1})


def test_overrides_must_be_dicts():
    with pytest.raises(ProfileError, match="group overrides must be a dict"):
        render(BIG, "web_frontend", ["net.ipv4.tcp_fin_timeout=30"])


def test_profiles_combine_in_order():
    settings = render(BIG, ["web_frontend", "outbound_heavy"])
    assert settings["net.ipv4.tcp_tw_reuse"] == 1
    assert "net.core.somaxconn" in settings


def test_unknown_profile_lists_the_choices():
    with pytest.raises(ProfileError, match="web_frontend"):
        render(BIG, "web_fronted")


def test_host_must_be_a_dict():
    with pytest.raises(ProfileError, match="sysctl_check result"):
        render("web1", "web_frontend")


def test_accepts_a_whole_check_result_or_its_context():
    assert render({"context": BIG, "keys": {}}, "web_frontend") == render(BIG, "web_frontend")


def test_render_is_deterministic_and_sorted():
    first = render(BIG, ["high_throughput", "outbound_heavy"])
    assert list(first) == sorted(first)
    assert first == render(BIG, ["high_throughput", "outbound_heavy"])


# --- description for the docs -------------------------------------------------


def test_describe_lists_static_profiles_with_formulas_and_reasons():
    described = dict((item["name"], item) for item in describe_profiles()
                     if item["name"] != "kernel_defaults")
    assert set(described) == set(STATIC_PROFILES + ["none"])
    web = dict((row["key"], row) for row in described["web_frontend"]["settings"])
    assert web["net.ipv4.tcp_fin_timeout"]["value"] == "20"
    tw = web["net.ipv4.tcp_max_tw_buckets"]
    assert tw["host_dependent"] and tw["value"] is None and "MemTotal" in tw["formula_text"]
    for item in described.values():
        assert item["summary"]
        for row in item["settings"]:
            assert row["reason"]


# --- built on the knob catalog ------------------------------------------------


@pytest.mark.parametrize("name", profile_names())
def test_every_key_is_in_the_catalog_and_every_value_fits_it(name):
    for context in (BIG, SMALL):
        for key, value in render(context, name).items():
            assert _catalog.knob(key) is not None, "%s is not in the knob catalog" % key
            bound = parse_bound(value)
            if bound:
                assert _catalog.is_single_integer(key), key
                value = bound[1]
            assert _catalog.shape_problem(key, value) is None, (key, value)


def test_kernel_defaults_undo_every_other_profile():
    kernel = render(BIG, "kernel_defaults")
    for name in STATIC_PROFILES:
        for key in render(BIG, name):
            if key != "net.ipv4.ip_local_reserved_ports":
                assert key in kernel, key
    assert "net.ipv4.ip_local_reserved_ports" not in kernel
    assert kernel["net.ipv4.tcp_tw_recycle"] == "0"


def test_kernel_defaults_come_from_the_catalog_or_the_kernels_formula():
    kernel = render(BIG, "kernel_defaults")
    for key, value in kernel.items():
        default = _catalog.knob(key)["default"]
        if key in _profiles._data.KERNEL_DEFAULT_FORMULAS:
            continue
        assert value == default, key
    assert kernel["net.ipv4.tcp_fin_timeout"] == "60"
    assert kernel["net.ipv4.tcp_max_tw_buckets"] == 131072
    assert kernel["net.ipv4.tcp_max_orphans"] == 131072
    assert kernel["net.ipv4.tcp_max_syn_backlog"] == 2048
    assert kernel["net.core.somaxconn"] == 4096
    # No bound survives into kernel_defaults: it must bring values down again.
    assert not any(parse_bound(value) for value in kernel.values())


def test_kernel_defaults_described_with_reasons():
    described = dict((item["name"], item) for item in describe_profiles())["kernel_defaults"]
    rows = dict((row["key"], row) for row in described["settings"])
    assert rows["net.ipv4.tcp_mem"]["host_dependent"]
    assert "undoes high_throughput" in rows["net.ipv4.tcp_mem"]["reason"]
    assert rows["net.ipv4.tcp_fin_timeout"]["value"] == "60"


# --- the role's interface follows the data ---------------------------------------

ROLE = __import__("os").path.join(
    __import__("os").path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "tcp_tuning")


def _role_yaml(*parts):
    import yaml

    with open(__import__("os").path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def test_role_profile_choices_are_the_profiles():
    options = _role_yaml("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(options["tcp_tuning_profile"]["choices"]) == sorted(profile_names())


def test_role_defaults_and_argument_specs_agree():
    # The spec repeats each default so that ansible-doc -t role shows it; they must be equal.
    options = _role_yaml("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _role_yaml("defaults", "main.yml")
    assert set(options) == set(defaults)
    for name, spec in options.items():
        assert name.startswith("tcp_tuning_")
        assert spec["default"] == defaults[name], name
        assert spec.get("description"), name
    for name in _role_yaml("vars", "main.yml"):
        assert name.startswith("__tcp_tuning_"), name
