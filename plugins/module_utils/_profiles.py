# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tuning profiles as data: which keys each profile sets, to what, and why.

PRIVATE: internal to the netfleet.tcp collection.

A profile is a list of entries ``{key, value | formula, reason}``. ``value`` is a
literal (an integer, a multi-value string, or a bound such as ``">=8192"`` that keeps
a live value already beyond it). ``formula`` names a function of the host context
(memory, page size, listening ports, kernel version) that computes the value per
host, so nothing that depends on the host is ever hard-coded.

``render()`` turns a profile plus group and host overrides into the settings one
host should get; ``describe_profiles()`` lists every profile with its keys, values
or formulas and reasons for the documentation.

Keys that only exist in the initial network namespace (tcp_mem, tcp_max_orphans,
netdev_max_backlog) stay in the rendered settings: whether an absent key is skipped
or fails the run is the caller's missing-key policy, never the profile's choice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import INTEGERS, parse
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError, format_ranges

KIB = 1024
MIB = 1024 * 1024

# Bytes one TIME_WAIT socket costs (struct inet_timewait_sock plus slab overhead,
# rounded up) and the most buffer memory an orphaned socket may still pin.
TIME_WAIT_SOCKET_BYTES = 256
ORPHAN_SOCKET_BYTES = 64 * KIB

# The kernel's ephemeral port range when nothing else is known.
DEFAULT_PORT_RANGE = (32768, 60999)

NO_PROFILE = "none"
PORT_RANGE_KEY = "net.ipv4.ip_local_port_range"


class ProfileError(NetfleetError, ValueError):
    """A profile cannot be rendered: unknown name, bad override, missing host context."""


# ---------------------------------------------------------------------------
# Host context helpers
# ---------------------------------------------------------------------------


def _require(context, field, key):
    value = context.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ProfileError(
            "cannot compute %s for this host: its context has no usable %s (got %r); "
            "pass the result of netfleet.tcp.sysctl_check or its 'context'" % (key, field, value)
        )
    return value


def _memory_pages(context, key):
    return _require(context, "mem_total_bytes", key) // _require(context, "page_size", key)


def _roundup_pow2(number):
    power = 1
    while power < number:
        power <<= 1
    return power


