# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl.conf parsing, rendering, and the boot precedence resolver over fake trees."""

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_conf as conf
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import canonical
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError


def assigns(entries):
    return [(entry["key"], entry["value"]) for entry in entries if entry["kind"] == "assign"]


# --- parser ------------------------------------------------------------------------------------

def test_comments_and_blank_lines():
    text = "# comment\n; also a comment\n   # indented comment\n\n   \nnet.ipv4.tcp_fin_timeout = 30\n"
    entries = conf.parse(text, "f.conf")
    assert assigns(entries) == [("net.ipv4.tcp_fin_timeout", "30")]
    assert entries[0]["line"] == 6 and entries[0]["source"] == "f.conf"


def test_tabs_spaces_and_no_spaces():
    entries = conf.parse("net.ipv4.tcp_rmem\t=\t4096\t87380   6291456\t\nnet.core.somaxconn=4096\n")
    assert assigns(entries) == [("net.ipv4.tcp_rmem", "4096 87380 6291456"), ("net.core.somaxconn", "4096")]
    assert entries[0]["raw_value"] == "4096\t87380   6291456"


def test_ignore_errors_prefix():
    entries = conf.parse("-net.ipv4.tcp_tw_recycle = 0\n- net.ipv4.tcp_fin_timeout = 30\nnet.core.somaxconn = 1\n")
    assert [(e["key"], e["ignore_errors"]) for e in entries] == [
        ("net.ipv4.tcp_tw_recycle", True), ("net.ipv4.tcp_fin_timeout", True), ("net.core.somaxconn", False)]


def test_blank_value():
    entry = conf.parse("net.ipv4.ip_local_reserved_ports =\n")[0]
    assert entry["kind"] == "assign" and entry["value"] == "" and entry["raw_value"] == ""


def test_globs_and_exclusions():
    entries = conf.parse("net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n")
    assert entries[0]["glob"] is True and entries[0]["kind"] == "assign"
    assert entries[1]["kind"] == "exclude" and entries[1]["key"] == "net.ipv4.conf.all.rp_filter"
    assert entries[1]["value"] is None


