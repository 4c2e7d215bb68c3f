# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The charts of audit.html, drawn as inline SVG from the report (no script, no library).

PRIVATE: internal to the netfleet.tcp collection, controller-side only.

Every chart has one ``<g class="bar" data-host="...">`` per host, in the order given
(the page sorts hosts by pressure); every text from the report is escaped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import TCP_STATES, pct
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._escape import html_text
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers._html_assets import STATE_COLOURS

WIDTH = 1000
LABEL = 190      # room for the host name on the left
VALUE = 330      # room for the value text on the right
ROW = 22
BAR = 14
TOP = 8


def _name(host, limit=26):
    text = str(host)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _frame(chart_id, title, rows, body):
    height = TOP * 2 + ROW * max(rows, 1)
    return ('<svg class="chart" id="%s" role="img" aria-label="%s" viewBox="0 0 %d %d" '
            'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
            '<title>%s</title>%s</svg>') % (chart_id, html_text(title), WIDTH, height, html_text(title), "".join(body))


def _row_start(index, host):
    y = TOP + index * ROW
    return y, ('<g class="bar" data-host="%s"><title>%s</title>'
               '<text x="%d" y="%d" text-anchor="end">%s</text>') % (
        html_text(host), html_text(host), LABEL - 8, y + BAR - 2, html_text(_name(host)))


def _not_audited(index, entry):
    y, head = _row_start(index, entry["host"])
    return head + '<text x="%d" y="%d" class="muted">%s: not audited</text></g>' % (
        LABEL, y + BAR - 2, html_text(entry["status"]))


def states_chart(entries):
    """Stacked bars of the sockets per state, one per host, scaled to the fleet's largest total."""
    span = WIDTH - LABEL - VALUE
    totals = [sum(entry["states"].values()) for entry in entries if entry["status"] == "ok"]
    largest = max(totals + [1])
    body = ['<line class="axis" x1="%d" y1="0" x2="%d" y2="%d"/>' % (LABEL, LABEL, TOP * 2 + ROW * len(entries))]
    for index, entry in enumerate(entries):
        if entry["status"] != "ok":
            body.append(_not_audited(index, entry))
            continue
        y, head = _row_start(index, entry["host"])
        parts, x = [head], float(LABEL)
        total = sum(entry["states"].values())
        for state, colour in zip(TCP_STATES, STATE_COLOURS):
            count = entry["states"][state]
            if not count:
                continue
            width = span * count / largest
            parts.append('<rect class="seg" data-state="%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s">'
                         '<title>%s %s: %d</title></rect>' % (
                             state, x, y, max(width, 0.5), BAR, colour, html_text(entry["host"]), state, count))
            x += width
        parts.append('<text x="%.1f" y="%d">%d sockets</text></g>' % (x + 6, y + BAR - 2, total))
        body.append("".join(parts))
    return _frame("chart-states", "TCP sockets per state and host", len(entries), body)


def legend():
    return '<div class="legend">%s</div>' % "".join(
        '<span style="--swatch: %s">%s</span>' % (colour, state) for state, colour in zip(TCP_STATES, STATE_COLOURS))


def _ratio_bar(y, ratio, levels, colour):
    """A bar of ``ratio`` (0..1, drawn up to 1.2) with the warning and critical levels marked."""
    span = WIDTH - LABEL - VALUE
    drawn = min(max(ratio or 0.0, 0.0), 1.2) / 1.2
    parts = ['<rect class="track" x="%d" y="%d" width="%d" height="%d" fill="#eef1f5"/>' % (LABEL, y, span, BAR),
             '<rect class="use" x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (
                 LABEL, y, span * drawn, BAR, colour)]
    for name, css in (("warning", "warn"), ("critical", "limit")):
        level = (levels or {}).get(name)
        if isinstance(level, (int, float)):
            x = LABEL + span * min(level, 1.2) / 1.2
            parts.append('<line class="%s" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (css, x, y - 2, x, y + BAR + 2))
    full = LABEL + span / 1.2
    parts.append('<line class="limit" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (full, y - 3, full, y + BAR + 3))
    return "".join(parts)


def _colour(verdict):
    return {"critical": "#c62828", "warning": "#e69500"}.get(verdict, "#4e79a7")


def ports_chart(entries, levels):
    """Per host, the ephemeral ports held towards its busiest destination against the usable range."""
    body = []
    for index, entry in enumerate(entries):
        if entry["status"] != "ok":
            body.append(_not_audited(index, entry))
            continue
        y, head = _row_start(index, entry["host"])
        part = entry["pressure"]["ephemeral_ports"]
        worst = part.get("worst") or {}
        if worst:
            text = "%s:%s %s of %s ports (%s)" % (worst.get("address"), worst.get("port"), worst.get("count"),
                                                  part.get("usable_ports"), pct(part.get("ratio")))
        elif part.get("ratio") == 0.0:
            text = "no outgoing connections (%s usable ports)" % part.get("usable_ports")
        else:
            text = "not measured (the ports detail was not read)"
        body.append(head + _ratio_bar(y, part.get("ratio"), levels, _colour(part.get("verdict")))
                    + '<text x="%d" y="%d">%s</text></g>' % (WIDTH - VALUE + 6, y + BAR - 2, html_text(text)))
    return _frame("chart-ports", "Ephemeral ports towards the busiest destination, against the usable range",
                  len(entries), body)


def limit_chart(entries, metric, levels, chart_id, title):
    """Per host, a count against its kernel limit (TIME_WAIT/tcp_max_tw_buckets, orphans/tcp_max_orphans)."""
    body = []
    for index, entry in enumerate(entries):
        if entry["status"] != "ok":
            body.append(_not_audited(index, entry))
            continue
        y, head = _row_start(index, entry["host"])
        part = entry["pressure"][metric]
        if part.get("limit"):
            text = "%s of %s (%s)" % (part.get("count"), part.get("limit"), pct(part.get("ratio")))
        else:
            text = "%s (limit unknown)" % part.get("count")
        body.append(head + _ratio_bar(y, part.get("ratio"), levels, _colour(part.get("verdict")))
                    + '<text x="%d" y="%d">%s</text></g>' % (WIDTH - VALUE + 6, y + BAR - 2, html_text(text)))
    return _frame(chart_id, title, len(entries), body)


def sparkline(values, label, width=140, height=28):
    """A small trend line of ``values`` (None where the host was not audited), newest last."""
    points = [(index, value) for index, value in enumerate(values) if isinstance(value, (int, float))]
    if not points:
        return '<span class="muted">-</span>'
    top = max(value for _index, value in points) or 1
    step = (width - 6) / max(len(values) - 1, 1)
    coords = ["%.1f,%.1f" % (3 + index * step, height - 3 - (height - 6) * value / top) for index, value in points]
    last = coords[-1].split(",")
    return ('<svg class="spark" role="img" width="%d" height="%d" viewBox="0 0 %d %d" '
            'xmlns="http://www.w3.org/2000/svg"><title>%s</title><polyline points="%s"/>'
            '<circle cx="%s" cy="%s" r="2.5"/></svg>') % (
        width, height, width, height, html_text(label), " ".join(coords), last[0], last[1])
