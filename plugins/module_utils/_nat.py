# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this host NAT-facing? The evidence behind the tcp_tw_recycle guard.

PRIVATE: internal to the netfleet.tcp collection.

tcp_tw_recycle=1 breaks clients that reach a host through a shared NAT address,
so the guard needs to know whether a host has such clients. The answer:

1. An explicit ``nat_facing: true`` or ``false`` wins; nothing is probed.
2. ``auto``: a host that does NAT itself is NAT-facing: ``net.ipv4.ip_forward=1``
   plus at least one masquerade or SNAT rule. Rules are read from
   ``nft -j list ruleset`` when nft is installed (that also lists rules made with
   iptables-nft), else from ``iptables-save -t nat`` (legacy iptables).
3. Otherwise a host that serves clients is treated as NAT-facing, because most
   clients on the internet sit behind NAT: it listens on a non-loopback address
   and has accepted more connections than it opened since boot (PassiveOpens >
   ActiveOpens). This is a heuristic: we cannot see whether the clients really
   come from the internet. An internal server that only ever talks to known
   hosts without NAT should say ``nat_facing: false`` explicitly.

Commands run through an injectable ``run(argv) -> (rc, stdout, stderr)`` with
argv lists and LC_ALL=C; binaries are found by a PATH search that also looks in
the sbin directories.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

SEARCH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def find_command(name, path=None):
    """Full path of executable ``name`` from PATH plus the sbin directories, or None."""
    directories = [part for part in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep) if part]
    for directory in list(directories) + [d for d in SEARCH_DIRS if d not in directories]:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def default_run(argv):
    """Run ``argv`` (a list) with LC_ALL=C; returns ``(rc, stdout, stderr)`` as text."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out, err = process.communicate()
    except (IOError, OSError) as error:
        return 127, "", str(error)
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def parse_nat_facing(value):
    """``True``/``False``/``"auto"`` from a bool or a string such as ``"true"``; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if value is None:
        return "auto"
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("nat_facing must be auto, true or false, not %r" % (value,))


# ---------------------------------------------------------------------------
# NAT rules

def _nat_kind(expression):
    """``"masquerade"``/``"snat"`` when an nft JSON expression is a source NAT statement."""
    if not isinstance(expression, dict):
        return None
    if "masquerade" in expression:
        return "masquerade"
    if "snat" in expression:
        return "snat"
    xt = expression.get("xt")
    if isinstance(xt, dict) and str(xt.get("name", "")).upper() in ("MASQUERADE", "SNAT"):
        return str(xt["name"]).lower()
    return None


def nat_rules_from_nft(text):
    """Evidence strings for every masquerade/SNAT rule in ``nft -j list ruleset`` output.

    Raises ValueError when the text is not nft's JSON.
    """
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("nft did not print JSON")
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise ValueError("nft JSON has no 'nftables' list")
    evidence = []
    for item in data["nftables"]:
        rule = item.get("rule") if isinstance(item, dict) else None
        if not isinstance(rule, dict):
            continue
        expressions = rule.get("expr")
        for expression in expressions if isinstance(expressions, list) else []:
            kind = _nat_kind(expression)
            if kind:
                line = "%s rule in table %s %s chain %s" % (
                    kind, rule.get("family", "?"), rule.get("table", "?"), rule.get("chain", "?"))
                if line not in evidence:
                    evidence.append(line)
                break
    return evidence


def nat_rules_from_iptables_save(text):
    """Evidence strings for MASQUERADE/SNAT rules in ``iptables-save -t nat`` output."""
    evidence = []
    table = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = line[1:]
            continue
        if not line.startswith("-A "):
            continue
        parts = line.split()
        chain = parts[1] if len(parts) > 1 else "?"
        for index, part in enumerate(parts[:-1]):
            if part in ("-j", "--jump") and parts[index + 1] in ("MASQUERADE", "SNAT"):
                entry = "%s rule in iptables table %s chain %s" % (
                    parts[index + 1].lower(), table or "nat", chain)
                if entry not in evidence:
                    evidence.append(entry)
    return evidence