@pytest.mark.parametrize("raw, key", [
    ("net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
    ("net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter"),
    ("net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.eth0/100.rp_filter"),
    ("/net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
    ("net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
])
def test_slash_separators(raw, key):
    assert conf.dotted_key(raw) == key
    assert conf.parse("%s = 1\n" % raw)[0]["key"] == key


def test_quoted_values_are_flagged_not_unquoted():
    entries = conf.parse('net.ipv4.ip_local_port_range = "1024 65000"\nnet.ipv4.tcp_fin_timeout = \'30\'\n')
    assert [e["quoted"] for e in entries] == [True, True]
    assert entries[0]["value"] == '"1024 65000"'


def test_invalid_lines():
    entries = conf.parse("just some words\nnet.ipv4.tcp_fin_timeout 30\n= 5\nbad key = 1\n")
    assert [e["kind"] for e in entries] == ["invalid"] * 4
    assert "line 1 is not a 'key = value' assignment" in entries[0]["reason"]
    assert "no valid key" in entries[2]["reason"]


def test_value_with_equals_and_hash_kept_verbatim():
    entry = conf.parse("kernel.core_pattern = |/bin/x a=b # not a comment\n")[0]
    assert entry["value"] == "|/bin/x a=b # not a comment"


# --- renderer -------------------------------------------------------------------------------------

def test_render_mapping_sorted_with_header():
    text = conf.render({"net.ipv4.tcp_rmem": [4096, 87380, "6291456"], "net.core.somaxconn": 4096},
                       header="managed by netfleet.tcp\nprofile: web")
    assert text == ("# managed by netfleet.tcp\n# profile: web\n"
                    "net.core.somaxconn = 4096\nnet.ipv4.tcp_rmem = 4096 87380 6291456\n")


def test_render_entries_keeps_flags_and_drops_invalid():
    entries = conf.parse("-net.ipv4.tcp_tw_recycle = 0\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n"
                         "garbage\nnet.ipv4.ip_local_reserved_ports =\n")
    assert conf.render(entries) == ("-net.ipv4.tcp_tw_recycle = 0\nnet.ipv4.conf.*.rp_filter = 2\n"
                                    "-net.ipv4.conf.all.rp_filter\nnet.ipv4.ip_local_reserved_ports =\n")
    assert conf.render([]) == ""


def test_render_refuses_booleans_and_keyless_entries():
    with pytest.raises(ValueError):
        conf.render({"net.ipv4.tcp_sack": True})
    with pytest.raises(ValueError):
        conf.render([{"kind": "assign", "value": "1"}])


COMPONENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8)
KEYS = st.lists(COMPONENT, min_size=2, max_size=5).map(".".join)
VALUES = st.lists(st.text(alphabet="abcdefghij0123456789-_:,./|", min_size=1, max_size=10), min_size=0, max_size=4).map(" ".join)


def kernel_text(key, value):
    try:
        return canonical(key, value)
    except KernelReadError:
        return conf.normalize_text(value)


@settings(max_examples=200)
@given(st.lists(st.tuples(KEYS, VALUES, st.booleans()), max_size=12))
def test_round_trip(items):
    entries = [{"key": key, "value": value, "kind": "assign", "ignore_errors": ignore} for key, value, ignore in items]
    again = conf.parse(conf.render(entries))
    # Values the kernel reads as integers are written in its canonical form ("00" as "0"),
    # everything else with its white space collapsed.
    assert [(e["key"], e["value"], e["ignore_errors"]) for e in again] == [
        (key, kernel_text(key, value), ignore) for key, value, ignore in items]
    assert conf.parse(conf.render(again)) == again


# --- resolver ---------------------------------------------------------------------------------------

def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)
    return full


def link(root, path, target):
    full = os.path.join(str(root), path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    os.symlink(target, full)


def test_empty_tree(tmp_path):
    result = conf.resolve(str(tmp_path))
    assert result["sources"] == [] and result["effective"] == {} and result["notes"] == []
    assert result["sysctl_conf"] == {"path": "/etc/sysctl.conf", "exists": False, "linked_as": None}


def test_files_sorted_by_name_across_directories_last_wins(tmp_path):
    write(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.ipv4.tcp_fin_timeout = 60\nnet.core.somaxconn = 128\n")
    write(tmp_path, "/etc/sysctl.d/10-early.conf", "net.ipv4.tcp_fin_timeout = 10\n")
    write(tmp_path, "/run/sysctl.d/70-run.conf", "net.ipv4.tcp_fin_timeout = 70\n")
    write(tmp_path, "/usr/local/lib/sysctl.d/60-local.conf", "net.core.somaxconn = 1024\n")
    write(tmp_path, "/etc/sysctl.d/README", "net.core.somaxconn = 1\n")          # not a .conf: ignored
    result = conf.resolve(str(tmp_path))
    assert result["sources"] == ["/etc/sysctl.d/10-early.conf", "/usr/lib/sysctl.d/50-default.conf",
                                 "/usr/local/lib/sysctl.d/60-local.conf", "/run/sysctl.d/70-run.conf"]
    assert result["effective"]["net.ipv4.tcp_fin_timeout"]["value"] == "70"
    assert result["effective"]["net.ipv4.tcp_fin_timeout"]["file"] == "/run/sysctl.d/70-run.conf"
    assert result["effective"]["net.core.somaxconn"]["file"] == "/usr/local/lib/sysctl.d/60-local.conf"
    assert [a["file"] for a in result["assignments"]["net.ipv4.tcp_fin_timeout"]] == [
        "/etc/sysctl.d/10-early.conf", "/usr/lib/sysctl.d/50-default.conf", "/run/sysctl.d/70-run.conf"]
    assert result["disagreements"] == {}


def test_same_name_in_etc_masks_run_and_usr_lib(tmp_path):
    write(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.core.somaxconn = 128\n")
    write(tmp_path, "/run/sysctl.d/50-default.conf", "net.core.somaxconn = 256\n")
    write(tmp_path, "/etc/sysctl.d/50-default.conf", "net.core.somaxconn = 512\n")
    result = conf.resolve(str(tmp_path))
    assert result["sources"] == ["/etc/sysctl.d/50-default.conf"]
    assert result["effective"]["net.core.somaxconn"]["value"] == "512"
    assert result["masked"] == [
        {"file": "/run/sysctl.d/50-default.conf", "masked_by": "/etc/sysctl.d/50-default.conf"},
        {"file": "/usr/lib/sysctl.d/50-default.conf", "masked_by": "/etc/sysctl.d/50-default.conf"}]
    assert any("masked by /etc/sysctl.d/50-default.conf" in note for note in result["notes"])


def test_run_masks_usr_lib(tmp_path):
    write(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.core.somaxconn = 128\n")
    write(tmp_path, "/run/sysctl.d/50-default.conf", "net.core.somaxconn = 256\n")
    result = conf.resolve(str(tmp_path))
    assert result["effective"]["net.core.somaxconn"] == {
        "value": "256", "file": "/run/sysctl.d/50-default.conf", "line": 1, "ignore_errors": False, "quoted": False}


def test_dev_null_link_masks_and_applies_nothing(tmp_path):
    write(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.core.somaxconn = 128\n")
    link(tmp_path, "/etc/sysctl.d/50-default.conf", "/dev/null")
    result = conf.resolve(str(tmp_path))
    assert result["sources"] == [] and result["effective"] == {}
    assert any("link to /dev/null" in note for note in result["notes"])


def test_sysctl_conf_without_link_splits_the_loaders(tmp_path):
    write(tmp_path, "/etc/sysctl.d/60-tune.conf", "net.ipv4.tcp_fin_timeout = 30\n")
    write(tmp_path, "/etc/sysctl.conf", "net.ipv4.tcp_fin_timeout = 15\nnet.core.somaxconn = 1024\n")
    result = conf.resolve(str(tmp_path))
    assert result["sources"] == ["/etc/sysctl.d/60-tune.conf"]
    assert result["procps_sources"] == ["/etc/sysctl.d/60-tune.conf", "/etc/sysctl.conf"]
    assert result["sysctl_conf"] == {"path": "/etc/sysctl.conf", "exists": True, "linked_as": None}
    assert result["effective"]["net.ipv4.tcp_fin_timeout"]["value"] == "30"
    assert result["procps_effective"]["net.ipv4.tcp_fin_timeout"]["value"] == "15"
    assert result["disagreements"]["net.ipv4.tcp_fin_timeout"] == {
        "systemd-sysctl": {"value": "30", "file": "/etc/sysctl.d/60-tune.conf"},
        "sysctl --system": {"value": "15", "file": "/etc/sysctl.conf"}}
    assert result["disagreements"]["net.core.somaxconn"]["systemd-sysctl"] is None
    assert any("systemd-sysctl skips it" in note for note in result["notes"])
    assert any(note.startswith("net.core.somaxconn: systemd-sysctl leaves the kernel's value") for note in result["notes"])


def test_sysctl_conf_through_99_link(tmp_path):
    write(tmp_path, "/etc/sysctl.conf", "net.ipv4.tcp_fin_timeout = 15\n")
    link(tmp_path, "/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf")
    write(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.ipv4.tcp_fin_timeout = 60\n")
    result = conf.resolve(str(tmp_path))
    assert result["sources"] == ["/usr/lib/sysctl.d/50-default.conf", "/etc/sysctl.d/99-sysctl.conf"]
    assert result["sysctl_conf"]["linked_as"] == "/etc/sysctl.d/99-sysctl.conf"
    assert result["effective"]["net.ipv4.tcp_fin_timeout"] == {
        "value": "15", "file": "/etc/sysctl.d/99-sysctl.conf", "line": 1, "ignore_errors": False, "quoted": False}
    assert result["disagreements"] == {}
    assert not any("skips" in note for note in result["notes"])


def test_absolute_99_link_and_a_later_file(tmp_path):
    write(tmp_path, "/etc/sysctl.conf", "net.ipv4.tcp_fin_timeout = 15\n")
    link(tmp_path, "/etc/sysctl.d/99-sysctl.conf", "/etc/sysctl.conf")
    write(tmp_path, "/etc/sysctl.d/99-zzz-local-override.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    result = conf.resolve(str(tmp_path))
    assert result["sysctl_conf"]["linked_as"] == "/etc/sysctl.d/99-sysctl.conf"
    assert result["effective"]["net.ipv4.tcp_fin_timeout"]["file"] == "/etc/sysctl.d/99-zzz-local-override.conf"
    assert result["procps_effective"]["net.ipv4.tcp_fin_timeout"]["file"] == "/etc/sysctl.conf"
    assert "net.ipv4.tcp_fin_timeout" in result["disagreements"]
    assert any("applies it again last" in note for note in result["notes"])


def test_problems_are_collected_with_file_and_line(tmp_path):
    write(tmp_path, "/etc/sysctl.d/20-bad.conf", 'oops\nnet.ipv4.ip_local_port_range = "1024 65000"\n')
    write(tmp_path, "/etc/sysctl.conf", "more garbage\n")
    result = conf.resolve(str(tmp_path))
    assert result["invalid"][0]["file"] == "/etc/sysctl.d/20-bad.conf" and result["invalid"][0]["line"] == 1
    assert result["invalid"][1]["file"] == "/etc/sysctl.conf"
    assert result["quoted"] == [{"file": "/etc/sysctl.d/20-bad.conf", "line": 2,
                                 "key": "net.ipv4.ip_local_port_range", "value": '"1024 65000"'}]


def test_unreadable_file_is_noted(tmp_path):
    write(tmp_path, "/etc/sysctl.d/30-x.conf", "a.b = 1\n")
    link(tmp_path, "/etc/sysctl.d/40-dangling.conf", "/nonexistent/file")
    result = conf.resolve(str(tmp_path))
    assert result["unreadable"][0]["file"] == "/etc/sysctl.d/40-dangling.conf"
    assert result["sources"] == ["/etc/sysctl.d/30-x.conf"]


def test_globs_lose_to_explicit_keys_and_respect_exclusions(tmp_path):
    write(tmp_path, "/etc/sysctl.d/10-x.conf", "net.ipv4.conf.eth0.rp_filter = 1\n")
    write(tmp_path, "/etc/sysctl.d/20-glob.conf", "net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n")
    result = conf.resolve(str(tmp_path))
    assert conf.effective_for(result, "net.ipv4.conf.eth0.rp_filter")["value"] == "1"
    assert conf.effective_for(result, "net.ipv4.conf.eth1.rp_filter")["value"] == "2"
    assert conf.effective_for(result, "net.ipv4.conf.all.rp_filter") is None
    assert conf.effective_for(result, "net.ipv4.tcp_fin_timeout") is None


def test_overlay_adds_and_masks(tmp_path):
    write(tmp_path, "/usr/lib/sysctl.d/90-netfleet-web.conf", "net.core.somaxconn = 1\n")
    result = conf.resolve(str(tmp_path), overlay={"/etc/sysctl.d/90-netfleet-web.conf": "net.core.somaxconn = 2\n"})
    assert result["sources"] == ["/etc/sysctl.d/90-netfleet-web.conf"]
    assert result["effective"]["net.core.somaxconn"]["value"] == "2"
    overlay = {"/run/sysctl.d/90-netfleet-web.conf": "net.core.somaxconn = 3\n",
               "/usr/local/lib/sysctl.d/90-netfleet-web.conf": "x.y = 1\n"}
    result = conf.resolve(str(tmp_path), overlay=overlay)
    assert result["sources"] == ["/run/sysctl.d/90-netfleet-web.conf"]


def test_shadows_names_the_winning_file_per_loader(tmp_path):
    write(tmp_path, "/etc/sysctl.d/99-zzz-local-override.conf", "net.ipv4.tcp_fin_timeout = 45\n")
    write(tmp_path, "/etc/sysctl.conf", "net.core.somaxconn = 128\n")
    write(tmp_path, "/etc/sysctl.d/10-early.conf", "net.ipv4.tcp_keepalive_time = 60\n")
    found = conf.shadows("/etc/sysctl.d/99-netfleet-web.conf",
                         {"net.ipv4.tcp_fin_timeout": 30, "net.core.somaxconn": 4096,
                          "net.ipv4.tcp_keepalive_time": 600, "net.ipv4.tcp_rmem": [4096, 131072, 6291456]},
                         root=str(tmp_path))
    assert found == [
        {"key": "net.core.somaxconn", "value": "128", "ours": "4096", "file": "/etc/sysctl.conf", "line": 1,
         "loader": "sysctl --system"},
        {"key": "net.ipv4.tcp_fin_timeout", "value": "45", "ours": "30",
         "file": "/etc/sysctl.d/99-zzz-local-override.conf", "line": 1, "loader": "systemd-sysctl"},
        {"key": "net.ipv4.tcp_fin_timeout", "value": "45", "ours": "30",
         "file": "/etc/sysctl.d/99-zzz-local-override.conf", "line": 1, "loader": "sysctl --system"},
    ]


def test_shadows_same_value_is_not_a_shadow(tmp_path):
    write(tmp_path, "/etc/sysctl.d/99-zzz.conf", "net.ipv4.tcp_rmem = 4096\t131072   6291456\n")
    assert conf.shadows("/etc/sysctl.d/90-ours.conf", {"net.ipv4.tcp_rmem": "4096 131072 6291456"},
                        root=str(tmp_path)) == []


def test_root_slash_uses_real_paths():
    # Reading this machine's own configuration never fails.
    result = conf.resolve("/")
    assert isinstance(result["sources"], list)


def test_render_writes_what_the_kernel_holds():
    text = conf.render({"net.ipv4.tcp_fin_timeout": "0x1e", "net.ipv4.ip_local_reserved_ports": "8081,8080"})
    assert text == "net.ipv4.ip_local_reserved_ports = 8080-8081\nnet.ipv4.tcp_fin_timeout = 30\n"


# --- comments after values and pasted lists ------------------------------------------------------

def test_comment_after_numbers_is_not_part_of_the_value():
    entry = conf.parse("net.ipv4.tcp_fin_timeout = 30   # half a minute\n")[0]
    assert (entry["value"], entry["comment"]) == ("30", "# half a minute")
    entry = conf.parse("net.ipv4.tcp_rmem = 4096 87380 6291456 // three\n")[0]
    assert (entry["value"], entry["comment"]) == ("4096 87380 6291456", "// three")


def test_text_after_a_value_that_is_not_a_comment_stays():
    entry = conf.parse("net.ipv4.tcp_tw_recycle = 0 <---- off\n")[0]
    assert (entry["value"], entry["comment"]) == ("0 <---- off", None)


def test_file_form_does_not_read_shell_lines():
    entries = conf.parse("sysctl -w net.core.somaxconn=4096\n")
    assert [item["kind"] for item in entries] == ["invalid"]


def test_paste_form_reads_sysctl_commands_yaml_lines_and_reports_the_rest():
    text = ("sysctl -w net.ipv4.ip_local_port_range='1000 65535'\n"
            'sudo sysctl -w "net.ipv4.tcp_rmem=4096 87380 16777216"\n'
            "sysctl fs.suid_dumpable=0  #1.5.4\n"
            "net.core.somaxconn: '1024'\n"
            "net.ipv4.tcp_fin_timeout = 15 # seconds\n"
            "sysctl -p\n"
            "sysctl -w 'unterminated=1\n")
    entries = conf.parse(text, form="paste")
    read = [(item["key"], item["value"], item["line_form"]) for item in entries if item["kind"] == "assign"]
    assert read == [
        ("net.ipv4.ip_local_port_range", "1000 65535", "sysctl-command"),
        ("net.ipv4.tcp_rmem", "4096 87380 16777216", "sysctl-command"),
        ("fs.suid_dumpable", "0", "sysctl-command"),
        ("net.core.somaxconn", "1024", "yaml"),
        ("net.ipv4.tcp_fin_timeout", "15", "file"),
    ]
    unread = [(item["line"], item["reason"]) for item in entries if item["kind"] == "invalid"]
    assert [line for line, _reason in unread] == [6, 7]
    assert "expected key=value words after sysctl, got '-p'" in unread[0][1] and "shell line" in unread[1][1]


def test_paste_form_reads_several_assignments_and_echo_lines():
    text = ("sysctl -w net.ipv4.tcp_fin_timeout=30 net.ipv4.tcp_tw_reuse=1\n"
            "echo 1 > /proc/sys/net/ipv4/tcp_tw_recycle\n"
            'sudo echo "1024 65000" >/proc/sys/net/ipv4/ip_local_port_range\n'
            "echo 0 > /proc/sys/net/ipv4/conf/eth0.100/rp_filter\n")
    entries = conf.parse(text, form="paste")
    assert [(item["line"], item["key"], item["value"], item["line_form"]) for item in entries] == [
        (1, "net.ipv4.tcp_fin_timeout", "30", "sysctl-command"),
        (1, "net.ipv4.tcp_tw_reuse", "1", "sysctl-command"),
        (2, "net.ipv4.tcp_tw_recycle", "1", "echo"),
        (3, "net.ipv4.ip_local_port_range", "1024 65000", "echo"),
        (4, "net.ipv4.conf.eth0/100.rp_filter", "0", "echo"),
    ]


@pytest.mark.parametrize("form", ["file", "paste"])
def test_every_unreadable_line_is_reported_with_its_number(form):
    text = ("net.ipv4.tcp_fin_timeout = 30\n"
            "net.ipv4.tcp_max_syn_backlog 8192\n"
            "[sysctl]\n"
            "# net.ipv4.tcp_sack = 0\n"
            "sysctl -w net.core.somaxconn=1024 -p\n"
            "= 5\n"
            "net.core.somaxconn = 4096\n")
    entries = conf.parse(text, form=form)
    problems = conf.unreadable(entries)
    assert [entry["line"] for entry in entries if entry["kind"] == "invalid"] == [2, 3, 5, 6]
    assert len(problems) == 4
    assert all(problem.startswith("line %d" % line) for problem, line in zip(problems, [2, 3, 5, 6]))
    read = [entry["key"] for entry in entries if entry["kind"] == "assign"]
    assert read == ["net.ipv4.tcp_fin_timeout", "net.core.somaxconn"]


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="form must be one of"):
        conf.parse("a = 1\n", form="yaml")
