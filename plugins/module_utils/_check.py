# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_check's engine: gather the host context, read values, run every rule.

PRIVATE: internal to the netfleet.tcp collection.

``gather_context()`` is shared with sysctl_profile (its guards need the same
NAT decision and memory figures); ``run_check()`` is the whole read-only check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _nat, _rules, _sysctl_conf, _validate
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    NetfleetError,
    SysctlInputError,
    SysctlReadError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._host_context import basic_context
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import (
    bound_satisfied,
    key_problem,
    normalize_text,
    read_value,
)

try:  # the census libraries of tcp_state_facts
    from ansible_collections.netfleet.tcp.plugins.module_utils import _tcp_state
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import proc_net as _proc_net
except ImportError:  # pragma: no cover - only in a partial copy of the collection
    _proc_net = _tcp_state = None


def read_live(keys, proc="/proc"):
    """``{key: normalised text or None}``; unreadable keys read as None too (noted by the caller)."""
    root = os.path.join(proc, "sys")
    values = {}
    for key in keys:
        try:
            values[key] = read_value(key, root)
        except (SysctlInputError, SysctlReadError):
            values[key] = None
    return values


def _read_sockstat_tw(proc):
    try:
        return (_proc_net.read_sockstat(proc).get("tcp") or {}).get("tw")
    except NetfleetError:
        return None


def _read_tcp_counters(proc):
    try:
        tcp = _proc_net.read_counters(proc).get("Tcp") or {}
    except NetfleetError:
        return None, None
    return tcp.get("ActiveOpens"), tcp.get("PassiveOpens")


def read_listeners(proc="/proc", diag=None):
    """``[(family, address, port)]`` of TCP listeners (``_tcp_state.listeners``).

    The context never fails over its listeners: when the netlink dump cannot be read
    or decoded at all, /proc/net/tcp{,6} is read instead, and a /proc/net/tcp that
    cannot be parsed gives no listeners.
    """
    try:
        return _tcp_state.listeners(proc, diag=diag)
    except (NetfleetError, EnvironmentError, ValueError):
        pass
    try:
        return _tcp_state.listeners(proc, source="proc")
    except NetfleetError:
        return []


def gather_context(proc="/proc", nat_facing="auto", run=None, which=None):
    """The host context every check and guard reads.

    Keys: kernel, kernel_version, initial_netns, proc_sys_net_writable,
    mem_total_bytes, page_size, nat_facing, nat_mode, nat_evidence, listen_ports,
    time_wait, active_opens, passive_opens, and sysctl_live (live values of every
    catalog key, for cross-key rules; None where absent).

    ``run(argv) -> (rc, stdout, stderr)`` runs nft/iptables-save for NAT detection
    (only when nat_facing is auto and ip_forward is 1); ``which(name)`` finds them.
    """
    context = basic_context(proc)
    live = read_live(_catalog.keys(), proc)
    listeners = read_listeners(proc)
    active, passive = _read_tcp_counters(proc)
    context.update({
        "listen_ports": sorted(set(port for _family, _address, port in listeners)),
        "time_wait": _read_sockstat_tw(proc),
        "active_opens": active,
        "passive_opens": passive,
        "sysctl_live": live,
    })
    context.update(_nat.detect(
        nat_facing, ip_forward=live.get("net.ipv4.ip_forward"), listeners=listeners,
        active_opens=active, passive_opens=passive, run=run, which=which))
    return context


# ---------------------------------------------------------------------------
# The whole check

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
FAIL_ON = ("error", "warning", "never")


def _same(first, second):
    if first is None or second is None:
        return first is None and second is None
    return normalize_text(first) == normalize_text(second)


def _desired_text(wanted):
    if wanted.get("bound"):
        return "%s%d" % wanted["bound"]
    return wanted.get("value")


def _satisfied(wanted, text):
    if text is None:
        return False
    if wanted.get("bound"):
        op, limit = wanted["bound"]
        return bound_satisfied(op, limit, text)
    return _same(wanted.get("value"), text)


def _where(record):
    return "%s line %s" % (record["file"], record["line"]) if record.get("line") else record["file"]


