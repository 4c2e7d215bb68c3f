# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""List rules: the bad advice published tuning lists carry, judged against the kernel's own values.

PRIVATE: internal to the netfleet.tcp collection.

Each check takes ``(values, context)`` like the value rules and compares a value with
what the running kernel boots with (``_boot``, per kernel version and memory) or with
fixed floors and ceilings. Most are ``list_value`` rules: they need only the value as
written, so they also judge keys that are absent here (inside a network namespace,
net.core.rmem_max and tcp_mem exist only in the initial one). All are ``listed_only``:
they judge the values a list sets, not live values nobody asked to change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import _boot
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import (
    human_bytes,
    integer,
    ints,
    positive_int,
    short,
    unprivileged_start,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import (
    K_CONGESTION,
    K_DSACK,
    K_FILE_MAX,
    K_KEEPALIVE_INTVL,
    K_KEEPALIVE_TIME,
    K_NETDEV_BACKLOG,
    K_PORT_RANGE,
    K_RESERVED,
    K_RMEM,
    K_RMEM_DEFAULT,
    K_RMEM_MAX,
    K_SACK,
    K_SOMAXCONN,
    K_SYN_BACKLOG,
    K_SYNCOOKIES,
    K_TCP_MEM,
    K_TIMESTAMPS,
    K_TW_BUCKETS,
    K_TW_REUSE,
    K_WMEM,
    K_WMEM_DEFAULT,
    K_WMEM_MAX,
    PRIVILEGED_PORTS,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import parsed
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import checked, finding
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import PORTS

# Thresholds, named so documentation and tests read the same numbers.
BUFFER_MIN_HIGH = 128 * 1024        # tcp_rmem[0]/tcp_wmem[0] guaranteed to every socket
BUFFER_INITIAL_SMALL = 16 * 1024    # tcp_rmem[1]/tcp_wmem[1] below the send default
BUFFER_INITIAL_LARGE = 1024 * 1024  # tcp_rmem[1]/tcp_wmem[1] per socket from the start
CORE_DEFAULT_LARGE = 4 * 1024 * 1024  # rmem_default/wmem_default for every non-TCP socket
NETDEV_BACKLOG_MIN = 64             # packets per CPU backlog
KEEPALIVE_TIME_MIN = 30             # seconds idle before the first probe
KEEPALIVE_INTVL_MIN = 5             # seconds between probes
FILE_MAX_SHARE = 4                  # fs.file-max below boot / this is "far below"
TCP_MEM_SHARE = 0.9                 # tcp_mem maximum below this share of boot lowers it

# Well-known service ports below 9000 that an ephemeral range starting near 1024 covers:
# MS SQL, Oracle, NFS, MySQL, PostgreSQL, AMQP, Redis, HTTP alternates.
SERVICE_PORTS = (1433, 1521, 2049, 3306, 5432, 5672, 6379, 8000, 8080, 8443)


def _kernel_text(context):
    kernel = _boot.version(context)
    return "Linux %d.%d" % kernel if kernel else "a current kernel"


def _memory(context):
    return positive_int(context, "mem_total_bytes"), positive_int(context, "page_size")


def _lowers(rule_id, key, value, boot, context):
    return finding(
        rule_id, key, value,
        "%s=%s is below the %d that %s boots with on this host; the list lowers it."
        % (short(key), value, boot, _kernel_text(context)),
        "Remove %s from the list and keep the kernel's boot value, or raise it to at least %d." % (key, boot))


@checked("tw-buckets-lowers-boot", "warning", "tcp_max_tw_buckets below the kernel's boot value",
         "The kernel sizes tcp_max_tw_buckets as half its TCP established hash, which scales with "
         "memory. Above the cap new TIME_WAIT sockets are destroyed at once (counted in "
         "TcpExtTCPTimeWaitOverflow) and lose TIME_WAIT's protection; a list that cuts it to a few "
         "thousand makes a busy host overflow.",
         keys=(K_TW_BUCKETS,), list_value=True, listed_only=True)
def _rule_tw_buckets_boot(values, context):
    buckets = integer(values, K_TW_BUCKETS)
    mem, page = _memory(context)
    if buckets is None or mem is None or page is None:
        return []
    boot = _boot.tw_buckets(mem, page)
    return [_lowers("tw-buckets-lowers-boot", K_TW_BUCKETS, values.get(K_TW_BUCKETS), boot, context)] if buckets < boot else []


@checked("somaxconn-lowers-boot", "warning", "somaxconn below the kernel's boot value",
         "net.core.somaxconn caps every listen() backlog; kernels boot with 4096 since 19f92a030ca6 "
         "(5.4) and 128 before. A list value below it shrinks accept queues.",
         keys=(K_SOMAXCONN,), list_value=True, listed_only=True)
def _rule_somaxconn_boot(values, context):
    somaxconn = integer(values, K_SOMAXCONN)
    boot = _boot.somaxconn(_boot.version(context))
    if somaxconn is None or somaxconn >= boot:
        return []
    return [_lowers("somaxconn-lowers-boot", K_SOMAXCONN, values.get(K_SOMAXCONN), boot, context)]


@checked("tcp-mem-lowers-boot", "warning", "tcp_mem maximum below the kernel's boot value",
         "The kernel sizes tcp_mem from memory at boot (limit = pages/16, pages/8 before 4.2; maximum "
         "limit*3/2). A fixed "
         "maximum well below it makes TCP enter memory pressure and drop sooner.",
         keys=(K_TCP_MEM,), list_value=True, listed_only=True)
def _rule_tcp_mem_boot(values, context):
    numbers = ints(values, K_TCP_MEM, 3)
    mem, page = _memory(context)
    if numbers is None or mem is None or page is None:
        return []
    boot = _boot.tcp_mem(mem, page, _boot.version(context))
    if numbers[2] >= TCP_MEM_SHARE * boot[2]:
        return []
    return [finding(
        "tcp-mem-lowers-boot", K_TCP_MEM, values.get(K_TCP_MEM),
        "tcp_mem's maximum %d pages (%s) is below the %d pages (%s) the kernel sizes from this "
        "host's memory at boot." % (numbers[2], human_bytes(numbers[2] * page), boot[2],
                                    human_bytes(boot[2] * page)),
        "Remove net.ipv4.tcp_mem from the list: the boot value scales with memory (%s here)."
        % " ".join(str(number) for number in boot))]


@checked("file-max-lowers-boot", "warning", "fs.file-max far below the kernel's boot value",
         "The kernel sets fs.file-max to about a tenth of memory in KiB; every socket is a file, so "
         "a list value far below it (under a quarter) runs the host out of file handles.",
         keys=(K_FILE_MAX,), list_value=True, listed_only=True)
def _rule_file_max_boot(values, context):
    files = integer(values, K_FILE_MAX)
    mem = positive_int(context, "mem_total_bytes")
    if files is None or mem is None:
        return []
    boot = _boot.file_max(mem)
    if files * FILE_MAX_SHARE >= boot:
        return []
    return [finding(
        "file-max-lowers-boot", K_FILE_MAX, values.get(K_FILE_MAX),
        "fs.file-max=%s is far below the about %d files the kernel allows on this host's %s of "
        "memory; every socket holds a file." % (files, boot, human_bytes(mem)),
        "Remove fs.file-max from the list and keep the boot value.")]


def _buffer_findings(key, numbers, text, boot, context):
    found = []
    page = boot[0]
    if numbers[0] < page:
        found.append(finding(
            "buffer-min-low", key, text,
            "%s minimum %d is below one page (%d bytes), the kernel's own minimum: under memory "
            "pressure sockets shrink below what a segment needs." % (short(key), numbers[0], page),
            "Keep %s's minimum at %d (the boot value)." % (key, page)))
    elif numbers[0] >= BUFFER_MIN_HIGH:
        found.append(finding(
            "buffer-min-high", key, text,
            "%s minimum %s is guaranteed to every TCP socket even under memory pressure."
            % (short(key), human_bytes(numbers[0])),
            "Keep %s's minimum at %d (one page, the boot value)." % (key, page)))
    if numbers[1] < BUFFER_INITIAL_SMALL:
        found.append(finding(
            "buffer-initial-small", key, text,
            "%s initial size %d starts every connection with a tiny buffer (the kernel boots with %d)."
            % (short(key), numbers[1], boot[1]),
            "Keep %s's initial size at %d (the boot value)." % (key, boot[1])))
    elif numbers[1] >= BUFFER_INITIAL_LARGE:
        found.append(finding(
            "buffer-initial-oversized", key, text,
            "%s initial size %s is given to every TCP socket from the start; with many connections "
            "TCP reaches memory pressure early (the kernel boots with %d)."
            % (short(key), human_bytes(numbers[1]), boot[1]),
            "Keep %s's initial size at %d; autotuning grows busy sockets up to the maximum." % (key, boot[1])))
    if numbers[2] < boot[2]:
        found.append(finding(
            "buffer-max-lowers-boot", key, text,
            "%s maximum %s is below the %s that %s boots with on this host; the list lowers it."
            % (short(key), human_bytes(numbers[2]), human_bytes(boot[2]), _kernel_text(context)),
            "Remove %s from the list or raise its maximum to at least %d." % (key, boot[2])))
    return found


@checked("buffer-max-lowers-boot", "warning", "A buffer maximum below the kernel's boot value",
         "tcp_rmem[2], tcp_wmem[2], rmem_max and wmem_max boot with values that scale with memory "
         "and kernel version (tcp_rmem[2] up to 6 MiB since 3.4 and 32 MiB since 6.16; rmem_max "
         "and wmem_max 4 MiB since 6.18). A list that \"raises\" them to less lowers them.",
         keys=(K_RMEM, K_WMEM, K_RMEM_MAX, K_WMEM_MAX), list_value=True, listed_only=True)
def _rule_buffers(values, context):
    mem, page = _memory(context)
    if mem is None or page is None:
        return []
    kernel = _boot.version(context)
    found = []
    for key, boot in ((K_RMEM, _boot.tcp_rmem(kernel, mem, page)), (K_WMEM, _boot.tcp_wmem(kernel, mem, page))):
        numbers = ints(values, key, 3)
        if numbers is not None and numbers[0] <= numbers[1] <= numbers[2]:
            found.extend(_buffer_findings(key, numbers, values.get(key), boot, context))
    boot = _boot.core_mem_max(kernel)
    for key in (K_RMEM_MAX, K_WMEM_MAX):
        number = integer(values, key)
        if number is not None and number < boot:
            found.append(finding(
                "buffer-max-lowers-boot", key, values.get(key),
                "%s=%s is below the %d (%s) that %s boots with; the list lowers it."
                % (short(key), number, boot, human_bytes(boot), _kernel_text(context)),
                "Remove %s from the list or raise it to at least %d." % (key, boot)))
    return found


for _rule_id, _title, _text in (
        ("buffer-min-low", "tcp_rmem or tcp_wmem minimum below one page",
         "The minimum is what every TCP socket keeps under memory pressure; the kernel boots with "
         "one page (PAGE_SIZE)."),
        ("buffer-min-high", "tcp_rmem or tcp_wmem minimum of %d KiB or more" % (BUFFER_MIN_HIGH // 1024),
         "The minimum is guaranteed to each TCP socket even under memory pressure; a large one "
         "multiplies by every connection."),
        ("buffer-initial-small", "tcp_rmem or tcp_wmem initial size below %d KiB" % (BUFFER_INITIAL_SMALL // 1024),
         "Every connection starts with a tiny window and send buffer."),
        ("buffer-initial-oversized", "tcp_rmem or tcp_wmem initial size of %d MiB or more"
         % (BUFFER_INITIAL_LARGE // (1024 * 1024)),
         "Every TCP socket starts with the initial size; memory pressure comes early with many "
         "connections.")):
    checked(_rule_id, "warning", _title, _text, keys=(K_RMEM, K_WMEM), list_value=True, listed_only=True)(None)


@checked("buffer-default-oversized", "warning", "rmem_default or wmem_default of 4 MiB or more",
         "net.core.rmem_default and wmem_default size every non-TCP socket (UDP, unix, netlink) "
         "created on the host; a default of several MiB costs memory for each of them.",
         keys=(K_RMEM_DEFAULT, K_WMEM_DEFAULT), list_value=True, listed_only=True)
def _rule_core_default(values, context):
    found = []
    for key in (K_RMEM_DEFAULT, K_WMEM_DEFAULT):
        number = integer(values, key)
        if number is not None and number >= CORE_DEFAULT_LARGE:
            found.append(finding(
                "buffer-default-oversized", key, values.get(key),
                "%s=%s (%s) is the buffer of every new non-TCP socket on the host (UDP, unix, netlink)."
                % (short(key), number, human_bytes(number)),
                "Keep %s at its boot value (212992); applications that need more ask for it with "
                "SO_RCVBUF/SO_SNDBUF up to %s." % (key, "rmem_max" if key == K_RMEM_DEFAULT else "wmem_max")))
    return found


@checked("timestamps-off", "warning", "tcp_timestamps=0",
         "Turning timestamps off disables PAWS, RTT sampling per segment and TIME_WAIT reuse "
         "(tcp_tw_reuse). The uptime leak it was meant to stop is gone since random offsets "
         "(95a22caee396, 4.10; per address pair since 28ee1b746f49).",
         keys=(K_TIMESTAMPS,), list_value=True, listed_only=True)
def _rule_timestamps(values, context):
    if integer(values, K_TIMESTAMPS) != 0:
        return []
    return [finding(
        "timestamps-off", K_TIMESTAMPS, values.get(K_TIMESTAMPS),
        "tcp_timestamps=0 turns off PAWS, per-segment RTT measurement and TIME_WAIT reuse; "
        "timestamps no longer reveal uptime (random offsets since 4.10).",
        "Remove net.ipv4.tcp_timestamps from the list (the default 1 is right).")]


@checked("sack-off", "warning", "tcp_sack=0",
         "Without selective acknowledgements a loss of several segments in one window costs a "
         "timeout or a go-back-N retransmission.",
         keys=(K_SACK,), list_value=True, listed_only=True,
         remediation="Remove net.ipv4.tcp_sack from the list (the default 1 is right).")
def _rule_sack(values, context):
    if integer(values, K_SACK) != 0:
        return []
    return [finding("sack-off", K_SACK, values.get(K_SACK),
                    "tcp_sack=0 makes multiple losses in one window cost a timeout or go-back-N.")]


@checked("dsack-off", "info", "tcp_dsack=0",
         "Without duplicate SACKs the sender cannot see spurious retransmissions and undo "
         "needless window reductions.",
         keys=(K_DSACK,), list_value=True, listed_only=True,
         remediation="Remove net.ipv4.tcp_dsack from the list (the default 1 is right).")
def _rule_dsack(values, context):
    if integer(values, K_DSACK) != 0:
        return []
    return [finding("dsack-off", K_DSACK, values.get(K_DSACK),
                    "tcp_dsack=0 hides spurious retransmissions from the sender.")]


@checked("syn-backlog-no-effect", "info", "tcp_max_syn_backlog is not read while syncookies are on",
         "The kernel reads tcp_max_syn_backlog only when tcp_syncookies is 0 (tcp_conn_request), "
         "and since ef547f2ac16b (4.4) the SYN queue is capped by the listener's own backlog; "
         "with syncookies on (the default) the setting does nothing.",
         keys=(K_SYN_BACKLOG, K_SYNCOOKIES), kernels=("4.4", None), list_value=True, listed_only=True)
def _rule_syn_backlog_no_effect(values, context):
    backlog = integer(values, K_SYN_BACKLOG)
    cookies = integer(values, K_SYNCOOKIES)
    if backlog is None or cookies in (None, 0):
        return []
    return [finding(
        "syn-backlog-no-effect", K_SYN_BACKLOG, values.get(K_SYN_BACKLOG),
        "tcp_max_syn_backlog=%s is not read while tcp_syncookies=%s; the SYN queue is capped by "
        "each listener's listen() backlog (itself capped by somaxconn)." % (backlog, cookies),
        "Drop tcp_max_syn_backlog from the list; raise net.core.somaxconn and the application's "
        "listen() backlog for larger queues.")]


@checked("tw-reuse-zero", "info", "tcp_tw_reuse=0 turns off loopback reuse",
         "Since 79e9fed46038 (4.18) the default 2 reuses TIME_WAIT ports for loopback connections "
         "only; 0 turns that off too.",
         keys=(K_TW_REUSE,), kernels=("4.18", None), list_value=True, listed_only=True,
         remediation="Remove net.ipv4.tcp_tw_reuse from the list to keep the default 2.")
def _rule_tw_reuse_zero(values, context):
    if integer(values, K_TW_REUSE) != 0:
        return []
    return [finding("tw-reuse-zero", K_TW_REUSE, values.get(K_TW_REUSE),
                    "tcp_tw_reuse=0 turns off the loopback-only TIME_WAIT reuse kernels default to since 4.18.")]


@checked("netdev-backlog-tiny", "error", "netdev_max_backlog below %d packets" % NETDEV_BACKLOG_MIN,
         "The per-CPU input backlog (loopback, veth, RPS) drops every packet above this many.",
         keys=(K_NETDEV_BACKLOG,), list_value=True, listed_only=True,
         remediation="Remove net.core.netdev_max_backlog from the list (boot value 1000) or raise it.")
def _rule_netdev_backlog(values, context):
    backlog = integer(values, K_NETDEV_BACKLOG)
    if backlog is None or backlog >= NETDEV_BACKLOG_MIN:
        return []
    return [finding("netdev-backlog-tiny", K_NETDEV_BACKLOG, values.get(K_NETDEV_BACKLOG),
                    "netdev_max_backlog=%s drops almost every packet that passes the per-CPU backlog." % backlog)]


@checked("keepalive-aggressive", "warning", "keepalive probes after seconds of idle",
         "tcp_keepalive_time below %d s or tcp_keepalive_intvl below %d s turns idle connections "
         "into constant probe traffic and drops them on a short hiccup."
         % (KEEPALIVE_TIME_MIN, KEEPALIVE_INTVL_MIN),
         keys=(K_KEEPALIVE_TIME, K_KEEPALIVE_INTVL), list_value=True, listed_only=True)
def _rule_keepalive(values, context):
    found = []
    for key, floor in ((K_KEEPALIVE_TIME, KEEPALIVE_TIME_MIN), (K_KEEPALIVE_INTVL, KEEPALIVE_INTVL_MIN)):
        seconds = integer(values, key)
        if seconds is not None and 0 < seconds < floor:
            found.append(finding(
                "keepalive-aggressive", key, values.get(key),
                "%s=%s s makes idle connections probe every few seconds and drop on a short hiccup."
                % (short(key), seconds),
                "Use at least %d s for %s (defaults: 7200 s idle, 75 s between probes)." % (floor, key)))
    return found


@checked("port-range-service-ports", "warning", "ip_local_port_range covers common service ports",
         "A range from about 1024 lets outgoing connections take the ports of common services "
         "(%s) unless ip_local_reserved_ports reserves them; the service then cannot bind after a "
         "restart. Judged on the list alone; port-range-listeners judges this host's own listeners."
         % ", ".join(str(port) for port in SERVICE_PORTS),
         keys=(K_PORT_RANGE, K_RESERVED), list_value=True, listed_only=True)
def _rule_port_range_service(values, context):
    numbers = ints(values, K_PORT_RANGE, 2)
    start = unprivileged_start(values, context)[0]
    if not numbers or numbers[0] < (PRIVILEGED_PORTS if start is None else start) or numbers[0] > numbers[1]:
        return []
    reserved_value = parsed(K_RESERVED, values.get(K_RESERVED) or "")
    reserved = reserved_value.items if reserved_value is not None and reserved_value.kind == PORTS else frozenset()
    covered = [port for port in SERVICE_PORTS if numbers[0] <= port <= numbers[1] and port not in reserved]
    if not covered:
        return []
    return [finding(
        "port-range-service-ports", K_PORT_RANGE, values.get(K_PORT_RANGE),
        "ip_local_port_range %d-%d covers common service ports (%s) that ip_local_reserved_ports "
        "does not reserve; an outgoing connection can hold one when the service restarts."
        % (numbers[0], numbers[1], ", ".join(str(port) for port in covered)),
        "Start the range above the ports your services use (the default 32768 60999, or 10000 "
        "65535), or reserve those ports in net.ipv4.ip_local_reserved_ports.")]


@checked("congestion-control-unavailable", "error", "tcp_congestion_control names an algorithm this kernel lacks",
         "Setting the default congestion control loads tcp_<name> when it is not built in; where "
         "neither the running kernel nor its modules have it, the write fails with ENOENT "
         "(net/ipv4/tcp_cong.c tcp_set_default_congestion_control). Judged only when the host can "
         "tell: its available algorithms and its module directory are both readable.",
         keys=(K_CONGESTION,), list_value=True, listed_only=True)
def _rule_congestion(values, context):
    wanted = (values.get(K_CONGESTION) or "").strip()
    available = (context or {}).get("congestion_available")
    loadable = (context or {}).get("congestion_loadable")
    if not wanted or available is None or loadable is None or wanted in available or wanted in loadable:
        return []
    return [finding(
        "congestion-control-unavailable", K_CONGESTION, values.get(K_CONGESTION),
        "tcp_congestion_control=%s: this kernel has %s built in or loaded and no tcp_%s module to "
        "load; the kernel refuses the value." % (wanted, ", ".join(available) or "nothing", wanted),
        "Use one of %s, or install a kernel that provides tcp_%s." % (", ".join(available), wanted))]


def _integers(text):
    words = (text or "").split()
    if not words or not all(word.lstrip("-").isdigit() for word in words):
        return None
    return words


@checked("value-shape-live", "error", "A key outside the catalog given a value unlike its live one",
         "For keys the catalog does not describe, the live value shows what the kernel takes: "
         "where it holds integers, the value must be as many integers (a formula such as "
         "'total_system_memory*5%' or a word is refused).",
         keys=(), listed_only=True)
def _rule_value_shape_live(values, context):
    found = []
    live = (context or {}).get("settings_live") or {}
    for key in sorted(live):
        if key in _catalog.CATALOG or live[key] is None or values.get(key) is None:
            continue
        expected = _integers(live[key])
        if expected is None:
            continue
        given = _integers(values.get(key))
        if given is not None and len(given) == len(expected):
            continue
        found.append(finding(
            "value-shape-live", key, values.get(key),
            "%s holds %s here (%s); %r is not %s." % (
                key, "one integer" if len(expected) == 1 else "%d integers" % len(expected), live[key],
                values.get(key), "an integer" if len(expected) == 1 else "%d integers" % len(expected)),
            "Give %s as %s, computed for this host (the kernel does not evaluate formulas)."
            % (key, "an integer" if len(expected) == 1 else "%d integers separated by spaces" % len(expected))))
    return found
