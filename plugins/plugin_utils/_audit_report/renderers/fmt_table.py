# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compact fixed-width table printed at the end of the play.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import pct as _pct
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._escape import one_line
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import change_lines, change_summary

# How many changes since the previous audit the table lists; the report files list them all.
CHANGES_SHOWN = 20

FORMAT = {"name": "table", "file": None, "scope": "lines",
          "description": "a fixed-width table, one string per line, printed at the end of the play"}


def render_table(report):
    """A compact fixed-width table for the end of the play, one string per line."""
    header = ["HOST", "STATUS", "KERNEL", "NAT", "ESTAB", "TW", "CW", "FW2", "ORPH", "TW%", "PORT%",
              "OVFL", "DRIFT", "ERR", "WARN"]
    rows = []
    for entry in report["hosts"]:
        if entry["status"] != "ok":
            rows.append([entry["host"], entry["status"].upper()] + ["-"] * (len(header) - 2))
            continue
        states = entry["states"]
        rows.append([
            entry["host"], "ok", entry["kernel"] or "-",
            "-" if entry["nat_facing"] is None else ("yes" if entry["nat_facing"] else "no"),
            states["ESTABLISHED"], states["TIME_WAIT"], states["CLOSE_WAIT"], states["FIN_WAIT2"],
            "-" if entry["orphans"] is None else entry["orphans"],
            _pct(entry["pressure"]["time_wait"]["ratio"]),
            _pct(entry["pressure"]["ephemeral_ports"]["ratio"]),
            "-" if entry["listen_overflows"] is None else entry["listen_overflows"],
            entry["drift"], entry["summary"]["errors"], entry["summary"]["warnings"],
        ])
    rows = [[one_line(cell) for cell in row] for row in rows]
    widths = [max([len(header[index])] + [len(row[index]) for row in rows]) for index in range(len(header))]

    def fmt(row):
        return "  ".join(cell.ljust(widths[index]) if index < 3 else cell.rjust(widths[index])
                         for index, cell in enumerate(row)).rstrip()

    totals = report["totals"]
    lines = [fmt(header)] + [fmt(row) for row in rows]
    lines.append("%d hosts: %d audited, %d failed, %d unreachable; %d errors, %d warnings, %d drifted keys" % (
        totals["hosts"], totals["ok"], totals["failed"], totals["unreachable"],
        totals["errors"], totals["warnings"], totals["drift"]))
    lines.append("gate (%s): %s" % (report["gate"]["fail_on"], one_line(report["gate"]["message"])))
    changes = report.get("changes")
    if changes:
        lines.append("changes: %s" % one_line(change_summary(changes)))
        if changes.get("previous"):
            details = change_lines(changes)
            lines.extend("  " + one_line(line) for line in details[:CHANGES_SHOWN])
            if len(details) > CHANGES_SHOWN:
                lines.append("  ... and %d more (see the report)" % (len(details) - CHANGES_SHOWN))
    return lines
