# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules sysctl_check and sysctl_profile judge sysctl values with.

PRIVATE: internal to the netfleet.tcp collection.

Every rule has a stable id, a severity, a title and a description, listed by
``describe()`` for the documentation. Three families:

* input rules (``key-invalid`` ... ``tw-recycle-obsolete``) are raised by
  _validate while it checks a desired set or a persisted file: the value cannot be
  used, or a guard refuses it. ``blocking`` rules make sysctl_profile refuse the
  whole profile.
* value rules judge one coherent view of the values (live values with the desired
  set laid over them) against the host context: ``evaluate()``.
* persisted rules compare the boot configuration with the live and desired values:
  ``evaluate_persisted()``.

A finding is ``{id, severity, key, value, message, remediation}``; remediation text
says what to change, in words an on-call engineer can act on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import INTEGERS, PORTS, parse
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError

SEVERITIES = ("error", "warning", "info")

K_TW_REUSE = "net.ipv4.tcp_tw_reuse"
K_TW_RECYCLE = "net.ipv4.tcp_tw_recycle"
K_TIMESTAMPS = "net.ipv4.tcp_timestamps"
K_TCP_MEM = "net.ipv4.tcp_mem"
K_RMEM = "net.ipv4.tcp_rmem"
K_WMEM = "net.ipv4.tcp_wmem"
K_ORPHANS = "net.ipv4.tcp_max_orphans"
K_PORT_RANGE = "net.ipv4.ip_local_port_range"
K_RESERVED = "net.ipv4.ip_local_reserved_ports"
K_TW_BUCKETS = "net.ipv4.tcp_max_tw_buckets"
K_FIN_TIMEOUT = "net.ipv4.tcp_fin_timeout"
K_SYN_RETRIES = "net.ipv4.tcp_syn_retries"
K_SYNACK_RETRIES = "net.ipv4.tcp_synack_retries"
K_ORPHAN_RETRIES = "net.ipv4.tcp_orphan_retries"
K_SYN_BACKLOG = "net.ipv4.tcp_max_syn_backlog"
K_SOMAXCONN = "net.core.somaxconn"

# Thresholds, named so documentation and tests read the same numbers.
FIN_TIMEOUT_MIN = 10            # seconds; below it slow peers get reset
RETRIES_MIN = 3                 # syn/synack retries; 3 is about 15 s of trying
ACCEPTING_SHARE = 0.8           # PassiveOpens share above which a host "mostly accepts"
ACCEPTING_MIN_OPENS = 100       # fewer connections since boot prove nothing
PRIVILEGED_PORTS = 1024
# A tcp_mem maximum this many times memory was almost surely written in bytes
# (read as pages it is page-size times too large).
BYTES_MISTAKE_FACTOR = 64


class Rule(object):
    """One rule: identity and documentation; the check lives in a function below."""

    def __init__(self, rule_id, severity, title, description, keys=(), family="value",
                 blocking=False):
        self.id = rule_id
        self.severity = severity
        self.title = title
        self.description = description
        self.keys = tuple(keys)
        self.family = family
        self.blocking = blocking

    def as_dict(self):
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "description": self.description,
            "keys": list(self.keys),
            "family": self.family,
            "blocking": self.blocking,
        }


