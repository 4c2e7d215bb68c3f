# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules: a key or value that cannot be used as given, and the guards no value switches off.

PRIVATE: internal to the netfleet.tcp collection.

The same checks judge a desired setting (sysctl_check's and sysctl_profile's
``settings``) and a value persisted in a sysctl.d file, so a bad value gets the same
finding wherever it sits. ``blocking`` rules make sysctl_profile refuse the profile.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import parsed, short
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import K_TW_RECYCLE
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import Rule, finding, register
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import value_problem
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import reading_notes
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text, parse_bound

_BOOLEAN_WORDS = frozenset(["yes", "no", "on", "off", "true", "false", "y", "n"])
READING_RULES = ("value-hex", "value-leading-zero")

register(Rule(
    "key-invalid", "error", "Key is not a sysctl name",
    "The key is not a dotted sysctl name (lowercase letters, digits, '_', '-', dots; '/' only "
    "inside an interface name) or would resolve outside /proc/sys.",
    family="input", blocking=True,
    remediation="Write the dotted sysctl name as 'sysctl -a' prints it, e.g. net.ipv4.tcp_fin_timeout."))
register(Rule(
    "value-invalid", "error", "Value cannot be written as a sysctl value",
    "Empty values, floats, nested lists, newlines, '=', '#', backslashes and control "
    "characters never reach the kernel or a sysctl.d file.",
    family="input", blocking=True,
    remediation="Give an integer, a string such as '4096 131072 6291456', or a list of integers."))
register(Rule(
    "value-boolean", "error", "YAML boolean where an integer is meant",
    "yes/no/on/off/true/false become booleans in YAML and are silently turned into 1/0 or "
    "'True' by other tools. Sysctls take integers; write 1 or 0.",
    family="input", blocking=True,
    remediation="Write 1 or 0 (an integer, unquoted in YAML), never yes/no/on/off/true/false."))
register(Rule(
    "value-quoted", "error", "Quoted value",
    "A value that contains quote characters. Neither the kernel nor systemd-sysctl removes "
    "quotes, so the kernel receives them and refuses the value (at boot, when it sits in a file).",
    family="input", blocking=True,
    remediation="Remove the quote characters from inside the value; YAML quoting around it is fine."))
register(Rule(
    "value-leading-zero", "warning", "Number with a leading zero, which the kernel reads as octal",
    "The kernel reads every integer the way C's strtoul does with base 0: a leading 0 makes it octal, "
    "so 030 sets 24 and 010240 sets 4256. Where that differs from the decimal reading, the value is "
    "judged, applied, compared and persisted as the kernel reads it (24, never 030 as written), and "
    "this warning says so, in settings and in persisted files alike.",
    family="input",
    remediation="Write the number in decimal without a leading 0: the value you mean (the kernel's "
                "reading is what is applied and persisted until you do)."))
register(Rule(
    "value-hex", "info", "Hexadecimal number",
    "The kernel reads 0x1e as 30. The value is accepted, and written and persisted as the "
    "decimal number the kernel holds.",
    family="input",
    remediation="Nothing to do; write the decimal value to make the configuration read as the kernel reads it."))
register(Rule(
    "value-shape", "error", "Value has the wrong shape or is out of range",
    "The catalog says what each known key takes: one integer in a range, one of a set of "
    "values, bit flags, a triple, a pair or a port list, read the way the kernel reads it. "
    "The value does not fit.",
    family="input", blocking=True,
    remediation="Use a value of the shape and range the knob reference lists for this key."))
register(Rule(
    "key-missing", "error", "Key absent on this kernel or in this network namespace",
    "The key has no file under /proc/sys here: removed or not yet added in this kernel "
    "version, or it exists only in the initial network namespace (tcp_mem, "
    "tcp_max_orphans, netdev_max_backlog) or is machine-wide and read-only inside a child "
    "namespace (net.core.rmem_max and friends). sysctl_check with missing: skip reports "
    "it as info instead (the key is skipped), so the same profile can be judged in "
    "containers without failing a gate.",
    family="input", blocking=True))


def _tw_recycle_on(values, context):
    value = parsed(K_TW_RECYCLE, values.get(K_TW_RECYCLE))
    if value is None or value.items != (1,) or not nat_ruled_out(context):
        return []
    return [finding("tw-recycle-on", K_TW_RECYCLE, values.get(K_TW_RECYCLE),
                    "tcp_tw_recycle=1 drops SYNs from peers whose timestamps go backwards; upstream "
                    "removed it as broken in 4.12.")]


def _tw_recycle_live(values, context):
    text = values.get(K_TW_RECYCLE)
    if text is None:
        return []
    return tw_recycle_guards(text, context, exists=True)


register(Rule(
    "tw-recycle-nat", "error", "tcp_tw_recycle=1 on a NAT-facing host",
    "tcp_tw_recycle drops SYNs whose timestamps go backwards per peer address. Clients "
    "behind one NAT address have unrelated clocks, so some of them cannot connect at all. "
    "Refused on any kernel version unless NAT is ruled out: nat_facing=false given, or the "
    "host neither forwards nor listens on a non-loopback address (unknown counts as NAT). "
    "Upstream removed the knob as broken in 4.12 (4396e46187ca).",
    keys=(K_TW_RECYCLE,), family="input", blocking=True, check=_tw_recycle_live))
