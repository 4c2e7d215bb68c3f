# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""History: what changed since the previous audit of the same hosts, and each host's trend.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.

After each audit, ``snapshot(report)`` is kept as ``audit-<run_id>.json`` in the history
folder (the audit_files action writes it and keeps the newest N). The next report reads
them back (``load_snapshots``) and ``attach`` adds to it:

- ``changes``: against the newest earlier snapshot that shares a host with this run:
  hosts added and gone, findings new and resolved, keys drifted and repaired, and the main
  pressure figures that moved (see ``FIGURES`` and ``notable``);
- ``trend``: the main figures of every host over the kept runs, oldest first, this run last.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import ReportInputError
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import short_repr

HISTORY_FORMAT = "netfleet.tcp.audit-history/1"
SNAPSHOT_NAME = re.compile(r"^audit-(\d{8}T\d{6}Z)\.json$")
# The main pressure figures: (name, label, kind). Counts are sockets, ratios a share of a limit.
FIGURES = (
    ("time_wait", "TIME_WAIT sockets", "count"),
    ("close_wait", "CLOSE_WAIT sockets", "count"),
    ("orphans", "orphaned sockets", "count"),
    ("time_wait_pressure", "TIME_WAIT / tcp_max_tw_buckets", "ratio"),
    ("orphan_pressure", "orphans / tcp_max_orphans", "ratio"),
    ("ephemeral_ports", "busiest destination's share of the ephemeral ports", "ratio"),
)
# A count moved notably when it changed by at least COUNT_MIN sockets and COUNT_SHARE of the
# larger value; a ratio when it moved by RATIO_MIN (5 points of the limit).
COUNT_MIN = 50
COUNT_SHARE = 0.5
RATIO_MIN = 0.05


def figures(entry):
    """The main pressure figures of one host's entry (None for a host not audited)."""
    if entry.get("status") != "ok" or not entry.get("states"):
        return None
    pressure = entry.get("pressure") or {}

    def ratio(metric):
        return (pressure.get(metric) or {}).get("ratio")

    return {
        "time_wait": entry["states"].get("TIME_WAIT"),
        "close_wait": entry["states"].get("CLOSE_WAIT"),
        "orphans": entry.get("orphans"),
        "time_wait_pressure": ratio("time_wait"),
        "orphan_pressure": ratio("orphans"),
        "ephemeral_ports": ratio("ephemeral_ports"),
    }


def snapshot(report):
    """What the history keeps of a report: per host its status, findings, drift and figures."""
    hosts = {}
    for entry in report["hosts"]:
        hosts[entry["host"]] = {
            "status": entry["status"],
            "findings": sorted([item["id"], item["key"] or "", item["severity"]] for item in entry["findings"]),
            "drift": dict((item["key"], item["live"]) for item in entry.get("drifted_keys") or []),
            "figures": figures(entry),
        }
    return {"format": HISTORY_FORMAT, "run_id": report["run_id"], "generated_at": report["generated_at"],
            "title": report["title"], "hosts": hosts}


def snapshot_name(report):
    return "audit-%s.json" % report["run_id"]