_RULES = [
    # --- input rules ------------------------------------------------------------------
    Rule("key-invalid", "error", "Key is not a sysctl name",
         "The key is not a dotted sysctl name (lowercase letters, digits, '_', '-', dots; '/' only "
         "inside an interface name) or would resolve outside /proc/sys.",
         family="input", blocking=True),
    Rule("value-invalid", "error", "Value cannot be written as a sysctl value",
         "Empty values, floats, nested lists, newlines, '=', '#', backslashes and control "
         "characters never reach the kernel or a sysctl.d file.",
         family="input", blocking=True),
    Rule("value-boolean", "error", "YAML boolean where an integer is meant",
         "yes/no/on/off/true/false become booleans in YAML and are silently turned into 1/0 or "
         "'True' by other tools. Sysctls take integers; write 1 or 0.",
         family="input", blocking=True),
    Rule("value-quoted", "error", "Quoted value",
         "A value that contains quote characters. Neither the kernel nor systemd-sysctl removes "
         "quotes, so the kernel receives them and refuses the value.",
         family="input", blocking=True),
    Rule("value-leading-zero", "warning", "Number with a leading zero, which the kernel reads as octal",
         "The kernel reads every integer the way C's strtoul does with base 0: a leading 0 makes it octal, "
         "so 030 sets 24 and 010240 sets 4256. Where that differs from the decimal reading, the value is "
         "judged, applied, compared and persisted as the kernel reads it (24, never 030 as written), and "
         "this warning says so, in settings and in persisted files alike.",
         family="input"),
    Rule("value-hex", "info", "Hexadecimal number",
         "The kernel reads 0x1e as 30. The value is accepted, and written and persisted as the "
         "decimal number the kernel holds.",
         family="input"),
    Rule("value-shape", "error", "Value has the wrong shape or is out of range",
         "The catalog says what each known key takes: one integer in a range, one of a set of "
         "values, bit flags, a triple, a pair or a port list. The value does not fit.",
         family="input", blocking=True),
    Rule("key-missing", "error", "Key absent on this kernel or in this network namespace",
         "The key has no file under /proc/sys here: removed or not yet added in this kernel "
         "version, or it exists only in the initial network namespace (tcp_mem, "
         "tcp_max_orphans, netdev_max_backlog) or is machine-wide and read-only inside a child "
         "namespace (net.core.rmem_max and friends). sysctl_check with missing: skip reports "
         "it as info instead (the key is skipped), so the same profile can be judged in "
         "containers without failing a gate.",
         family="input", blocking=True),
    Rule("tw-recycle-nat", "error", "tcp_tw_recycle=1 on a NAT-facing host",
         "tcp_tw_recycle drops SYNs whose timestamps go backwards per peer address. Clients "
         "behind one NAT address have unrelated clocks, so some of them cannot connect at all. "
         "Refused on any kernel version when the host is NAT-facing.",
         keys=(K_TW_RECYCLE,), family="input", blocking=True),
    Rule("tw-recycle-removed", "error", "tcp_tw_recycle=1 on a kernel without it",
         "tcp_tw_recycle was removed in Linux 4.12; asking for 1 cannot be satisfied and would "
         "fail at boot if persisted.",
         keys=(K_TW_RECYCLE,), family="input", blocking=True),
    Rule("tw-recycle-obsolete", "info", "tcp_tw_recycle=0 on a kernel without it",
         "Removed in 4.12, so 0 is what the kernel does anyway: counted as satisfied and never "
         "written to a file, where it would cause a boot-time error.",
         keys=(K_TW_RECYCLE,), family="input"),
    # --- value rules --------------------------------------------------------------------
    Rule("tw-reuse-no-timestamps", "warning", "tcp_tw_reuse with tcp_timestamps=0 does nothing",
         "TIME_WAIT reuse relies on TCP timestamps to tell late segments of the old connection "
         "from the new one; with timestamps off the kernel never reuses.",
         keys=(K_TW_REUSE, K_TIMESTAMPS)),
    Rule("tw-reuse-accepting-host", "info", "tcp_tw_reuse=1 on a host that mostly accepts connections",
         "Only the side that opens a connection (connect()) can reuse TIME_WAIT ports. On a host "
         "where at least %d%% of the connections since boot were accepted (and at least %d were "
         "made), tcp_tw_reuse=1 changes nothing that matters." % (ACCEPTING_SHARE * 100, ACCEPTING_MIN_OPENS),
         keys=(K_TW_REUSE,)),
    Rule("tcp-mem-above-ram", "error", "tcp_mem maximum above physical memory",
         "tcp_mem is counted in pages. Its third value times the page size is more than the "
         "host's memory, usually because a tuning list gave it in bytes.",
         keys=(K_TCP_MEM,)),
    Rule("orphans-above-ram", "warning", "tcp_max_orphans x 64 KiB above physical memory",
         "Each orphaned socket may pin up to 64 KiB; a limit whose worst case exceeds memory "
         "does not protect the host.",
         keys=(K_ORPHANS,)),
    Rule("triple-order", "error", "tcp_rmem, tcp_wmem or tcp_mem not in ascending order",
         "The three values are minimum, default (or pressure) and maximum and must not decrease.",
         keys=(K_RMEM, K_WMEM, K_TCP_MEM)),
    Rule("port-range-order", "error", "ip_local_port_range low end not below high end",
         "A range whose low end is above the high end is refused by the kernel; equal ends "
         "leave one ephemeral port.",
         keys=(K_PORT_RANGE,)),
    Rule("port-range-privileged", "error", "ip_local_port_range starts below 1024",
         "The kernel refuses a low end below ip_unprivileged_port_start (1024 by default); where "
         "that was lowered, outgoing connections take ports privileged services need.",
         keys=(K_PORT_RANGE,)),
    Rule("port-range-parity", "info", "ip_local_port_range ends have the same parity",
         "Since 4.6 connect() uses ports of the low end's parity first and leaves the others "
         "for bind(); the kernel documentation asks for ends of different parity.",
         keys=(K_PORT_RANGE,)),
    Rule("port-range-listeners", "warning", "ip_local_port_range covers ports local services listen on",
         "Ports inside the ephemeral range that are not in ip_local_reserved_ports can be taken "
         "by outgoing connections, so the service cannot bind them after a restart.",
         keys=(K_PORT_RANGE, K_RESERVED)),
    Rule("tw-buckets-below-current", "warning", "tcp_max_tw_buckets below the current TIME_WAIT count",
         "Above the cap the kernel destroys new TIME_WAIT sockets at once and logs 'time wait "
         "bucket table overflow'; the connections lose TIME_WAIT's protection.",
         keys=(K_TW_BUCKETS,)),
    Rule("fin-timeout-low", "warning", "tcp_fin_timeout below %d seconds" % FIN_TIMEOUT_MIN,
         "Orphaned connections whose peer is slow to send its FIN are reset this soon.",
         keys=(K_FIN_TIMEOUT,)),
    Rule("retries-low", "warning", "SYN, SYN-ACK or orphan retries too low for slow clients",
         "tcp_syn_retries or tcp_synack_retries below %d (about 15 seconds of trying), or "
         "tcp_orphan_retries of 1 or 2 (0 means 8), give up on peers behind slow or lossy "
         "links." % RETRIES_MIN,
         keys=(K_SYN_RETRIES, K_SYNACK_RETRIES, K_ORPHAN_RETRIES)),
    Rule("syn-backlog-above-somaxconn", "warning", "tcp_max_syn_backlog above somaxconn",
         "Every listener's queues are capped by its listen() backlog, which somaxconn caps; a "
         "SYN backlog above somaxconn gains nothing.",
         keys=(K_SYN_BACKLOG, K_SOMAXCONN)),
    Rule("live-differs-desired", "warning", "Live value differs from the desired value",
         "The running kernel does not have the value asked for in settings.",
         family="value"),
    # --- persisted rules -----------------------------------------------------------------
    Rule("persisted-drift", "warning", "Persisted value differs from the live value",
         "The value the boot configuration applies differs from the running value, so the next "
         "reboot (or 'sysctl --system') changes it.",
         family="persisted"),
    Rule("persisted-shadows-desired", "warning", "A boot configuration file overrides the desired value",
         "At boot the last assignment wins; the file that wins sets another value than the "
         "desired one, so the desired value is lost on reboot.",
         family="persisted"),
    Rule("persisted-conflict", "warning", "Key persisted in several files with different values",
         "Only the last file in boot order counts; the others are dead configuration that "
         "misleads whoever reads them.",
         family="persisted"),
    Rule("persisted-missing-key", "warning", "Persisted key does not exist on this kernel",
         "systemd-sysctl and 'sysctl --system' report an error for it at every boot (unless the "
         "line starts with '-').",
         family="persisted"),
    Rule("persisted-quoted", "warning", "Configuration file quotes its values",
         "Quotes are not removed by systemd-sysctl; the kernel receives them and refuses the "
         "value at boot.",
         family="persisted"),
    Rule("persisted-invalid", "warning", "Persisted value or line is invalid",
         "A line that is not an assignment, or a value the catalog says the kernel will refuse.",
         family="persisted"),
    Rule("persisted-boot-disagree", "warning", "systemd-sysctl and 'sysctl --system' disagree",
         "systemd-sysctl skips /etc/sysctl.conf unless /etc/sysctl.d/99-sysctl.conf links it in, "
         "while procps 'sysctl --system' applies it last; the two leave different values.",
         family="persisted"),
]

