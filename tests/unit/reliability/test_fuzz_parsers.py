# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property and fuzz tests (hypothesis) on every parser of host input and user files.

Each parser either returns or raises one of the collection's typed errors
(NetfleetError: ParseError, DiagError, StateRecordError, ...); nothing else may
escape. Round trips (parse, render, parse) give back what was parsed. Example
counts are bounded by ``settings(max_examples=...)`` so the suite stays fast; every
example run is counted in the end-of-run summary.
"""

import json
import os
import string
import struct
import tempfile

from hypothesis import HealthCheck, example, given, settings, strategies as st

from ansible_collections.netfleet.tcp.plugins.module_utils import (
    _dropin,
    _host_context,
    _nat,
    _rule_context,
    _state_record,
    _sysctl_conf,
    _sysctl_keys,
    _tcp_state,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value import _kernel
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import canonical
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as _inet_diag
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import limits as _limits
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net
from ansible_collections.netfleet.tcp.tests.unit.plugins.module_utils import netlink_replay
from ansible_collections.netfleet.tcp.tests.unit.reliability.support import count

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like sysctl.conf: keys, separators, comments, prefixes and every awkward
# character (tabs, CR, NUL, vertical tab, form feed, Unicode line separators, quotes).
CONF_ALPHABET = string.ascii_letters + string.digits + "._-/*?[]=#;'\" \t\r\n\x00\x0b\x0c\x85\u2028\u00e9"
conf_lines = st.lists(
    st.one_of(
        st.text(alphabet=CONF_ALPHABET, max_size=40),
        st.builds(lambda k, v, p: "%s%s = %s" % (p, k, v),
                  st.text(alphabet=string.ascii_lowercase + "._/-*", min_size=1, max_size=30),
                  st.text(alphabet=string.printable, max_size=30),
                  st.sampled_from(["", "-", " ", "\t", "- "])),
    ),
    max_size=30,
)
conf_text = st.builds("\n".join, conf_lines)


def _writable(key):
    """A key the collection's writers accept (a sysctl name, globs allowed as in to_sysctl_conf)."""
    return _sysctl_keys.key_problem("".join("x" if c in "*?[]" else c for c in key)) is None


def _kernel_value(key, value):
    """A value as the kernel reads it: render() writes the value model's canonical text, so
    '00' comes back as '0' and '0x1e' as '30'; words the model cannot read stay as written."""
    try:
        return canonical(key, value)
    except KernelReadError:
        return value


def _comparable(entries):
    """What a round trip must keep: kind, key, the value as the kernel reads it, and the flags of
    each assignment and exclusion.

    Only for keys the writers accept: a name that only the slash form can spell ('/.0' is a
    component named '.0') has no dotted spelling, and the writers refuse such keys before
    render() sees them.
    """
    return [(e["kind"], e["key"], _kernel_value(e["key"], e["value"]), e["ignore_errors"], e["glob"])
            for e in entries if e["kind"] != "invalid" and _writable(e["key"])]


@FAST
@given(conf_text)
@example("0/0=00\nnet.ipv4.tcp_fin_timeout = 0x1e")  # rendered as the kernel reads them: 0 and 30
def test_sysctl_conf_parse_never_crashes_and_round_trips(text):
    count("fuzz examples", "sysctl.conf parse/render/parse")
    entries = _sysctl_conf.parse(text, "fuzz.conf")
    _sysctl_conf.render(entries)
    writable = [e for e in entries if e["kind"] != "invalid" and _writable(e["key"])]
    again = _sysctl_conf.parse(_sysctl_conf.render(writable), "fuzz.conf")
    assert _comparable(again) == _comparable(writable)
    assert _sysctl_conf.render(again) == _sysctl_conf.render(writable)


@FAST
@given(st.binary(max_size=2000))
def test_sysctl_conf_file_of_random_bytes(data):
    count("fuzz examples", "sysctl.conf parse_file (bytes)")
    with tempfile.NamedTemporaryFile(suffix=".conf") as handle:
        handle.write(data)
        handle.flush()
        entries = _sysctl_conf.parse_file(handle.name, "/etc/sysctl.d/fuzz.conf")
    _sysctl_conf.render(entries)