def kernel_ehash_entries(mem_total_bytes, page_size):
    """Size of the kernel's TCP established hash as it is chosen at boot.

    alloc_large_system_hash() with scale 17: one bucket per 128 KiB of memory
    (rounded up to whole MiB), rounded up to a power of two, at most 512 Ki buckets.
    tcp_max_tw_buckets and tcp_max_orphans default to half of it,
    tcp_max_syn_backlog to a 128th (at least 128).
    """
    pages = mem_total_bytes // page_size
    per_mib = max(1, MIB // page_size)
    pages = ((pages + per_mib - 1) // per_mib) * per_mib
    page_shift = page_size.bit_length() - 1
    if page_shift < 17:
        entries = pages >> (17 - page_shift)
    else:
        entries = pages << (page_shift - 17)
    return min(_roundup_pow2(max(entries, 1)), 512 * KIB)


def _kernel_tcp_mem(pages):
    limit = max(pages // 16, 128)
    return [limit // 4 * 3, limit, limit // 4 * 3 * 2]


def _parse_ints(key, text):
    try:
        value = parse(key, text)
    except KernelReadError:
        return None
    return list(value.items) if value.kind == INTEGERS else None


def _live(host, key):
    """Live value of ``key`` from a sysctl_check result (its keys, else its context), or None."""
    keys = host.get("keys") or {}
    if not isinstance(keys, dict):
        raise ProfileError("the host's 'keys' must be sysctl_check's mapping of key to {live, ...}, not %s"
                           % type(keys).__name__)
    entry = keys.get(key) or {}
    live = entry.get("live") if isinstance(entry, dict) else None
    if live is None:
        live = ((host.get("context") or {}).get("sysctl_live") or {}).get(key)
    return None if live is None else normalize_text(str(live))


# ---------------------------------------------------------------------------
# Formulas: host-dependent values
# ---------------------------------------------------------------------------
#
# Each formula is a function ``(key, context, host, settings) -> value`` where
# ``context`` is sysctl_check's host context, ``host`` the whole check result (for
# live values, may only hold the context) and ``settings`` the literal values of
# the merged profile (so a formula can follow an overridden port range).
# A formula returns None when there is nothing to set on this host.


def _tw_buckets_by_memory(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    budget = mem // 64 // TIME_WAIT_SOCKET_BYTES
    floor = kernel_ehash_entries(mem, _require(context, "page_size", key)) // 2
    return max(budget // 1024 * 1024, floor)


def _orphans_by_memory(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    return max(mem // 4 // ORPHAN_SOCKET_BYTES // 1024 * 1024, 1024)


def _tcp_mem_throughput(key, context, host, settings):
    pages = _memory_pages(context, key)
    return "%d %d %d" % (pages // 16, pages // 8, pages // 4)


def _kernel_tcp_mem_formula(key, context, host, settings):
    pages = _memory_pages(context, key)
    wanted = _kernel_tcp_mem(pages)
    live = _parse_ints(key, _live(host, key) or "")
    # The kernel sizes tcp_mem from the pages free at boot, slightly fewer than
    # MemTotal: a live value within 2% of the formula is the kernel's own, keep it.
    if live and len(live) == 3 and wanted[1] and abs(live[1] - wanted[1]) * 50 <= wanted[1]:
        if live == _kernel_tcp_mem(live[1] * 16):
            return "%d %d %d" % tuple(live)
    return "%d %d %d" % tuple(wanted)


def _kernel_half_ehash(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    return kernel_ehash_entries(mem, _require(context, "page_size", key)) // 2


def _kernel_syn_backlog(key, context, host, settings):
    mem = _require(context, "mem_total_bytes", key)
    return max(128, kernel_ehash_entries(mem, _require(context, "page_size", key)) // 128)


def _buffer_limit(key, context):
    # The kernel's per-socket buffer ceiling: free buffer pages << (PAGE_SHIFT - 7),
    # that is memory / 128 bytes.
    return _require(context, "mem_total_bytes", key) // 128


def _kernel_tcp_rmem(key, context, host, settings):
    version = tuple(context.get("kernel_version") or (0, 0, 0))
    middle = 131072 if version >= (4, 20) else 87380
    return "4096 %d %d" % (middle, max(131072, min(6 * MIB, _buffer_limit(key, context))))


def _kernel_tcp_wmem(key, context, host, settings):
    return "4096 16384 %d" % max(64 * KIB, min(4 * MIB, _buffer_limit(key, context)))


def _kernel_somaxconn(key, context, host, settings):
    version = tuple(context.get("kernel_version") or (0, 0, 0))
    return 4096 if version >= (5, 4) else 128


def _port_range(context, host, settings):
    wanted = settings.get(PORT_RANGE_KEY)
    for text in (wanted, _live(host, PORT_RANGE_KEY)):
        ints = _parse_ints(PORT_RANGE_KEY, text) if text is not None else None
        if ints and len(ints) == 2:
            return ints[0], ints[1]
    return DEFAULT_PORT_RANGE


def _reserved_listen_ports(key, context, host, settings):
    low, high = _port_range(context, host, settings)
    listening = context.get("listen_ports")
    if listening is None:
        raise ProfileError(
            "cannot compute %s for this host: its context has no listen_ports" % key
        )
    if not isinstance(listening, list) or not all(
            isinstance(port, int) and not isinstance(port, bool) for port in listening):
        raise ProfileError(
            "cannot compute %s for this host: its context's listen_ports must be a list of port "
            "numbers, got %r" % (key, listening if not isinstance(listening, str) else listening[:80])
        )
    ports = set(port for port in listening if low <= int(port) <= high)
    live = _live(host, key) or ""
    try:
        ports.update(parse(key, live).items)
    except KernelReadError as error:
        raise ProfileError("cannot read port list %r: %s" % (live, error))
    if not ports:
        return None
    return format_ranges(ports)


FORMULAS = {
    "tw_buckets_by_memory": (
        _tw_buckets_by_memory,
        "MemTotal / 64 / %d bytes per TIME_WAIT socket, rounded down to a multiple of 1024, "
        "never below the kernel's own default (half its established hash)" % TIME_WAIT_SOCKET_BYTES,
    ),
    "orphans_by_memory": (
        _orphans_by_memory,
        "MemTotal / 4 / 64 KiB per orphan, rounded down to a multiple of 1024: orphans may pin "
        "at most a quarter of memory",
    ),
    "tcp_mem_throughput": (
        _tcp_mem_throughput,
        "pages = MemTotal / page size; min pages/16, pressure pages/8, max pages/4 (in pages)",
    ),
    "reserved_listen_ports": (
        _reserved_listen_ports,
        "the host's listening TCP ports inside the ephemeral port range being applied, "
        "plus the ports already reserved; left alone when there are none",
    ),
    "kernel_tcp_mem": (
        _kernel_tcp_mem_formula,
        "the kernel's boot-time sizing: limit = pages/16; min limit*3/4, pressure limit, "
        "max limit*3/2 (a live value within 2% of it is the kernel's own and kept)",
    ),
    "kernel_half_ehash": (
        _kernel_half_ehash,
        "the kernel's boot-time sizing: half the TCP established hash, which has one bucket per "
        "128 KiB of memory rounded up to a power of two, at most 512 Ki buckets",
    ),
    "kernel_syn_backlog": (
        _kernel_syn_backlog,
        "the kernel's boot-time sizing: the TCP established hash size / 128, at least 128",
    ),
    "kernel_tcp_rmem": (
        _kernel_tcp_rmem,
        "4096, 131072 (87380 before Linux 4.20), min(6 MiB, MemTotal/128) but at least 128 KiB",
    ),
    "kernel_tcp_wmem": (
        _kernel_tcp_wmem,
        "4096, 16384, min(4 MiB, MemTotal/128) but at least 64 KiB",
    ),
    "kernel_somaxconn": (
        _kernel_somaxconn,
        "4096 since Linux 5.4, 128 before",
    ),
}


# ---------------------------------------------------------------------------
# The profiles
# ---------------------------------------------------------------------------

_TW_BUCKETS_REASON = (
    "Every connection this host closes first spends 60 s in TIME_WAIT. When the table is full "
    "the kernel destroys new TIME_WAIT sockets at once and logs 'time wait bucket table "
    "overflow', which exposes new connections to stray segments of old ones. Sized to memory "
    "(a TIME_WAIT socket costs about 256 bytes), never below the kernel's own default; the "
    "blogs' 5000 is far too small for a busy host."
)

_FIN_TIMEOUT_REASON = (
    "After this host closes a connection, the socket waits in FIN_WAIT2 for the peer's FIN; "
    "a client that vanished keeps it for 60 s by default. 20 s frees those orphans sooner "
    "while leaving slow but live clients time to finish. TIME_WAIT itself stays 60 s: it is "
    "fixed in the kernel and this key does not change it."
)

PROFILES = {
    "web_frontend": {
        "summary": (
            "Servers that accept many short inbound connections: web frontends, load balancers, "
            "API gateways."
        ),
        "settings": (
            {
                "key": "net.ipv4.tcp_syncookies",
                "value": 1,
                "reason": (
                    "When a SYN flood or a burst fills the SYN queue, answer with cookies instead "
                    "of dropping new clients. 1 uses cookies only on overflow (the kernel "
                    "default); pinned because pasted lists sometimes switch it off."
                ),
            },
            {
                "key": "net.ipv4.tcp_max_syn_backlog",
                "value": ">=8192",
                "reason": (
                    "Room for 8192 half-open connections per listener so bursts of new clients "
                    "are not dropped during the handshake. A larger live value is kept. Stays "
                    "no larger than somaxconn, which caps the queue anyway."
                ),
            },
            {
                "key": "net.core.somaxconn",
                "value": ">=8192",
                "reason": (
                    "Upper limit of every listener's accept queue (the backlog given to "
                    "listen()). 8192 lets a busy server absorb bursts between two accept() "
                    "calls; the application must ask for a backlog this large too. A larger "
                    "live value is kept."
                ),
            },
            {"key": "net.ipv4.tcp_fin_timeout", "value": 20, "reason": _FIN_TIMEOUT_REASON},
            {
                "key": "net.ipv4.tcp_keepalive_time",
                "value": 600,
                "reason": (
                    "Start probing an idle keep-alive connection after 10 minutes instead of 2 "
                    "hours, so clients that disappeared without a FIN stop holding sockets and "
                    "memory. Only affects sockets that enable SO_KEEPALIVE."
                ),
            },
            {
                "key": "net.ipv4.tcp_keepalive_intvl",
                "value": 30,
                "reason": (
                    "Probe a silent peer every 30 s instead of every 75 s; with 5 probes a dead "
                    "client is found 12.5 minutes after it went quiet."
                ),
            },
            {
                "key": "net.ipv4.tcp_keepalive_probes",
                "value": 5,
                "reason": (
                    "Give up after 5 unanswered probes instead of 9: enough to ride out packet "
                    "loss, short enough to free the socket within minutes."
                ),
            },
            {
                "key": "net.ipv4.tcp_max_tw_buckets",
                "formula": "tw_buckets_by_memory",
                "reason": _TW_BUCKETS_REASON,
            },
            {
                "key": "net.ipv4.tcp_max_orphans",
                "formula": "orphans_by_memory",
                "reason": (
                    "Sockets the application closed but TCP still finishes (FIN_WAIT1, "
                    "LAST_ACK, CLOSING) belong to nobody and may each pin up to 64 KiB. Capped "
                    "so they can never hold more than a quarter of memory, instead of pasted "
                    "values in the millions. Exists only in the initial network namespace."
                ),
            },
        ),
    },
    "outbound_heavy": {
        "summary": (
            "Proxies, crawlers and services that open many outbound connections, often to few "
            "destinations."
        ),
        "settings": (
            {
                "key": "net.ipv4.ip_local_port_range",
                "value": "10000 65535",
                "reason": (
                    "Each connection to the same destination address and port needs its own "
                    "local port, including those in TIME_WAIT. 10000-65535 gives 55536 ports "
                    "instead of the default 28232. It starts at 10000 to stay clear of services "
                    "that start later on lower ports, and its ends have different parity, as "
                    "the kernel's port selection prefers."
                ),
            },
            {
                "key": "net.ipv4.ip_local_reserved_ports",
                "formula": "reserved_listen_ports",
                "reason": (
                    "A local service listening inside the ephemeral range can find its port "
                    "taken by an outbound connection when it restarts. The ports this host "
                    "listens on inside the range are reserved, computed per host and added to "
                    "what is already reserved."
                ),
            },
            {
                "key": "net.ipv4.tcp_tw_reuse",
                "value": 1,
                "reason": (
                    "Lets connect() take a local port whose previous connection is still in "
                    "TIME_WAIT when timestamps prove the new one is newer. Only the side that "
                    "opens connections benefits, which is this host. Unlike tcp_tw_recycle it "
                    "is safe with clients behind NAT."
                ),
            },
            {
                "key": "net.ipv4.tcp_timestamps",
                "value": 1,
                "reason": (
                    "tcp_tw_reuse relies on TCP timestamps to tell old segments from new ones; "
                    "with timestamps off it silently does nothing."
                ),
            },
            {"key": "net.ipv4.tcp_fin_timeout", "value": 20, "reason": _FIN_TIMEOUT_REASON},
            {
                "key": "net.ipv4.tcp_max_tw_buckets",
                "formula": "tw_buckets_by_memory",
                "reason": _TW_BUCKETS_REASON,
            },
        ),
    },
    "high_throughput": {
        "summary": (
            "Hosts that move bulk data over long or fast paths: replication, backups, object "
            "storage, media."
        ),
        "settings": (
            {
                "key": "net.core.rmem_max",
                "value": ">=33554432",
                "reason": (
                    "Largest receive buffer an application may ask for with SO_RCVBUF. 32 MiB "
                    "covers a 10 Gbit/s flow at about 25 ms round-trip time. A larger live value "
                    "is kept."
                ),
            },
            {
                "key": "net.core.wmem_max",
                "value": ">=33554432",
                "reason": (
                    "Largest send buffer an application may ask for with SO_SNDBUF; same "
                    "sizing as rmem_max. A larger live value is kept."
                ),
            },
            {
                "key": "net.ipv4.tcp_rmem",
                "value": "4096 131072 33554432",
                "reason": (
                    "Receive buffer auto-tuning may grow one connection's window up to 32 MiB "
                    "(bandwidth x round-trip time) instead of 6 MiB; it still starts at 128 KiB "
                    "as the kernel does, so idle connections stay cheap."
                ),
            },
            {
                "key": "net.ipv4.tcp_wmem",
                "value": "4096 16384 33554432",
                "reason": (
                    "Send buffer auto-tuning may grow up to 32 MiB so a fast sender is not "
                    "limited by its own buffer; it still starts at 16 KiB."
                ),
            },
            {
                "key": "net.ipv4.tcp_mem",
                "formula": "tcp_mem_throughput",
                "reason": (
                    "With larger per-connection buffers, total TCP memory must grow too, or the "
                    "stack enters memory pressure and shrinks every window. Counted in pages, "
                    "not bytes: pressure at an eighth and the hard limit at a quarter of "
                    "MemTotal. Exists only in the initial network namespace."
                ),
            },
            {
                "key": "net.ipv4.tcp_notsent_lowat",
                "value": 131072,
                "reason": (
                    "Keep at most 128 KiB of not-yet-sent data queued per socket beyond what is "
                    "in flight (default: unlimited). Large send buffers then add no latency and "
                    "waste no memory, and event loops are woken only when there is room."
                ),
            },
            {
                "key": "net.ipv4.tcp_slow_start_after_idle",
                "value": 0,
                "reason": (
                    "Keep the congestion window after a pause instead of restarting from slow "
                    "start, so long-lived connections that send in bursts resume at full speed."
                ),
            },
            {
                "key": "net.ipv4.tcp_window_scaling",
                "value": 1,
                "reason": (
                    "Windows larger than 64 KiB need window scaling. On by default; pinned "
                    "because every buffer above is useless without it."
                ),
            },
            {
                "key": "net.core.netdev_max_backlog",
                "value": ">=16384",
                "reason": (
                    "Packets one CPU may queue between the network card and the stack; the "
                    "default 1000 drops packets in bursts at multi-gigabit rates. A larger live "
                    "value is kept. Exists only in the initial network namespace."
                ),
            },
        ),
    },
}

# kernel_defaults undoes every key the other profiles set, plus tcp_tw_recycle which
# pasted lists enable. Values whose default the kernel computes from memory or that
# changed between kernel versions come from formulas; the rest from the catalog.
KERNEL_DEFAULT_FORMULAS = {
    "net.ipv4.tcp_mem": "kernel_tcp_mem",
    "net.ipv4.tcp_max_tw_buckets": "kernel_half_ehash",
    "net.ipv4.tcp_max_orphans": "kernel_half_ehash",
    "net.ipv4.tcp_max_syn_backlog": "kernel_syn_backlog",
    "net.ipv4.tcp_rmem": "kernel_tcp_rmem",
    "net.ipv4.tcp_wmem": "kernel_tcp_wmem",
    "net.core.somaxconn": "kernel_somaxconn",
}
# Not restored by kernel_defaults: the kernel's default is an empty list, which cannot be
# written as a value, and reservations may belong to other tools.
KERNEL_DEFAULTS_EXCLUDED = ("net.ipv4.ip_local_reserved_ports",)
KERNEL_DEFAULTS_EXTRA = ("net.ipv4.tcp_tw_recycle",)
KERNEL_DEFAULTS_SUMMARY = (
    "Back to the kernel's own defaults for every key the other profiles set (and "
    "tcp_tw_recycle off): values from the knob catalog, memory-derived ones computed per host "
    "the way the kernel sizes them at boot. ip_local_reserved_ports is left alone."
)


def catalog_entry(key):
    """The knob catalog's entry for ``key`` as a dict, or None when the catalog lacks it."""
    return _catalog.knob(key)


def _kernel_defaults_profile():
    keys = set(KERNEL_DEFAULTS_EXTRA)
    for profile in PROFILES.values():
        keys.update(entry["key"] for entry in profile["settings"])
    keys.difference_update(KERNEL_DEFAULTS_EXCLUDED)
    settings = []
    for key in sorted(keys):
        users = sorted(
            name for name, profile in PROFILES.items()
            if any(entry["key"] == key for entry in profile["settings"])
        )
        undo = ("undoes %s" % ", ".join(users)) if users else "pasted lists enable it"
        if key in KERNEL_DEFAULT_FORMULAS:
            settings.append({
                "key": key,
                "formula": KERNEL_DEFAULT_FORMULAS[key],
                "reason": "The kernel's own default (%s), computed per host as the kernel does "
                          "at boot." % undo,
            })
        else:
            entry = catalog_entry(key)
            default = entry.get("default") if entry else None
            if default is None:
                raise ProfileError("the knob catalog has no kernel default for %s" % key)
            settings.append({
                "key": key,
                "value": default,
                "reason": "The kernel's own default (%s), from the knob catalog." % undo,
            })
    return {"summary": KERNEL_DEFAULTS_SUMMARY, "settings": tuple(settings)}


def profile_names():
    """Every profile name the role accepts, ``none`` (overrides only) last."""
    return sorted(PROFILES) + ["kernel_defaults", NO_PROFILE]


def get_profile(name):
    """The profile ``name`` as ``{summary, settings: (entries)}``."""
    if not isinstance(name, str):
        raise ProfileError(
            "a profile is given by its name (one of %s), not a %s"
            % (", ".join(profile_names()), type(name).__name__)
        )
    if name == "kernel_defaults":
        return _kernel_defaults_profile()
    if name == NO_PROFILE:
        return {"summary": "No profile: only the group and host overrides.", "settings": ()}
    if name not in PROFILES:
        raise ProfileError(
            "unknown profile %r; choose one of %s" % (name, ", ".join(profile_names()))
        )
    return PROFILES[name]


def _value_text(value):
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    return str(value)


def describe_profiles():
    """Every profile with its keys, values or formulas and reasons, for the documentation.

    Returns ``[{name, summary, settings: [{key, value, formula, formula_text, reason,
    host_dependent}]}]``; ``value`` is None for host-dependent entries and
    ``formula_text`` says how the value is computed.
    """
    described = []
    for name in profile_names():
        profile = get_profile(name)
        rows = []
        for entry in profile["settings"]:
            formula = entry.get("formula")
            rows.append({
                "key": entry["key"],
                "value": None if formula else _value_text(entry["value"]),
                "formula": formula,
                "formula_text": FORMULAS[formula][1] if formula else None,
                "reason": entry["reason"],
                "host_dependent": bool(formula),
            })
        described.append({"name": name, "summary": profile["summary"], "settings": rows})
    return described


# ---------------------------------------------------------------------------
# Rendering for one host
# ---------------------------------------------------------------------------


def split_host(host):
    """Accept a whole sysctl_check result or just its ``context``; return ``(context, host)``."""
    if not isinstance(host, dict):
        raise ProfileError(
            "the host must be a sysctl_check result or its context (a dict), not %s"
            % type(host).__name__
        )
    if isinstance(host.get("context"), dict):
        return host["context"], host
    return host, {"context": host}


def _check_overrides(overrides, label):
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise ProfileError(
            "%s must be a dict of sysctl key to value, not %s" % (label, type(overrides).__name__)
        )
    problems = []
    for key in overrides:
        problem = key_problem(key)
        if problem:
            problems.append("%r: %s" % (key, problem))
    if problems:
        raise ProfileError("%s: %s" % (label, "; ".join(problems)))
    return overrides


def plan(host, profile, group_overrides=None, host_overrides=None):
    """Work out one host's settings and where each value came from.

    Merge order: profile < group overrides < host overrides. An override whose value is
    None (``~`` in YAML) removes the key, leaving it as it is on the host. Returns an
    ordered list of ``{key, value, source, reason, formula}``; ``source`` is
    ``profile``, ``group`` or ``host``. Values are passed on unvalidated: sysctl_check
    and sysctl_profile judge them with the shared rules.
    """
    context, full = split_host(host)
    profiles = profile if isinstance(profile, (list, tuple)) else [profile]
    layers = [("group", _check_overrides(group_overrides, "group overrides")),
              ("host", _check_overrides(host_overrides, "host overrides"))]

    chosen = {}
    for name in profiles:
        for entry in get_profile(name)["settings"]:
            chosen[entry["key"]] = dict(entry, source="profile", profile=name)
    for source, overrides in layers:
        for key, value in overrides.items():
            if value is None:
                chosen.pop(key, None)
            else:
                chosen[key] = {"key": key, "value": value, "source": source,
                               "reason": "set by the %s overrides" % source}

    literals = dict((key, entry["value"]) for key, entry in chosen.items() if "formula" not in entry)
    rows = []
    for key in sorted(chosen):
        entry = chosen[key]
        formula = entry.get("formula")
        if formula:
            value = FORMULAS[formula][0](key, context, full, literals)
            if value is None:
                continue
        else:
            value = entry["value"]
        rows.append({
            "key": key,
            "value": value,
            "source": entry["source"],
            "reason": entry["reason"],
            "formula": formula,
        })
    return rows


def render(host, profile, group_overrides=None, host_overrides=None):
    """The settings one host should get, as ``{key: value}`` for sysctl_profile."""
    return dict((row["key"], row["value"])
                for row in plan(host, profile, group_overrides, host_overrides))