RULES = dict((rule.id, rule) for rule in _RULES)


def rule(rule_id):
    """The Rule for ``rule_id``; KeyError for unknown ids."""
    return RULES[rule_id]


def describe():
    """Every rule as a dict, in a stable order: for docs and the module's return."""
    return [item.as_dict() for item in _RULES]


def finding(rule_id, key, value, message, remediation, severity=None):
    """Build one finding dict for ``rule_id``."""
    return {
        "id": rule_id,
        "severity": severity or RULES[rule_id].severity,
        "key": key,
        "value": value,
        "message": message,
        "remediation": remediation,
    }


# ---------------------------------------------------------------------------
# Helpers

def short(key):
    """``net.ipv4.tcp_fin_timeout`` -> ``tcp_fin_timeout`` for messages."""
    return key.rsplit(".", 1)[-1]


def human_bytes(number):
    """``25283886080`` -> ``"23.5 GiB"``."""
    value = float(number)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            if unit == "bytes":
                return "%d bytes" % number
            return "%.1f %s" % (value, unit)
        value /= 1024.0
    return "%d bytes" % number  # pragma: no cover


def _parsed(key, text):
    if text is None:
        return None
    try:
        return parse(key, text)
    except KernelReadError:
        return None


def _ints(values, key, count=None):
    value = _parsed(key, values.get(key))
    if value is None or value.kind != INTEGERS or (count is not None and len(value.items) != count):
        return None
    return list(value.items)