keys = st.builds(".".join, st.lists(st.text(alphabet=string.ascii_lowercase + string.digits + "_-",
                                            min_size=1, max_size=12), min_size=2, max_size=5))
values = st.one_of(
    st.integers(min_value=_kernel.LONG_MIN, max_value=_kernel.ULONG_MAX),
    st.lists(st.integers(min_value=0, max_value=2 ** 32), min_size=1, max_size=4),
    st.text(alphabet=string.ascii_letters + string.digits + " \t,-:/|.", max_size=40),
)


@FAST
@given(st.dictionaries(keys, values, max_size=15))
def test_valid_settings_render_and_parse_back_to_the_same_values(wanted):
    count("fuzz examples", "settings render/parse")
    valid = dict((k, v) for k, v in wanted.items()
                 if _sysctl_keys.key_problem(k) is None and _sysctl_keys.value_problem(v) is None)
    text = _sysctl_conf.render(valid)
    parsed = dict((e["key"], e["value"]) for e in _sysctl_conf.parse(text) if e["kind"] == "assign")
    assert parsed == dict((k, _sysctl_keys.normalize_value(v)) for k, v in valid.items())
    # The drop-in writer and reader agree too.
    dropin = _dropin.render_dropin("fuzz", sorted((k, _sysctl_keys.normalize_value(v)) for k, v in valid.items()))
    assert _dropin.owner(dropin) == "fuzz"
    assert _dropin.entries_of(dropin) == parsed


@FAST
@given(st.text(max_size=300))
def test_key_and_value_validation_never_crash_and_never_pass_a_line_break(text):
    count("fuzz examples", "key/value validation")
    if _sysctl_keys.key_problem(text) is None:
        assert not any(c in text for c in "\n\r\x00=#/ ") or "/" in text
        assert all(c in string.ascii_letters + string.digits + "._-/" for c in text)
    if _sysctl_keys.value_problem(text) is None:
        rendered = _sysctl_conf.render({"net.ipv4.x": text})
        assert rendered.count("\n") == 1 and len(_sysctl_conf.parse(rendered)) == 1


# --------------------------------------------------------------------------- /proc/net

proc_text = st.text(alphabet=string.ascii_letters + string.digits + ": -+_\t\n\x00\u00b2\u0661", max_size=600)


def _sockstat_like():
    line = st.builds(lambda n, f: "%s: %s" % (n, " ".join(f)),
                     st.sampled_from(["sockets", "TCP", "UDP", "TCP6", "x"]),
                     st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=8),
                              max_size=10))
    return st.builds("\n".join, st.lists(st.one_of(line, proc_text), max_size=8))


@FAST
@given(st.one_of(proc_text, _sockstat_like()))
def test_sockstat_parser_only_raises_parse_errors(text):
    count("fuzz examples", "/proc/net/sockstat")
    try:
        parsed = _proc_net.parse_sockstat(text, "sockstat")
    except NetfleetError:
        return
    assert all(isinstance(v, int) for fields in parsed.values() for v in fields.values())


def _counters_like():
    names = st.lists(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8), min_size=1, max_size=6)
    pair = st.builds(lambda p, n, v: "%s: %s\n%s: %s" % (p, " ".join(n), p, " ".join(v)),
                     st.sampled_from(["Tcp", "TcpExt", "Ip"]), names,
                     st.lists(st.text(alphabet=string.digits + "-x", min_size=1, max_size=6), max_size=7))
    return st.builds("\n".join, st.lists(st.one_of(pair, proc_text), max_size=5))


@FAST
@given(st.one_of(proc_text, _counters_like()))
def test_snmp_netstat_parser_only_raises_parse_errors(text):
    count("fuzz examples", "/proc/net/snmp and netstat")
    try:
        _proc_net.parse_counters(text, "snmp")
    except NetfleetError:
        pass


TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
hexword = st.text(alphabet="0123456789ABCDEFabcdef-+ x", min_size=0, max_size=9)


