# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile module options for sysctl_profile, sysctl_check and tcp_state_facts.

Each case runs the module's main() over a fake host and asserts three things: the
module fails (or, for read-only modules, reports) with a message naming the problem,
nothing under the fake host changed (every file, mode and mtime re-read), and no
exception other than the module's own exit escaped.
"""

import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.netfleet.tcp.plugins.modules import sysctl_check, sysctl_profile, tcp_state_facts
from ansible_collections.netfleet.tcp.tests.unit.reliability.support import (
    case_ids,
    count,
    expect_failure,
    snapshot,
)

KEY = "net.ipv4.tcp_fin_timeout"
RMEM = "net.ipv4.tcp_rmem"


def run(module, args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as caught:
            module.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def profile_host(fake_host, monkeypatch):
    monkeypatch.setattr(sysctl_profile, "PROC", fake_host["proc"])
    monkeypatch.setattr(sysctl_profile, "ROOT", fake_host["root"])
    return fake_host


@pytest.fixture
def check_host(fake_host, monkeypatch):
    monkeypatch.setattr(sysctl_check, "PROC", fake_host["proc"])
    monkeypatch.setattr(sysctl_check, "ROOT", fake_host["root"])
    return fake_host


# --------------------------------------------------------------------------- settings keys

# (id, key, words the error must contain besides the key itself)
HOSTILE_KEYS = [
    ("dotdot-path", "../../../etc/passwd", "not a path"),
    ("dotdot-inside", "net.ipv4/../../kernel/core_pattern", "'/' is only allowed"),
    ("absolute-path", "/proc/sys/net/ipv4/tcp_fin_timeout", "not a path"),
    ("double-dot", "net..ipv4.tcp_fin_timeout", "empty component"),
    ("double-slash", "net.ipv4.conf.eth0//x.rp_filter", "interface component"),
    ("slash-outside-interface", "net/ipv4/tcp_fin_timeout", "'/' is only allowed"),
    ("interface-dotdot", "net.ipv4.conf.../rp_filter", "empty component"),
    ("trailing-dot", "net.ipv4.tcp_fin_timeout.", "empty component"),
    ("leading-dot", ".net.ipv4.tcp_fin_timeout", "not a path"),
    ("trailing-newline", "net.ipv4.tcp_fin_timeout\n", "may only hold"),
    ("newline-injection", "net.ipv4.tcp_fin_timeout\nkernel.core_pattern", "may only hold"),
    ("nul", "net.ipv4.tcp_fin_timeout\x00", "may only hold"),
    ("equals", "net.ipv4.tcp_fin_timeout=1", "may only hold"),
    ("hash", "net.ipv4.tcp_fin_timeout#x", "may only hold"),
    ("space", "net.ipv4.tcp_fin_timeout x", "may only hold"),
    ("uppercase", "NET.IPV4.TCP_FIN_TIMEOUT", "may only hold"),
    ("glob", "net.ipv4.*", "may only hold"),
    ("empty", "", "key is empty"),
    ("one-component", "tcp_fin_timeout", "at least two"),
    ("oversized", "net.ipv4." + "a" * 300, "longer than"),
    ("unknown-key", "net.ipv4.tcp_no_such_knob", "no such key"),
    ("interface-newline", "net.ipv4.conf.eth0\n.rp_filter", "interface component"),
]


@pytest.mark.parametrize("case", HOSTILE_KEYS, ids=case_ids(HOSTILE_KEYS))
def test_profile_refuses_hostile_keys(profile_host, capsys, case):
    count("hostile inputs", "sysctl_profile settings key")
    _id, key, words = case
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false",
                                     "settings": {key: 30, "net.ipv4.tcp_keepalive_time": 600}}, capsys)
    message = expect_failure(code, out, words)
    assert repr(key)[1:-1] in message or key in message
    assert snapshot(profile_host["base"]) == before


def test_profile_refuses_a_key_symlinked_out_of_proc_sys(profile_host, capsys):
    """A directory under the fake /proc/sys that links outside it never becomes a write target."""
    count("hostile inputs", "sysctl_profile settings key")
    link = os.path.join(profile_host["proc"], "sys", "net", "evil")
    os.symlink(profile_host["outside"], link)
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false",
                                     "settings": {"net.evil.secret": "x"}}, capsys)
    expect_failure(code, out, "net.evil.secret", "resolves outside")
    assert snapshot(profile_host["base"]) == before


def test_profile_refuses_a_key_file_symlinked_out_of_proc_sys(profile_host, capsys):
    count("hostile inputs", "sysctl_profile settings key")
    link = os.path.join(profile_host["proc"], "sys", "net", "ipv4", "tcp_evil")
    os.symlink(os.path.join(profile_host["outside"], "secret"), link)
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false",
                                     "settings": {"net.ipv4.tcp_evil": "1"}}, capsys)
    expect_failure(code, out, "net.ipv4.tcp_evil", "resolves outside")
    assert snapshot(profile_host["base"]) == before


# --------------------------------------------------------------------------- settings values

# (id, key, value, words the error must contain)
HOSTILE_VALUES = [
    ("newline", KEY, "30\nkernel.core_pattern = |/tmp/x", "'\\n'"),
    ("carriage-return", KEY, "30\rkernel.x", "'\\r'"),
    ("equals", KEY, "30 = 40", "'='"),
    ("hash", KEY, "30 # short", "'#'"),
    ("nul", KEY, "30\x00", "'\\x00'"),
    ("escape", KEY, "30\x1b[2J", "'\\x1b'"),
    ("delete", KEY, "30\x7f", "'\\x7f'"),
    ("double-quotes", KEY, '"30"', "quotes"),
    ("single-quotes", KEY, "'30'", "quotes"),
    ("backslash", "net.ipv4.ip_default_ttl", "64\\n", "'\\\\'"),
    ("yaml-true", KEY, True, "boolean"),
    ("yaml-false", "net.ipv4.tcp_timestamps", False, "boolean"),
    ("word-yes", "net.ipv4.tcp_timestamps", "yes", "boolean"),
    ("word-on", "net.ipv4.tcp_timestamps", "on", "boolean"),
    ("word-off", "net.ipv4.tcp_timestamps", "Off", "boolean"),
    ("word-true", "net.ipv4.tcp_timestamps", "true", "boolean"),
    ("list-boolean", RMEM, [True, 87380, 6291456], "boolean"),
    ("huge", KEY, 2 ** 64, "does not fit"),
    ("huge-text", KEY, "1" + "0" * 40, "does not fit"),
    ("huge-in-list", RMEM, [4096, 87380, 2 ** 70], "does not fit"),
    ("negative", KEY, -1, KEY),
    ("negative-text", "net.core.somaxconn", "-5", "net.core.somaxconn"),
    ("float", KEY, 1.5, "float"),
    ("float-text", KEY, "1.5", KEY),
    ("float-exponent", KEY, 1e3, "float"),
    ("empty", KEY, "", "empty"),
    ("blank", KEY, "   \t ", "empty"),
    ("null", KEY, None, "empty"),
    ("empty-list", RMEM, [], "empty"),
    ("nested-list", RMEM, [[4096], 87380, 6291456], "list items"),
    ("dict", KEY, {"value": 30}, "dict"),
    ("list-for-integer", KEY, [30, 40], KEY),
    ("string-for-triple", RMEM, "4096 87380", RMEM),
    ("oversized", "net.ipv4.ip_default_ttl", "6" * 5000, "longer than"),
    ("bound-on-triple", RMEM, ">=4096", "bound"),
    ("bound-garbage", KEY, ">=thirty", KEY),
    ("out-of-range", "net.ipv4.tcp_tw_reuse", 7, "net.ipv4.tcp_tw_reuse"),
    ("unicode-digits", KEY, "\u0663\u0660", KEY),
]


@pytest.mark.parametrize("case", HOSTILE_VALUES, ids=case_ids(HOSTILE_VALUES))
def test_profile_refuses_hostile_values(profile_host, capsys, case):
    count("hostile inputs", "sysctl_profile settings value")
    _id, key, value, words = case
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false",
                                     "settings": {key: value, "net.ipv4.tcp_keepalive_time": 600}}, capsys)
    expect_failure(code, out, key, words)
    assert out["keys"][key]["status"] == "refused", out["keys"]
    assert out["keys"]["net.ipv4.tcp_keepalive_time"]["status"] == "unchanged"
    assert snapshot(profile_host["base"]) == before


def test_profile_names_every_offending_key_at_once(profile_host, capsys):
    count("hostile inputs", "sysctl_profile settings (all at once)")
    settings = dict((case[1], case[2]) for case in HOSTILE_VALUES if case[1] == KEY)
    settings.update((case[1], 30) for case in HOSTILE_KEYS)
    settings["net.ipv4.tcp_timestamps"] = "yes"
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false", "settings": settings}, capsys)
    message = expect_failure(code, out, "net.ipv4.tcp_timestamps", "../../../etc/passwd", "/proc/sys/net")
    assert "problem" in message
    assert snapshot(profile_host["base"]) == before


# --------------------------------------------------------------------------- other options

DROPIN_DIR = "/etc/sysctl.d"

# AnsibleModule logs its invocation (every string option as it came) to syslog before the
# module reads an option. From CPython 3.12 on, syslog.syslog() refuses a message holding a
# NUL (ValueError: embedded null character; 3.8 to 3.11 pass it on), and ansible-core turns
# that into a failure of its own (ansible/ansible#82225): on those Pythons a NUL in a string
# option is refused there, before the module's own check could name it. Either way the
# module fails and changes nothing; what the message names depends on the host's Python.
SYSLOG_REFUSES_NUL = sys.version_info >= (3, 12)


def nul_refusal(words):
    """What the refusal of a NUL in a logged string option names on this Python."""
    return "Failed to log to syslog (embedded null character)" if SYSLOG_REFUSES_NUL else words


# (id, extra args, words)
HOSTILE_OPTIONS = [
    ("name-dotdot", {"name": "../../etc/passwd"}, "profile name"),
    ("name-slash", {"name": "web/../x"}, "profile name"),
    ("name-newline", {"name": "web\n"}, "profile name"),
    ("name-newline-injection", {"name": "web\nnet.ipv4.tcp_fin_timeout = 1"}, "profile name"),
    ("name-nul", {"name": "web\x00"}, nul_refusal("profile name")),
    ("name-uppercase", {"name": "Web"}, "profile name"),
    ("name-empty", {"name": ""}, "profile name"),
    ("name-oversized", {"name": "w" * 65}, "longer than"),
    ("name-list", {"name": ["web"]}, "profile name"),
    ("path-dotdot", {"path": "/etc/sysctl.d/../passwd.conf"}, "normalised"),
    ("path-relative", {"path": "sysctl.d/x.conf"}, "absolute"),
    ("path-double-slash", {"path": "/etc/sysctl.d//x.conf"}, "normalised"),
    ("path-newline", {"path": "/etc/sysctl.d/x.conf\n"}, "control character"),
    ("path-nul", {"path": "/etc/sysctl.d/x\x00.conf"}, nul_refusal("control character")),
    ("path-elsewhere", {"path": "/tmp/x.conf"}, "directly in one of"),
    ("path-distribution-dir", {"path": "/usr/lib/sysctl.d/x.conf"}, "directly in one of"),
    ("path-subdir", {"path": "/etc/sysctl.d/sub/x.conf"}, "directly in one of"),
    ("path-not-conf", {"path": "/etc/sysctl.d/x.txt"}, "must end in .conf"),
    ("path-hidden", {"path": "/etc/sysctl.d/.x.conf"}, "must end in .conf"),
    ("path-the-dir", {"path": "/etc/sysctl.d"}, "directly in one of"),
    ("path-sysctl-conf", {"path": "/etc/sysctl.conf"}, "directly in one of"),
    ("path-empty", {"path": ""}, "non-empty"),
    ("state-dir-relative", {"state_dir": "var/lib/x"}, "absolute"),
    ("state-dir-dotdot", {"state_dir": "/var/lib/../../tmp"}, "normalised"),
    ("state-dir-newline", {"state_dir": "/var/lib/x\n"}, "control character"),
    ("state-bad-choice", {"state": "gone"}, "state"),
    ("missing-bad-choice", {"missing": "ignore"}, "missing"),
    ("nat-facing-bad-choice", {"nat_facing": "sometimes"}, "nat_facing"),
    ("persist-not-bool", {"persist": "perhaps"}, "persist"),
    ("lock-timeout-text", {"lock_timeout": "soon"}, "lock_timeout"),
    ("lock-timeout-float", {"lock_timeout": 1.5}, "lock_timeout"),
    ("settings-list", {"settings": [KEY, 30]}, "settings"),
    ("settings-text", {"settings": "just some text"}, "settings"),
    ("settings-empty", {"settings": {}}, "settings"),
    ("unknown-option", {"sudo": True}, "sudo"),
]


@pytest.mark.parametrize("case", HOSTILE_OPTIONS, ids=case_ids(HOSTILE_OPTIONS))
def test_profile_refuses_hostile_options(profile_host, capsys, case):
    count("hostile inputs", "sysctl_profile options")
    _id, extra, words = case
    args = {"name": "web", "nat_facing": "false", "settings": {KEY: 30}}
    args.update(extra)
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, args, capsys)
    expect_failure(code, out, words)
    assert snapshot(profile_host["base"]) == before


def _dropin(host, name="99-zz-netfleet-tcp-web.conf"):
    return os.path.join(host["root"], "etc", "sysctl.d", name)


def test_profile_never_follows_a_symlinked_dropin(profile_host, capsys):
    count("hostile inputs", "sysctl_profile files on the host")
    os.symlink(os.path.join(profile_host["outside"], "secret"), _dropin(profile_host))
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false", "settings": {KEY: 30}}, capsys)
    expect_failure(code, out, "symbolic link")
    assert snapshot(profile_host["base"]) == before
    code, out = run(sysctl_profile, {"name": "web", "state": "absent"}, capsys)
    expect_failure(code, out, "symbolic link")
    assert snapshot(profile_host["base"]) == before


def test_profile_never_overwrites_a_file_it_does_not_own(profile_host, capsys):
    count("hostile inputs", "sysctl_profile files on the host")
    with open(_dropin(profile_host), "w") as handle:
        handle.write("net.ipv4.tcp_fin_timeout = 45\n")
    before = snapshot(profile_host["base"])
    for state in ("present", "absent"):
        code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false", "state": state,
                                         "settings": {KEY: 30}}, capsys)
        expect_failure(code, out, "not managed by netfleet.tcp")
        assert snapshot(profile_host["base"]) == before


def test_profile_refuses_a_dropin_that_is_a_fifo(profile_host, capsys):
    """A FIFO at the drop-in path must not hang the module (opening it for reading would block)."""
    count("hostile inputs", "sysctl_profile files on the host")
    os.mkfifo(_dropin(profile_host))
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false", "settings": {KEY: 30}}, capsys)
    expect_failure(code, out, "not a regular file")
    assert snapshot(profile_host["base"]) == before


def _state_dir(host):
    path = os.path.join(host["root"], "var", "lib", "netfleet-tcp")
    os.makedirs(path, 0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


# (id, how to damage the state dir, words)
def _world_writable(path):
    os.chmod(path, 0o777)


def _corrupt_record(path):
    with open(os.path.join(path, "sysctl_profile-web.json"), "w") as handle:
        handle.write("{not json")


def _record_for_other_profile(path):
    with open(os.path.join(path, "sysctl_profile-web.json"), "w") as handle:
        json.dump({"format": 1, "profile": "other", "path": None, "originals": {}}, handle)


def _record_symlink(path):
    os.symlink("/etc/shadow", os.path.join(path, "sysctl_profile-web.json"))


def _lock_symlink(path):
    os.symlink("/etc/shadow", os.path.join(path, "sysctl_profile.lock"))


def _record_oversized(path):
    with open(os.path.join(path, "sysctl_profile-web.json"), "w") as handle:
        handle.write(" " * (1024 * 1024 + 10) + "{}")


def _record_non_text_original(path):
    with open(os.path.join(path, "sysctl_profile-web.json"), "w") as handle:
        json.dump({"format": 1, "profile": "web", "path": None, "originals": {KEY: ["60"]}}, handle)


STATE_DAMAGE = [
    ("world-writable-state-dir", _world_writable, "writable by group or others"),
    ("corrupt-record", _corrupt_record, "not valid JSON"),
    ("record-of-another-profile", _record_for_other_profile, "belongs to profile"),
    ("record-symlink", _record_symlink, "sysctl_profile-web.json"),
    ("lock-symlink", _lock_symlink, "symbolic link"),
    ("record-oversized", _record_oversized, "larger than"),
    ("record-non-text-original", _record_non_text_original, "non-text original"),
]


@pytest.mark.parametrize("case", STATE_DAMAGE, ids=case_ids(STATE_DAMAGE))
@pytest.mark.parametrize("state", ["present", "absent"])
def test_profile_refuses_a_damaged_state_dir(profile_host, capsys, case, state):
    count("hostile inputs", "sysctl_profile state dir and record")
    _id, damage, words = case
    state_dir = _state_dir(profile_host)
    damage(state_dir)
    before = snapshot(profile_host["base"])
    code, out = run(sysctl_profile, {"name": "web", "nat_facing": "false", "state": state,
                                     "settings": {KEY: 30}}, capsys)
    expect_failure(code, out, words)
    after = snapshot(profile_host["base"])
    # The host lock (an empty file in the state dir) is the only thing a refused run may leave.
    lock = os.path.join(state_dir, "sysctl_profile.lock")
    if lock not in before:
        after.pop(lock, None)
    assert after == before


# (id, originals, words): a record edited by hand must never make state=absent write a hostile value
TAMPERED_ORIGINALS = [
    ("value-newline", {KEY: "60\nkernel.core_pattern = |/tmp/x"}, "'\\n'"),
    ("key-path", {"../../../etc/passwd": "x"}, "not a path"),
    ("value-boolean", {KEY: "yes"}, "boolean"),
]


@pytest.mark.parametrize("case", TAMPERED_ORIGINALS, ids=case_ids(TAMPERED_ORIGINALS))
def test_absent_never_writes_a_tampered_original(profile_host, capsys, case):
    count("hostile inputs", "sysctl_profile state dir and record")
    _id, originals, words = case
    state_dir = _state_dir(profile_host)
    with open(os.path.join(state_dir, "sysctl_profile-web.json"), "w") as handle:
        json.dump({"format": 1, "profile": "web", "path": None, "originals": originals}, handle)
    sysfiles = dict((path, entry) for path, entry in snapshot(profile_host["base"]).items()
                    if "/proc/" in path or "/outside" in path or "/etc/" in path)
    code, out = run(sysctl_profile, {"name": "web", "state": "absent"}, capsys)
    key = list(originals)[0]
    assert out["keys"][key]["status"] == "refused", out
    assert words in out["keys"][key]["reason"]
    after = snapshot(profile_host["base"])
    for path, entry in sysfiles.items():
        assert after.get(path) == entry, path


# --------------------------------------------------------------------------- sysctl_check

CHECK_SETTINGS = [case for case in HOSTILE_VALUES if case[0] not in ("negative", "float-text", "unknown-key")]


@pytest.mark.parametrize("case", CHECK_SETTINGS, ids=case_ids(CHECK_SETTINGS))
def test_check_reports_hostile_values_as_errors(check_host, capsys, case):
    count("hostile inputs", "sysctl_check settings value")
    _id, key, value, words = case
    before = snapshot(check_host["base"])
    code, out = run(sysctl_check, {"nat_facing": "false", "settings": {key: value}}, capsys)
    assert code == 1 and out["changed"] is False, out
    errors = [f for f in out["findings"] if f["severity"] == "error" and f["key"] == key]
    assert errors, out["findings"]
    assert any(words in f["message"] or words == key for f in errors), errors
    assert snapshot(check_host["base"]) == before


@pytest.mark.parametrize("case", HOSTILE_KEYS, ids=case_ids(HOSTILE_KEYS))
def test_check_reports_hostile_keys_as_errors(check_host, capsys, case):
    count("hostile inputs", "sysctl_check settings key")
    _id, key, words = case
    before = snapshot(check_host["base"])
    code, out = run(sysctl_check, {"nat_facing": "false", "settings": {key: 30}}, capsys)
    assert code == 1 and out["changed"] is False, out
    errors = [f for f in out["findings"] if f["severity"] == "error"]
    assert any(words in f["message"] for f in errors), errors
    assert snapshot(check_host["base"]) == before


HOSTILE_CHECK_KEYS_OPTION = [
    ("dotdot", ["../../../etc/passwd"], "../../../etc/passwd"),
    ("absolute", ["/etc/shadow"], "/etc/shadow"),
    ("newline", ["net.ipv4.tcp_fin_timeout\n"], "tcp_fin_timeout"),
    ("nul", ["net.ipv4.tcp_fin_timeout\x00"], "tcp_fin_timeout"),
    ("dict-item", [{"a": 1}], "may only hold"),
]


@pytest.mark.parametrize("case", HOSTILE_CHECK_KEYS_OPTION, ids=case_ids(HOSTILE_CHECK_KEYS_OPTION))
def test_check_keys_option_never_reads_outside_proc_sys(check_host, capsys, case):
    count("hostile inputs", "sysctl_check keys")
    _id, keys, words = case
    before = snapshot(check_host["base"])
    code, out = run(sysctl_check, {"nat_facing": "false", "keys": keys, "fail_on": "never"}, capsys)
    assert out["changed"] is False
    text = json.dumps(out)
    assert "do not touch" not in text and "root:" not in text
    if code == 0:
        errors = [f for f in out["findings"] if f["severity"] == "error"]
        assert any(words in f["message"] or words in (f.get("key") or "") for f in errors), out["findings"]
    else:
        assert words in out["msg"], out
    assert snapshot(check_host["base"]) == before


CHECK_OPTIONS = [
    ("fail-on-choice", {"fail_on": "sometimes"}, "fail_on"),
    ("nat-facing-choice", {"nat_facing": "perhaps"}, "nat_facing"),
    ("settings-list", {"settings": [1, 2]}, "settings"),
    ("keys-dict", {"keys": {"a": 1}}, "keys"),
    ("unknown-option", {"path": "/etc"}, "path"),
]


@pytest.mark.parametrize("case", CHECK_OPTIONS, ids=case_ids(CHECK_OPTIONS))
def test_check_refuses_hostile_options(check_host, capsys, case):
    count("hostile inputs", "sysctl_check options")
    _id, extra, words = case
    args = {"nat_facing": "false"}
    args.update(extra)
    before = snapshot(check_host["base"])
    code, out = run(sysctl_check, args, capsys)
    expect_failure(code, out, words)
    assert snapshot(check_host["base"]) == before


# --------------------------------------------------------------------------- tcp_state_facts

FACTS_OPTIONS = [
    ("detail-unknown", {"detail": ["everything"]}, "detail"),
    ("detail-path", {"detail": ["../../etc/passwd"]}, "detail"),
    ("detail-dict", {"detail": [{"ports": 1}]}, "detail"),
    ("top-zero", {"top": 0}, "top must be 1 or more"),
    ("top-negative", {"top": -5}, "top must be 1 or more"),
    ("top-text", {"top": "many"}, "top"),
    ("top-float", {"top": 2.5}, "top"),
    ("source-unknown", {"source": "ss"}, "source"),
    ("source-list", {"source": ["proc"]}, "source"),
    ("unknown-option", {"proc": "/tmp"}, "proc"),
]


@pytest.mark.parametrize("case", FACTS_OPTIONS, ids=case_ids(FACTS_OPTIONS))
def test_facts_refuse_hostile_options(capsys, case):
    count("hostile inputs", "tcp_state_facts options")
    _id, args, words = case
    code, out = run(tcp_state_facts, args, capsys)
    expect_failure(code, out, words)
    assert "ansible_facts" not in out


def test_facts_with_a_huge_top_still_answer(capsys):
    count("hostile inputs", "tcp_state_facts options")
    code, out = run(tcp_state_facts, {"top": 2 ** 62, "detail": ["ports", "listeners", "processes"]}, capsys)
    assert code == 0, out
    assert out["changed"] is False