def _persisted_findings(resolution, judged, desired, live, all_live, context):
    """Findings of the persisted family."""
    found = []
    kernel = _catalog.version_text(context.get("kernel_version"))
    # Keys persisted but absent here: an error at every boot.
    seen = {}
    for key, records in sorted(resolution["assignments"].items()):
        seen.setdefault(key, []).extend(records)
    conf_path = resolution["sysctl_conf"]["path"]
    if resolution["sysctl_conf"]["linked_as"] is None:
        for key, record in sorted(resolution["procps_effective"].items()):
            if record["file"] == conf_path:
                seen.setdefault(key, []).append(record)
    for key in sorted(seen):
        records = [record for record in seen[key] if not record["ignore_errors"]]
        if not records:
            continue
        problem = key_problem(key)
        if problem:
            found.append(_rules.finding(
                "persisted-invalid", key, records[-1]["value"],
                "%s in %s is not a valid sysctl name: %s." % (key, _where(records[-1]), problem),
                "Fix or delete the line in %s; at boot it only produces an error." % records[-1]["file"]))
            continue
        if all_live.get(key) is not None:
            continue
        reason = _catalog.absence_reason(key, context.get("kernel_version"), context.get("initial_netns") is not False)
        files = sorted(set(_where(record) for record in records))
        found.append(_rules.finding(
            "persisted-missing-key", key, records[-1]["value"],
            "%s is set in %s but does not exist here (%s); systemd-sysctl and 'sysctl --system' report an "
            "error for it at every boot." % (key, ", ".join(files),
                                             reason or "no such key under /proc/sys on kernel %s" % kernel),
            "Delete the line from %s, or prefix it with '-' (as in '-%s = %s') if the key only exists on "
            "some of your kernels or namespaces."
            % (", ".join(sorted(set(r["file"] for r in records))), key, records[-1]["value"])))
    for item in resolution["quoted"]:
        found.append(_rules.finding(
            "persisted-quoted", item["key"], item["value"],
            "%s line %d quotes the value of %s (%s); the quotes reach the kernel, which refuses the value at boot."
            % (item["file"], item["line"], item["key"], item["value"]),
            "Remove the quotes in %s line %d: write '%s = %s'." % (
                item["file"], item["line"], item["key"], normalize_text(item["value"].replace('"', "").replace("'", "")))))
    for item in resolution["invalid"]:
        found.append(_rules.finding(
            "persisted-invalid", None, item["text"],
            "%s: %s." % (item["file"], item["reason"]),
            "Fix the line in %s to read 'key = value', or comment it out with '#'." % item["file"]))

    for key in sorted(judged):
        record = _sysctl_conf.effective_for(resolution, key)
        entries = resolution["assignments"].get(key, [])
        values = set(normalize_text(entry["value"]) for entry in entries)
        if len(values) > 1 and record is not None:
            others = ", ".join("%s in %s" % (entry["value"], _where(entry)) for entry in entries[:-1]
                               if not _same(entry["value"], record["value"]))
            found.append(_rules.finding(
                "persisted-conflict", key, record["value"],
                "%s is persisted with different values; %s wins at boot with %s, overriding %s."
                % (key, _where(record), record["value"], others),
                "Keep %s in one file only: delete it from the files that lose (or make them agree with %s)."
                % (key, record["file"])))
        if record is not None and record["value"] is not None and key_problem(key) is None:
            problem = _catalog.shape_problem(key, record["value"]) if not record["quoted"] else None
            if problem:
                found.append(_rules.finding(
                    "persisted-invalid", key, record["value"],
                    "%s in %s: %s; the kernel refuses it at boot." % (key, _where(record), problem),
                    "Correct the value in %s (%s takes %s)." % (record["file"], key, _catalog.expected(key))))
        if record is not None and live.get(key) is not None and not _same(record["value"], live[key]):
            found.append(_rules.finding(
                "persisted-drift", key, live[key],
                "%s is %s now but %s sets %s at boot: the next reboot or 'sysctl --system' changes it."
                % (key, live[key], _where(record), record["value"]),
                "Decide which value is right: persist the live value in %s, or apply the file's value now "
                "(sysctl -p %s)." % (record["file"], record["file"])))
        wanted = desired.get(key)
        if wanted and record is not None and not _satisfied(wanted, record["value"]):
            found.append(_rules.finding(
                "persisted-shadows-desired", key, record["value"],
                "At boot %s wins for %s with %s, not the desired %s; a reboot loses the desired value."
                % (_where(record), key, record["value"], _desired_text(wanted)),
                "Change or remove %s in %s, or write the desired value to a file that sorts after it "
                "(sysctl_profile does this and warns about it)." % (key, record["file"])))
    for key, sides in sorted(resolution["disagreements"].items()):
        systemd, procps = sides[_sysctl_conf.SYSTEMD], sides[_sysctl_conf.PROCPS]
        found.append(_rules.finding(
            "persisted-boot-disagree", key, (procps or systemd or {}).get("value"),
            "%s: systemd-sysctl leaves %s at boot, 'sysctl --system' leaves %s."
            % (key, _sysctl_conf._describe(systemd), _sysctl_conf._describe(procps)),
            "Move %s out of %s into a file under /etc/sysctl.d, or link it in with "
            "'ln -s ../sysctl.conf /etc/sysctl.d/99-sysctl.conf', so both loaders agree."
            % (key, resolution["sysctl_conf"]["path"])))
    return found


def _skipped_finding(key, reason):
    """A key absent here under ``missing: skip``: reported, but as info, so no gate trips on it."""
    return _rules.finding("key-missing", key, None, "%s: %s; skipped (missing: skip)." % (key, reason),
                          _validate.missing_remediation(key, reason), severity="info")