def _tcp_line():
    return st.builds(
        lambda sl, la, lp, ra, rp, state, q, rest: "%4s: %s:%s %s:%s %s %s 00:00000000 00000000 %s\n"
        % (sl, la, lp, ra, rp, state, q, rest),
        st.text(alphabet=string.digits + "-", max_size=4), st.one_of(hexword, st.just("0100007F")),
        st.text(alphabet="0123456789ABCDEF-", max_size=5), hexword,
        st.text(alphabet="0123456789ABCDEF-", max_size=5), st.text(alphabet="0123456789ABCDEFZ", max_size=3),
        st.text(alphabet="0123456789ABCDEF:-", max_size=18), st.text(alphabet=string.digits + " -", max_size=20))


@MEDIUM
@given(st.lists(st.one_of(_tcp_line(), proc_text), max_size=10), st.booleans())
def test_proc_net_tcp_readers_only_raise_parse_errors(lines, header):
    count("fuzz examples", "/proc/net/tcp{,6}")
    with tempfile.TemporaryDirectory() as proc:
        os.makedirs(os.path.join(proc, "net"))
        for name in ("tcp", "tcp6"):
            with open(os.path.join(proc, "net", name), "w") as handle:
                handle.write((TCP_HEADER if header else "") + "".join(lines))
        for reader in (lambda: _proc_net.proc_census(proc),
                       lambda: list(_proc_net.iter_proc_sockets(proc)),
                       lambda: list(_proc_net.iter_proc_sockets(proc, states={10, 8})),
                       lambda: _tcp_state.listeners(proc)):
            try:
                reader()
            except NetfleetError:
                pass
        assert isinstance(_rule_context.read_listeners(proc), list)
    for line in lines:
        try:
            _proc_net.parse_proc_tcp_line(line, "ipv4")
        except NetfleetError:
            pass


@FAST
@given(st.text(max_size=80))
def test_limit_and_release_parsers_only_raise_parse_errors(text):
    count("fuzz examples", "sysctl limits and kernel release")
    for name in ("ip_local_reserved_ports", "ip_local_port_range", "tcp_max_tw_buckets"):
        try:
            _limits.limit_value(name, text, name)
        except NetfleetError:
            pass
    version = _host_context.parse_kernel_release(text)
    assert version is None or all(isinstance(part, int) for part in version)


@FAST
@given(st.lists(st.one_of(proc_text, st.builds(
    lambda n, v, u: "%s: %s %s" % (n, v, u),
    st.sampled_from(["MemTotal", "MemFree", "x"]),
    st.text(alphabet=string.digits + "\u00b2\u0661-", max_size=8),
    st.sampled_from(["kB", "", "MB"]))), max_size=6))
def test_meminfo_reader_never_crashes(lines):
    count("fuzz examples", "/proc/meminfo")
    with tempfile.TemporaryDirectory() as proc:
        with open(os.path.join(proc, "meminfo"), "w") as handle:
            handle.write("\n".join(lines))
        info = _host_context.meminfo(proc)
    assert all(isinstance(value, int) for value in info.values())


# --------------------------------------------------------------------------- netlink

RECORDINGS = sorted(name[:-len(".nlmsgs")] for name in os.listdir(netlink_replay.NETLINK))


def _recording_type(name):
    return _inet_diag.TCPDIAG_GETSOCK if "tcpdiag" in name or name.count(".") == 1 \
        else _inet_diag.SOCK_DIAG_BY_FAMILY