register(Rule(
    "tw-recycle-on", "warning", "tcp_tw_recycle=1 where NAT is ruled out",
    "Even without NAT, tcp_tw_recycle=1 drops SYNs from any peer whose timestamps are not "
    "monotonic per address (a restarted peer, tcp_timestamps changes, load-balanced "
    "addresses). Upstream removed it as broken in 4.12 (4396e46187ca).",
    keys=(K_TW_RECYCLE,), kernels=(None, "4.12"), check=_tw_recycle_on,
    remediation="Set net.ipv4.tcp_tw_recycle=0 and use tcp_tw_reuse=1 on the side that opens connections."))
register(Rule(
    "tw-recycle-removed", "error", "tcp_tw_recycle=1 on a kernel without it",
    "tcp_tw_recycle was removed in Linux 4.12; asking for 1 cannot be satisfied and would "
    "fail at boot if persisted.",
    keys=(K_TW_RECYCLE,), family="input", blocking=True, kernels=("4.12", None)))
register(Rule(
    "tw-recycle-obsolete", "info", "tcp_tw_recycle=0 on a kernel without it",
    "Removed in 4.12, so 0 is what the kernel does anyway: counted as satisfied and never "
    "written to a file, where it would cause a boot-time error.",
    keys=(K_TW_RECYCLE,), family="input", kernels=("4.12", None),
    remediation="Remove net.ipv4.tcp_tw_recycle from the settings and from sysctl files; on "
                "this kernel it only causes boot-time errors."))


def display_value(value):
    """A value as text for messages and findings (never raises)."""
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    if value is None:
        return None
    return str(value)


def value_refusal(key, value):
    """``(rule_id, reason)`` when ``value`` cannot be used for ``key``, else None.

    Covers YAML booleans, quotes, syntax (newline, ``=``, ``#``, control characters,
    empty, floats), bounds on keys that are not a single integer, and the catalog's
    shape and range as the kernel reads the value. Does not look at the host.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if isinstance(item, bool):
            return ("value-boolean",
                    "YAML boolean %r (from yes/no/on/off/true/false) where %s is expected; write "
                    "1 or 0 without quotes" % (item, _catalog.expected(key)))
        if isinstance(item, str):
            if "'" in item or '"' in item:
                return ("value-quoted",
                        "value %r contains quotes; the kernel would receive them literally. "
                        "Write the bare value, e.g. %s: %s"
                        % (item, short(key), normalize_text(item.replace('"', "").replace("'", "")) or "1"))
            if normalize_text(item).lower() in _BOOLEAN_WORDS:
                return ("value-boolean", "%r reads as a boolean; write 1 or 0 explicitly" % item)
    bound = parse_bound(value)
    if bound is not None:
        if key in _catalog.CATALOG and not _catalog.is_single_integer(key):
            return ("value-shape",
                    "a bound such as '%s%d' only applies to keys holding one integer; %s takes %s"
                    % (bound[0], bound[1], short(key), _catalog.expected(key)))
        problem = _catalog.shape_problem(key, str(bound[1]))
        return ("value-shape", "bound %s%d: %s" % (bound[0], bound[1], problem)) if problem else None
    problem = value_problem(value)
    if problem:
        return ("value-invalid", problem)
    problem = _catalog.shape_problem(key, value)
    if problem:
        return ("value-shape", problem)
    return None


def reading_findings(key, value):
    """Findings for a usable value the kernel reads unlike a person: hexadecimal, or a leading 0."""
    return [finding(rule_id, key, display_value(value), "%s: %s." % (key, note))
            for rule_id, note in reading_notes(key, value) if rule_id in READING_RULES]


def nat_ruled_out(context):
    """True only when no client can reach this host through NAT: said so explicitly, or it
    neither forwards nor listens on a non-loopback address. Anything unknown fails closed."""
    context = context or {}
    if context.get("nat_facing"):
        return False
    if context.get("nat_mode") == "explicit":
        return True
    evidence = context.get("nat_evidence") or []
    return context.get("nat_mode") == "none" and "no TCP listener on a non-loopback address" in evidence \
        and not any("ip_forward=1" in item for item in evidence)


def tw_recycle_guards(value_text, context, exists):
    """The findings that refuse tcp_tw_recycle=``value_text``: [] when it may be set.

    ``exists`` says whether the key exists here (False on 4.12 and later). A
    NAT-facing host on such a kernel gets both findings, so a pasted list shows
    every reason at once.
    """
    value = parsed(K_TW_RECYCLE, value_text)
    if value is None or value.items != (1,):
        return []
    found = []
    kernel = _catalog.version_text((context or {}).get("kernel_version"))
    if not exists:
        found.append(finding(
            "tw-recycle-removed", K_TW_RECYCLE, value_text,
            "tcp_tw_recycle=1 cannot be set: the key was removed in Linux 4.12 and this host runs %s."
            % kernel,
            "Delete net.ipv4.tcp_tw_recycle from the settings and from every sysctl file. For "
            "ports held in TIME_WAIT, use tcp_tw_reuse=1 on hosts that open many outgoing "
            "connections, or widen ip_local_port_range."))
    if (context or {}).get("nat_facing") or not nat_ruled_out(context):
        evidence = (context or {}).get("nat_evidence") or []
        what = ("on a NAT-facing host" if (context or {}).get("nat_facing")
                else "where NAT cannot be ruled out (this host is reachable from other hosts)")
        found.append(finding(
            "tw-recycle-nat", K_TW_RECYCLE, value_text,
            "tcp_tw_recycle=1 %s drops connections from clients that share a NAT address "
            "(evidence: %s)." % (what, "; ".join(evidence) or "none gathered"),
            "Set net.ipv4.tcp_tw_recycle=0 (or remove it) on this host. It was removed from Linux "
            "in 4.12 for this reason; tcp_tw_reuse=1 is the safe alternative on the side that "
            "opens connections."))
    return found