def run_check(settings=None, proc="/proc", root="/", nat_facing="auto", keys=None, run=None, which=None,
              missing="fail"):
    """The read-only check: returns the sysctl_check result (findings, keys, context, persisted, summary).

    ``missing``: ``fail`` reports a key of ``settings`` or ``keys`` that is absent here (or
    machine-wide, so not settable in this namespace) as a ``key-missing`` error; ``skip``
    reports it as an info ``key-missing`` finding and judges the other keys alone (a skipped
    key is not desired here: its ``desired`` is null).
    """
    context = gather_context(proc=proc, nat_facing=nat_facing, run=run, which=which)
    all_live = dict(context["sysctl_live"])
    settings = settings if settings is not None else {}
    setting_keys = [key for key in settings if isinstance(key, str) and key_problem(key) is None] \
        if isinstance(settings, dict) else []
    live_settings = read_live(setting_keys, proc)
    all_live.update(live_settings)
    validation = _validate.validate_settings(settings, context, live_settings, missing)
    desired = validation["desired"]

    resolution = _sysctl_conf.resolve(root)
    persisted_keys = set(resolution["assignments"]) | set(resolution["procps_effective"])
    extra = [key for key in persisted_keys if key not in all_live and key_problem(key) is None]
    all_live.update(read_live(extra, proc))

    findings = []
    if keys:
        judged = set()
        for key in keys:
            problem = key_problem(key)
            if problem:
                findings.append(_rules.finding("key-invalid", str(key), None, "%r: %s" % (key, problem),
                                               _validate.REMEDIATION["key-invalid"]))
            else:
                judged.add(key)
        all_live.update(read_live([key for key in judged if key not in all_live], proc))
        for key in sorted(judged - set(setting_keys)):
            if all_live.get(key) is None:
                reason = _validate.absent_reason(key, context)
                if missing == "skip":
                    findings.append(_skipped_finding(key, reason))
                else:
                    findings.append(_rules.finding("key-missing", key, None, "%s: %s." % (key, reason),
                                                   _validate.missing_remediation(key, reason)))
    else:
        judged = set(key for key in _catalog.keys() if all_live.get(key) is not None)
    judged |= set(setting_keys)

    for item in validation["refused"]:
        if item.get("findings"):
            findings.extend(item["findings"])
        else:
            findings.append(_rules.finding(item["id"], item["key"], item["value"], item["reason"], item["remediation"]))
    obsolete = [item for item in validation["findings"] if item["id"] == "tw-recycle-obsolete"]
    findings.extend(obsolete)
    skipped = set(validation["skipped"]) - set(item["key"] for item in obsolete)
    findings.extend(_skipped_finding(key, validation["skipped"][key]) for key in sorted(skipped))
    values = _validate.planned_values(desired, context, all_live)
    findings.extend(_rules.evaluate(values, context, focus=judged))
    drift = set()
    for key in sorted(desired):
        if not _satisfied(desired[key], all_live.get(key)):
            drift.add(key)
            findings.append(_rules.finding(
                "live-differs-desired", key, all_live.get(key),
                "%s is %s now; the desired value is %s." % (key, all_live.get(key), _desired_text(desired[key])),
                "Apply the desired value, for example with netfleet.tcp.sysctl_profile, which also persists it."))
    persisted_findings = _persisted_findings(resolution, judged, desired, all_live, all_live, context)
    drift.update(item["key"] for item in persisted_findings if item["id"] == "persisted-drift")
    findings.extend(persisted_findings)
    findings.sort(key=lambda item: _SEVERITY_RANK[item["severity"]])

    key_table = {}
    for key in sorted(judged):
        record = _sysctl_conf.effective_for(resolution, key)
        wanted = desired.get(key)
        if wanted is None and isinstance(settings, dict) and key in settings and key not in skipped:
            desired_text = _validate.display_value(settings[key])
        else:
            desired_text = _desired_text(wanted) if wanted else None
        key_table[key] = {
            "live": all_live.get(key),
            "persisted": record["value"] if record else None,
            "persisted_file": record["file"] if record else None,
            "desired": desired_text,
            "in_catalog": key in _catalog.CATALOG,
            "exists": all_live.get(key) is not None,
        }

    public_context = dict((name, value) for name, value in context.items() if name != "sysctl_live")
    persisted = {
        "sources": resolution["sources"],
        "procps_sources": resolution["procps_sources"],
        "effective": dict((key, {"value": record["value"], "file": record["file"], "line": record["line"]})
                          for key, record in resolution["effective"].items()),
        "notes": resolution["notes"],
        "masked": resolution["masked"],
        "sysctl_conf": resolution["sysctl_conf"],
        "disagreements": resolution["disagreements"],
    }
    summary = {
        "errors": sum(1 for item in findings if item["severity"] == "error"),
        "warnings": sum(1 for item in findings if item["severity"] == "warning"),
        "infos": sum(1 for item in findings if item["severity"] == "info"),
        "drift": len(drift),
        "keys_checked": len(key_table),
    }
    return {"findings": findings, "keys": key_table, "context": public_context, "persisted": persisted,
            "summary": summary}


def should_fail(result, fail_on="error"):
    """True when a finding reaches the ``fail_on`` severity (error, warning; never: never)."""
    if fail_on not in FAIL_ON:
        raise ValueError("fail_on must be one of %s" % ", ".join(FAIL_ON))
    if fail_on == "never":
        return False
    threshold = _SEVERITY_RANK[fail_on]
    return any(_SEVERITY_RANK[item["severity"]] <= threshold for item in result["findings"])