@st.composite
def damaged_reply(draw):
    """A recorded dump reply, damaged: truncated, bytes flipped, lengths rewritten, junk appended."""
    name = draw(st.sampled_from(RECORDINGS))
    datagrams = [bytearray(d) for d in netlink_replay.load(name)]
    for _round in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=len(datagrams) - 1))
        data = datagrams[index]
        action = draw(st.sampled_from(["truncate", "flip", "length", "junk", "drop", "random"]))
        if action == "truncate" and data:
            del data[draw(st.integers(min_value=0, max_value=len(data) - 1)):]
        elif action == "flip" and data:
            at = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif action == "length" and len(data) >= 4:
            at = draw(st.integers(min_value=0, max_value=len(data) - 4)) & ~3
            value = draw(st.sampled_from([0, 1, 15, 16, 87, 88, 89, 90, 92, 0x7FFFFFFF, 0xFFFFFFFF, len(data) - at]))
            struct.pack_into("=I", data, at, value & 0xFFFFFFFF)
        elif action == "junk":
            data.extend(draw(st.binary(max_size=200)))
        elif action == "drop" and len(datagrams) > 1:
            datagrams.pop(index)
        elif action == "random":
            datagrams[index] = bytearray(draw(st.binary(max_size=512)))
    return name, [bytes(d[:_inet_diag.RECV_BUFFER]) for d in datagrams]


def _consume(name, datagrams):
    msg_type = _recording_type(name)
    usable = bytearray(65536)
    for port in range(32768, 61000):
        usable[struct.unpack("=H", struct.pack(">H", port))[0]] = 1
    runs = (
        lambda: _inet_diag.count_states(netlink_replay.chunks(datagrams), msg_type),
        lambda: _inet_diag.count_states_and_ports(netlink_replay.chunks(datagrams), msg_type, usable),
        lambda: [_inet_diag.parse_socket(b, o) for b, o, _l in
                 _inet_diag.walk(netlink_replay.chunks(datagrams), msg_type)],
    )
    for consume in runs:
        try:
            consume()
        except NetfleetError:
            pass


@MEDIUM
@given(damaged_reply())
def test_damaged_netlink_replies_only_raise_typed_errors(reply):
    count("fuzz examples", "netlink replies (damaged recordings)")
    _consume(*reply)


@MEDIUM
@given(st.lists(st.binary(max_size=400), min_size=0, max_size=4), st.sampled_from(RECORDINGS))
def test_random_netlink_bytes_only_raise_typed_errors(datagrams, name):
    count("fuzz examples", "netlink replies (random bytes)")
    _consume(name, datagrams)


# --------------------------------------------------------------------------- files the profile keeps

json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=15)


@FAST
@given(st.one_of(st.binary(max_size=300),
                 json_values.map(lambda v: json.dumps(v).encode()),
                 st.fixed_dictionaries({"format": st.sampled_from([1, 2, "1"]), "profile": st.sampled_from(["web", "x"]),
                                        "path": json_values, "originals": json_values}).map(
                     lambda v: json.dumps(v).encode())))
def test_state_record_loader_only_raises_record_errors(data):
    count("fuzz examples", "state record (JSON)")
    with tempfile.TemporaryDirectory() as state_dir:
        with open(_state_record.record_path(state_dir, "web"), "wb") as handle:
            handle.write(data)
        try:
            record = _state_record.load(state_dir, "web")
        except NetfleetError:
            return
    assert record["profile"] == "web" and isinstance(record["originals"], dict)


@FAST
@given(st.text(max_size=500))
def test_dropin_reader_never_crashes(text):
    count("fuzz examples", "drop-in owner/entries")
    _dropin.owner(text)
    entries = _dropin.entries_of(text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())


nft_json = st.fixed_dictionaries({"nftables": st.lists(st.one_of(
    json_values,
    st.fixed_dictionaries({"rule": st.fixed_dictionaries({
        "family": json_values, "table": json_values, "chain": json_values,
        "expr": st.one_of(json_values, st.lists(st.one_of(
            json_values, st.just({"masquerade": None}), st.fixed_dictionaries({"snat": json_values}),
            st.fixed_dictionaries({"xt": json_values})), max_size=4))})})), max_size=5)})


@FAST
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps), nft_json.map(json.dumps)))
def test_nat_rule_parsers_never_crash(text):
    count("fuzz examples", "nft JSON and iptables-save")
    try:
        evidence = _nat.nat_rules_from_nft(text)
    except ValueError as error:
        assert "nft" in str(error)
    else:
        assert all(isinstance(line, str) for line in evidence)
    _nat.nat_rules_from_iptables_save(text)