def load_snapshots(folder, problems=None):
    """Every readable snapshot in ``folder``, oldest first; unreadable files are noted in ``problems``."""
    if not folder or not os.path.isdir(folder):
        return []
    found = []
    for name in sorted(os.listdir(folder)):
        if not SNAPSHOT_NAME.match(name):
            continue
        path = os.path.join(folder, name)
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > 64 * 1024 * 1024:
                raise ValueError("not a regular file of at most 64 MiB")
            with open(path, "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != HISTORY_FORMAT \
                    or not isinstance(data.get("hosts"), dict):
                raise ValueError("not a %s file" % HISTORY_FORMAT)
        except (IOError, OSError, ValueError) as error:
            if problems is not None:
                problems.append("history file %s skipped: %s" % (path, error))
            continue
        found.append(data)
    found.sort(key=lambda item: str(item.get("run_id")))
    return found


def history_for_report(history_dir, history_keep):
    """(snapshots, keep) for build_report from the filter's history_dir and history_keep options."""
    try:
        keep = -1 if isinstance(history_keep, bool) else int(history_keep)
    except (TypeError, ValueError):
        keep = -1
    if keep < 0:
        raise ReportInputError("history_keep must be an integer of 0 or more, got %s" % short_repr(history_keep))
    return (load_snapshots(str(history_dir)) if history_dir and keep > 0 else []), keep


def stale_snapshots(folder, keep):
    """Paths of the snapshots in ``folder`` beyond the newest ``keep``, oldest first."""
    if not os.path.isdir(folder):
        return []
    names = sorted(name for name in os.listdir(folder) if SNAPSHOT_NAME.match(name))
    return [os.path.join(folder, name) for name in names[:max(len(names) - keep, 0)]]


def previous_snapshot(report, snapshots):
    """The newest snapshot older than this run that shares a host with it, or None."""
    hosts = set(entry["host"] for entry in report["hosts"])
    for item in reversed(snapshots):
        if str(item.get("run_id")) < report["run_id"] and hosts & set(item["hosts"]):
            return item
    return None


def notable(kind, before, after):
    """Whether a figure moved enough to be named among the changes."""
    if before is None or after is None or before == after:
        return before is None and after is not None and kind == "count" and after >= COUNT_MIN
    delta = abs(after - before)
    if kind == "ratio":
        return delta >= RATIO_MIN
    return delta >= COUNT_MIN and delta >= COUNT_SHARE * max(abs(before), abs(after))


def _finding_rows(host, keys, severities):
    return [{"host": host, "id": rule, "key": key or None, "severity": severities.get((rule, key), "warning")}
            for rule, key in sorted(keys)]


def _host_changes(host, now, before, changes):
    now_findings = dict(((rule, key), severity) for rule, key, severity in now["findings"])
    old_findings = dict(((item[0], item[1]), item[2]) for item in before.get("findings") or [] if len(item) == 3)
    changes["findings_new"].extend(_finding_rows(host, set(now_findings) - set(old_findings), now_findings))
    changes["findings_resolved"].extend(_finding_rows(host, set(old_findings) - set(now_findings), old_findings))
    old_drift = before.get("drift") or {}
    for key in sorted(now["drift"]):
        if key not in old_drift or old_drift[key] != now["drift"][key]:
            changes["keys_drifted"].append({"host": host, "key": key, "live": now["drift"][key],
                                            "before": old_drift.get(key)})
    for key in sorted(set(old_drift) - set(now["drift"])):
        changes["keys_repaired"].append({"host": host, "key": key, "before": old_drift[key]})
    now_figures, old_figures = now.get("figures") or {}, before.get("figures") or {}
    for name, label, kind in FIGURES:
        after, prior = now_figures.get(name), old_figures.get(name)
        if notable(kind, prior, after):
            changes["pressure"].append({"host": host, "figure": name, "label": label, "kind": kind,
                                        "before": prior, "after": after})


def compare(report, previous):
    """The ``changes`` part of the report against ``previous`` (a snapshot, or None)."""
    changes = {"previous": None, "hosts_added": [], "hosts_gone": [], "findings_new": [], "findings_resolved": [],
               "keys_drifted": [], "keys_repaired": [], "pressure": []}
    if previous is None:
        return changes
    changes["previous"] = {"run_id": previous.get("run_id"), "generated_at": previous.get("generated_at")}
    current = snapshot(report)["hosts"]
    old = previous["hosts"]
    changes["hosts_added"] = [host for host in current if host not in old]
    changes["hosts_gone"] = sorted(host for host in old if host not in current)
    for host, now in current.items():
        before = old.get(host)
        if isinstance(before, dict):
            _host_changes(host, now, before, changes)
    return changes


def trend(report, snapshots, keep):
    """Each host's main figures over the last ``keep`` runs (older snapshots, then this run)."""
    runs = [item for item in snapshots if str(item.get("run_id")) < report["run_id"]][-max(keep - 1, 0):] \
        if keep > 1 else []
    current = snapshot(report)
    runs = runs + [current]
    series = {}
    for entry in report["hosts"]:
        host = entry["host"]
        series[host] = dict((name, [_figure(run, host, name) for run in runs]) for name, _label, _kind in FIGURES)
    return {"runs": [run["run_id"] for run in runs], "hosts": series}


def _figure(run, host, name):
    value = ((run["hosts"].get(host) or {}).get("figures") or {}).get(name)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def attach(report, snapshots, keep):
    """The report with ``changes`` and ``trend`` added from the kept snapshots."""
    report = dict(report)
    report["changes"] = compare(report, previous_snapshot(report, snapshots))
    report["trend"] = trend(report, snapshots, keep)
    return report


def change_count(changes):
    return sum(len(changes[name]) for name in ("hosts_added", "hosts_gone", "findings_new", "findings_resolved",
                                               "keys_drifted", "keys_repaired", "pressure"))


def figure_text(kind, value):
    if value is None:
        return "-"
    if kind == "ratio":
        return "%.1f%%" % (value * 100)
    return str(value)


def change_lines(changes):
    """One sentence per change, for the formats that print text (hosts quoted as they are)."""
    if not changes or not changes.get("previous"):
        return ["No earlier audit of these hosts in the history: nothing to compare."]
    lines = []
    lines.extend("host added: %s" % host for host in changes["hosts_added"])
    lines.extend("host gone: %s" % host for host in changes["hosts_gone"])
    for verb, name in (("new finding", "findings_new"), ("resolved finding", "findings_resolved")):
        lines.extend("%s on %s: %s (%s)%s" % (
            verb, item["host"], item["id"], item["severity"], " " + item["key"] if item["key"] else "")
            for item in changes[name])
    lines.extend("key drifted on %s: %s (live %s%s)" % (
        item["host"], item["key"], item["live"], "" if item["before"] is None else ", was " + str(item["before"]))
        for item in changes["keys_drifted"])
    lines.extend("key repaired on %s: %s" % (item["host"], item["key"]) for item in changes["keys_repaired"])
    lines.extend("%s on %s: %s \u2192 %s" % (
        item["label"], item["host"], figure_text(item["kind"], item["before"]), figure_text(item["kind"], item["after"]))
        for item in changes["pressure"])
    return lines or ["Nothing changed."]


def change_summary(changes):
    """One line: against which run, and how many changes of each kind."""
    if not changes or not changes.get("previous"):
        return "no earlier audit of these hosts"
    parts = []
    for name, one, many in (("hosts_added", "host added", "hosts added"), ("hosts_gone", "host gone", "hosts gone"),
                            ("findings_new", "new finding", "new findings"),
                            ("findings_resolved", "resolved finding", "resolved findings"),
                            ("keys_drifted", "key drifted", "keys drifted"),
                            ("keys_repaired", "key repaired", "keys repaired"),
                            ("pressure", "pressure figure moved", "pressure figures moved")):
        if changes[name]:
            parts.append("%d %s" % (len(changes[name]), one if len(changes[name]) == 1 else many))
    return "since %s: %s" % (changes["previous"]["generated_at"], ", ".join(parts) if parts else "nothing changed")