def _int(values, key):
    numbers = _ints(values, key, 1)
    return numbers[0] if numbers else None


def _positive_int(context, field):
    value = (context or {}).get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _count(context, field):
    value = (context or {}).get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


# ---------------------------------------------------------------------------
# Guards (input family, also judged on live values)

def tw_recycle_guards(value_text, context, exists):
    """The findings that refuse tcp_tw_recycle=``value_text``: [] when it may be set.

    ``exists`` says whether the key exists here (False on 4.12 and later). A
    NAT-facing host on such a kernel gets both findings, so a pasted list shows
    every reason at once.
    """
    value = _parsed(K_TW_RECYCLE, value_text)
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
    if (context or {}).get("nat_facing"):
        evidence = (context or {}).get("nat_evidence") or []
        found.append(finding(
            "tw-recycle-nat", K_TW_RECYCLE, value_text,
            "tcp_tw_recycle=1 on a NAT-facing host drops connections from clients that share a "
            "NAT address (evidence: %s)." % ("; ".join(evidence) or "nat_facing=true"),
            "Set net.ipv4.tcp_tw_recycle=0 (or remove it) on this host. It was removed from Linux "
            "in 4.12 for this reason; tcp_tw_reuse=1 is the safe alternative on the side that "
            "opens connections."))
    return found


# ---------------------------------------------------------------------------
# Value rules. Each takes (values, context) and returns a list of findings;
# ``values`` maps keys to normalised text (None or missing when unknown).

def _rule_tw_recycle_live(values, context):
    text = values.get(K_TW_RECYCLE)
    if text is None:
        return []
    return tw_recycle_guards(text, context, exists=True)


def _rule_tw_reuse_no_timestamps(values, context):
    reuse = _int(values, K_TW_REUSE)
    timestamps = _int(values, K_TIMESTAMPS)
    if reuse is None or reuse < 1 or timestamps != 0:
        return []
    scope = "any outgoing connection" if reuse == 1 else "loopback connections"
    return [finding(
        "tw-reuse-no-timestamps", K_TW_REUSE, values.get(K_TW_REUSE),
        "tcp_tw_reuse=%s (reuse TIME_WAIT ports for %s) does nothing while tcp_timestamps=0: "
        "reuse needs timestamps to tell old segments from new ones." % (reuse, scope),
        "Set net.ipv4.tcp_timestamps=1 (the kernel default) so tcp_tw_reuse can work, or drop "
        "tcp_tw_reuse from the list if you do not need it. Timestamps no longer reveal uptime "
        "(random offsets per connection since 4.10).")]