def read_nat_rules(run=None, which=None):
    """``(evidence, source_note)``: NAT rules from nft when installed, else legacy iptables."""
    run = run or default_run
    which = which or find_command
    nft = which("nft")
    notes = []
    if nft:
        rc, out, err = run([nft, "-j", "list", "ruleset"])
        if rc == 0:
            try:
                return nat_rules_from_nft(out), "nft ruleset"
            except ValueError as error:
                notes.append("could not read the nft ruleset (%s)" % error)
        else:
            notes.append("nft -j list ruleset failed (rc %s: %s)" % (rc, (err or "").strip()[:200]))
    save = which("iptables-save")
    if save:
        rc, out, err = run([save, "-t", "nat"])
        if rc == 0:
            return nat_rules_from_iptables_save(out), "iptables-save"
        notes.append("iptables-save -t nat failed (rc %s: %s)" % (rc, (err or "").strip()[:200]))
    if not nft and not save:
        notes.append("neither nft nor iptables-save is installed")
    return None, "; ".join(notes)


# ---------------------------------------------------------------------------
# Listeners (read by _tcp_state.listeners)

def is_loopback(address):
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses."""
    if address.startswith("127.") or address == "::1":
        return True
    return address.lower().startswith("::ffff:127.")


def _format_listener(family, address, port):
    # An IPv4-mapped listener of an ipv6 socket is listed by its IPv4 address.
    return "[%s]:%d" % (address, port) if ":" in address else "%s:%d" % (address, port)


# ---------------------------------------------------------------------------
# The decision

def detect(nat_facing="auto", *, ip_forward=None, listeners=None, active_opens=None,
           passive_opens=None, run=None, which=None):
    """Decide whether the host is NAT-facing.

    Returns ``{"nat_facing": bool, "nat_mode": mode, "nat_evidence": [str]}`` where mode
    is ``explicit`` (the caller said so), ``gateway`` (the host does NAT itself),
    ``server`` (accepts connections on public listeners) or ``none``. The evidence
    says what the decision rests on, in words.
    """
    choice = parse_nat_facing(nat_facing)
    if choice != "auto":
        return {"nat_facing": choice, "nat_mode": "explicit",
                "nat_evidence": ["nat_facing=%s given explicitly" % ("true" if choice else "false")]}

    evidence = []
    forwarding = str(ip_forward).strip() == "1" if ip_forward is not None else False
    if forwarding:
        rules, source = read_nat_rules(run, which)
        if rules:
            return {"nat_facing": True, "nat_mode": "gateway",
                    "nat_evidence": ["net.ipv4.ip_forward=1"] + rules}
        if rules is None:
            evidence.append("net.ipv4.ip_forward=1 but NAT rules could not be read: %s" % source)
        else:
            evidence.append("net.ipv4.ip_forward=1 but no masquerade or SNAT rule (%s)" % source)
    else:
        evidence.append("net.ipv4.ip_forward=%s" % (str(ip_forward).strip() if ip_forward is not None else "unknown"))

    public = [item for item in (listeners or []) if not is_loopback(item[1])]
    if public and active_opens is not None and passive_opens is not None and passive_opens > active_opens:
        shown = ", ".join(_format_listener(*item) for item in public[:8])
        if len(public) > 8:
            shown += " and %d more" % (len(public) - 8)
        return {"nat_facing": True, "nat_mode": "server",
                "nat_evidence": evidence + [
                    "listening on non-loopback addresses: %s" % shown,
                    "accepts more connections than it opens (PassiveOpens %d > ActiveOpens %d since boot); "
                    "clients on the internet usually sit behind NAT" % (passive_opens, active_opens)]}
    if not public:
        evidence.append("no TCP listener on a non-loopback address")
    elif active_opens is None or passive_opens is None:
        evidence.append("connection counters unavailable")
    else:
        evidence.append("opens at least as many connections as it accepts (ActiveOpens %d, PassiveOpens %d)"
                        % (active_opens, passive_opens))
    return {"nat_facing": False, "nat_mode": "none", "nat_evidence": evidence}