def _rule_tw_reuse_accepting(values, context):
    if _int(values, K_TW_REUSE) != 1:
        return []
    active = _count(context, "active_opens")
    passive = _count(context, "passive_opens")
    if active is None or passive is None:
        return []
    total = active + passive
    if total < ACCEPTING_MIN_OPENS or passive < ACCEPTING_SHARE * total:
        return []
    return [finding(
        "tw-reuse-accepting-host", K_TW_REUSE, values.get(K_TW_REUSE),
        "This host mostly accepts connections (PassiveOpens %d, ActiveOpens %d since boot, %.0f%% "
        "accepted); tcp_tw_reuse=1 only helps the side that opens connections."
        % (passive, active, 100.0 * passive / total),
        "Leave net.ipv4.tcp_tw_reuse at 2 (the default: loopback only) on servers. Set 1 on hosts "
        "that open many outgoing connections, such as proxies and API or database clients.")]


def _rule_tcp_mem(values, context):
    numbers = _ints(values, K_TCP_MEM, 3)
    mem_total = _positive_int(context, "mem_total_bytes")
    page = _positive_int(context, "page_size")
    if numbers is None or mem_total is None or page is None:
        return []
    high_bytes = numbers[2] * page
    if high_bytes <= mem_total:
        return []
    message = ("tcp_mem's maximum is %d pages x %d bytes = %s, more than this host's %s of memory."
               % (numbers[2], page, human_bytes(high_bytes), human_bytes(mem_total)))
    as_pages = " ".join(str(max(1, number // page)) for number in numbers)
    if high_bytes >= BYTES_MISTAKE_FACTOR * mem_total:
        message += " The numbers look like bytes; tcp_mem is counted in pages."
        remediation = ("tcp_mem is in pages of %d bytes, not bytes. If you meant bytes, write "
                       "'%s'; usually it is best to remove tcp_mem from the list and keep the "
                       "kernel's boot-time value, which scales with memory." % (page, as_pages))
    else:
        remediation = ("Lower net.ipv4.tcp_mem so its third value times %d bytes stays well below "
                       "memory (the kernel's own choice is about 9%% of it), or remove it from the "
                       "list and keep the boot-time value." % page)
    return [finding("tcp-mem-above-ram", K_TCP_MEM, values.get(K_TCP_MEM), message, remediation)]


def _rule_orphans(values, context):
    orphans = _int(values, K_ORPHANS)
    mem_total = _positive_int(context, "mem_total_bytes")
    if orphans is None or mem_total is None:
        return []
    worst = orphans * _catalog.ORPHAN_BYTES
    if worst <= mem_total:
        return []
    fitting = mem_total // _catalog.ORPHAN_BYTES
    return [finding(
        "orphans-above-ram", K_ORPHANS, values.get(K_ORPHANS),
        "tcp_max_orphans=%s allows up to %s of orphaned sockets (64 KiB each), more than this "
        "host's %s of memory." % (orphans, human_bytes(worst), human_bytes(mem_total)),
        "Lower net.ipv4.tcp_max_orphans to at most %d (what fits in memory), better a fraction of "
        "it, or remove it from the list and keep the kernel's boot-time value." % fitting)]


def _rule_triple_order(values, context):
    found = []
    names = {K_TCP_MEM: ("low", "pressure", "high"), K_RMEM: ("min", "default", "max"),
             K_WMEM: ("min", "default", "max")}
    for key in (K_RMEM, K_WMEM, K_TCP_MEM):
        numbers = _ints(values, key, 3)
        if numbers is None or numbers[0] <= numbers[1] <= numbers[2]:
            continue
        labels = names[key]
        if numbers[0] > numbers[1]:
            what = "%s %d > %s %d" % (labels[0], numbers[0], labels[1], numbers[1])
        else:
            what = "%s %d > %s %d" % (labels[1], numbers[1], labels[2], numbers[2])
        found.append(finding(
            "triple-order", key, values.get(key),
            "%s is not in ascending order (%s)." % (short(key), what),
            "Write the three values of %s smallest first (%s), for example '%s'."
            % (key, ", ".join(labels), " ".join(str(n) for n in sorted(numbers)))))
    return found


def _rule_port_range(values, context):
    numbers = _ints(values, K_PORT_RANGE, 2)
    if numbers is None:
        return []
    low, high = numbers
    text = values.get(K_PORT_RANGE)
    found = []
    if low >= high:
        found.append(finding(
            "port-range-order", K_PORT_RANGE, text,
            "ip_local_port_range low end %d is not below its high end %d%s." % (
                low, high, " (the kernel refuses it)" if low > high else ", leaving one ephemeral port"),
            "Write the low end first and keep a wide range, for example '32768 60999' (the "
            "default) or '10000 65535'."))
    if low < PRIVILEGED_PORTS:
        found.append(finding(
            "port-range-privileged", K_PORT_RANGE, text,
            "ip_local_port_range starts at %d, below %d: the kernel refuses it while "
            "ip_unprivileged_port_start is 1024 (its default), and where that was lowered outgoing "
            "connections take ports that privileged services need." % (low, PRIVILEGED_PORTS),
            "Start the range at 1024 or above, for example '%d %d'."
            % (max(low, PRIVILEGED_PORTS), max(high, PRIVILEGED_PORTS + 1))))
    if low < high and low % 2 == high % 2:
        suggestion = high + 1 if high < 65535 else high - 1
        found.append(finding(
            "port-range-parity", K_PORT_RANGE, text,
            "Both ends of ip_local_port_range (%d, %d) are %s; the kernel splits the range by parity "
            "between connect() and bind() and asks for ends of different parity."
            % (low, high, "even" if low % 2 == 0 else "odd"),
            "Move one end by one, for example '%d %d'." % (low, suggestion)))
    found.extend(_rule_port_listeners(values, context, low, high))
    return found


def _rule_port_listeners(values, context, low, high):
    listen = (context or {}).get("listen_ports")
    if not listen or low > high:
        return []
    reserved_text = values.get(K_RESERVED)
    parsed = _parsed(K_RESERVED, reserved_text or "")
    reserved = parsed.items if parsed is not None and parsed.kind == PORTS else frozenset()
    covered = sorted(set(port for port in listen if low <= port <= high and port not in reserved))
    if not covered:
        return []
    listed = ",".join(str(port) for port in covered)
    existing = (reserved_text or "").strip()
    proposal = ",".join(part for part in (existing, listed) if part)
    return [finding(
        "port-range-listeners", K_PORT_RANGE, values.get(K_PORT_RANGE),
        "ip_local_port_range %d-%d covers port%s %s that local services listen on and that "
        "ip_local_reserved_ports does not reserve." % (low, high, "" if len(covered) == 1 else "s", listed),
        "Add %s to net.ipv4.ip_local_reserved_ports (for example '%s'), or move "
        "ip_local_port_range so it does not cover %s." % (
            "it" if len(covered) == 1 else "them", proposal, "it" if len(covered) == 1 else "them"))]


def _rule_tw_buckets(values, context):
    buckets = _int(values, K_TW_BUCKETS)
    current = _count(context, "time_wait")
    if buckets is None or current is None or buckets >= current:
        return []
    return [finding(
        "tw-buckets-below-current", K_TW_BUCKETS, values.get(K_TW_BUCKETS),
        "tcp_max_tw_buckets=%s is below the %s sockets in TIME_WAIT right now: the kernel would "
        "destroy new TIME_WAIT sockets at once and log 'time wait bucket table overflow'."
        % (buckets, current),
        "Raise net.ipv4.tcp_max_tw_buckets well above the peak TIME_WAIT count (at least %d; "
        "TIME_WAIT sockets cost a few hundred bytes each), or remove it from the list and keep "
        "the boot-time value. To have fewer TIME_WAIT sockets, reuse connections (keep-alive, "
        "pooling) instead." % (current * 2))]


def _rule_fin_timeout(values, context):
    seconds = _int(values, K_FIN_TIMEOUT)
    if seconds is None or seconds >= FIN_TIMEOUT_MIN:
        return []
    return [finding(
        "fin-timeout-low", K_FIN_TIMEOUT, values.get(K_FIN_TIMEOUT),
        "tcp_fin_timeout=%s resets orphaned connections whose peer takes more than %s second%s to "
        "close its side (slow mobile clients, uploads after a half-close). It does not shorten "
        "TIME_WAIT." % (seconds, seconds, "" if seconds == 1 else "s"),
        "Use at least %d seconds (30 is a common choice, 60 the default). To reduce TIME_WAIT, "
        "reuse connections or set tcp_tw_reuse=1 on the connecting side." % FIN_TIMEOUT_MIN)]


def _rule_retries(values, context):
    found = []
    for key, label in ((K_SYN_RETRIES, "outgoing connection attempts"),
                       (K_SYNACK_RETRIES, "clients finishing the handshake")):
        retries = _int(values, key)
        if retries is None or retries >= RETRIES_MIN:
            continue
        seconds = 2 ** (retries + 1) - 1
        found.append(finding(
            "retries-low", key, values.get(key),
            "%s=%s gives %s only about %s seconds over a slow or lossy path before giving up."
            % (short(key), retries, label, seconds),
            "Use at least %d for %s (about 15 seconds; the default is %s). Lower values mainly "
            "help during SYN floods, which tcp_syncookies=1 handles better."
            % (RETRIES_MIN, key, _catalog.default_text(key))))
    orphan = _int(values, K_ORPHAN_RETRIES)
    if orphan in (1, 2):
        found.append(finding(
            "retries-low", K_ORPHAN_RETRIES, values.get(K_ORPHAN_RETRIES),
            "tcp_orphan_retries=%s abandons the end of a response to a slow client after %s "
            "retransmission%s." % (orphan, orphan, "" if orphan == 1 else "s"),
            "Use 0 (the default, meaning 8 retries) or at least 3 for net.ipv4.tcp_orphan_retries; "
            "lower values only pay off on servers drowning in orphans."))
    return found


def _rule_syn_backlog(values, context):
    backlog = _int(values, K_SYN_BACKLOG)
    somaxconn = _int(values, K_SOMAXCONN)
    if backlog is None or somaxconn is None or backlog <= somaxconn:
        return []
    return [finding(
        "syn-backlog-above-somaxconn", K_SYN_BACKLOG, values.get(K_SYN_BACKLOG),
        "tcp_max_syn_backlog=%s is above net.core.somaxconn=%s; listen() backlogs are capped at "
        "somaxconn, which caps the queues too, so the extra SYN backlog is never used."
        % (backlog, somaxconn),
        "Raise net.core.somaxconn to at least %s (and the listen() backlog in the application's "
        "configuration), or lower tcp_max_syn_backlog to %s." % (backlog, somaxconn))]


_VALUE_CHECKS = (
    _rule_tw_recycle_live,
    _rule_tw_reuse_no_timestamps,
    _rule_tw_reuse_accepting,
    _rule_tcp_mem,
    _rule_orphans,
    _rule_triple_order,
    _rule_port_range,
    _rule_tw_buckets,
    _rule_fin_timeout,
    _rule_retries,
    _rule_syn_backlog,
)


def _involved(found):
    keys = set([found["key"]])
    rule_keys = RULES[found["id"]].keys
    if found["id"] in ("tw-reuse-no-timestamps", "syn-backlog-above-somaxconn", "port-range-listeners"):
        keys.update(rule_keys)
    return keys


def evaluate(values, context, focus=None):
    """Judge one view of the values against the host context.

    ``values`` maps keys to normalised text (live values with any desired values laid
    over them). ``focus``, when given, keeps only findings that involve at least one
    of those keys (a desired tcp_timestamps=0 is reported against the live
    tcp_tw_reuse=1 it makes inert). Findings come in rule order.
    """
    values = values or {}
    found = []
    for check in _VALUE_CHECKS:
        found.extend(check(values, context or {}))
    if focus is None:
        return found
    focus = set(focus)
    return [item for item in found if _involved(item) & focus]
