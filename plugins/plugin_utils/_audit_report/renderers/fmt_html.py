# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTML: one self-contained page with charts, for people who would rather look than read.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.

The page needs nothing but itself: the style sheet, the inline SVG charts and a small
script (sorting and filtering the findings table) are all in the file, and its
Content-Security-Policy forbids every network request. Every value from the report
(host names from the inventory, kernel names, files, values and messages from the
hosts) goes through ``html_text``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._common import SEVERITIES, pct, severity_rank
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._escape import html_text as esc
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import (
    change_lines,
    change_summary,
    figure_text,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers import _html_svg as svg
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers._html_assets import CSP, CSS, SCRIPT

FORMAT = {"name": "html", "file": "audit.html", "scope": "fleet",
          "description": "one self-contained HTML page: summary, charts per host, sortable findings, per-host detail, "
                         "changes and trends"}


def pressure_of(entry):
    """The host's highest pressure ratio (the page's sort key); -1 for a host not audited."""
    if entry["status"] != "ok":
        return -1.0
    ratios = [part.get("ratio") for part in entry["pressure"].values() if isinstance(part, dict)]
    return max([ratio for ratio in ratios if isinstance(ratio, (int, float))] + [0.0])


def by_pressure(report):
    return sorted(report["hosts"], key=lambda entry: (-pressure_of(entry), entry["host"]))


def _card(label, value, detail="", css=""):
    return '<div class="card %s"><div class="label">%s</div><div class="value">%s</div>%s</div>' % (
        css, esc(label), esc(value), '<div class="detail">%s</div>' % esc(detail) if detail else "")


def _summary(report):
    totals, gate = report["totals"], report["gate"]
    cards = [
        _card("Hosts", totals["hosts"], "%d audited, %d failed, %d unreachable" % (
            totals["ok"], totals["failed"], totals["unreachable"])),
        _card("Errors", totals["errors"], css="sev-error" if totals["errors"] else ""),
        _card("Warnings", totals["warnings"]),
        _card("Drifted keys", totals["drift"]),
        _card("Gate", "FAILED" if gate["failed"] else "passed", "tcp_audit_fail_on: %s - %s" % (
            gate["fail_on"], gate["message"]), "gate-failed" if gate["failed"] else "gate-passed"),
    ]
    return '<section id="summary"><h2>Fleet summary</h2><div class="cards">%s</div></section>' % "".join(cards)


def _changes(report):
    changes = report.get("changes") or {}
    items = "".join("<li>%s</li>" % esc(line) for line in change_lines(changes)) if changes.get("previous") else ""
    return '<section id="changes"><h2>Changes since the previous audit</h2><p class="meta">%s</p>' \
           '<ul class="changes">%s</ul></section>' % (esc(change_summary(changes).capitalize()), items)


def _charts(report, hosts):
    levels = report["thresholds"]
    return "".join([
        '<section id="states"><h2>Socket states per host</h2>'
        '<p class="meta">Hosts sorted by their highest pressure ratio, most pressed first.</p>',
        svg.legend(), svg.states_chart(hosts), "</section>",
        '<section id="ports"><h2>Port use towards the busiest destination</h2>'
        '<p class="meta">Local ports held towards one destination, against the usable ephemeral range '
        '(ip_local_port_range less reserved ports); dotted lines: warning and critical levels, dashed: the range.</p>',
        svg.ports_chart(hosts, levels.get("ephemeral_ports")), "</section>",
        '<section id="limits"><h2>TIME_WAIT and orphans against their limits</h2>'
        '<h3>TIME_WAIT against net.ipv4.tcp_max_tw_buckets</h3>',
        svg.limit_chart(hosts, "time_wait", levels.get("time_wait"), "chart-time-wait",
                        "TIME_WAIT buckets against tcp_max_tw_buckets"),
        '<h3>Orphans against net.ipv4.tcp_max_orphans</h3>',
        svg.limit_chart(hosts, "orphans", levels.get("orphans"), "chart-orphans",
                        "Orphaned sockets against tcp_max_orphans"),
        "</section>",
    ])


TREND_FIGURES = (("time_wait", "TIME_WAIT", "count"), ("time_wait_pressure", "TIME_WAIT pressure", "ratio"),
                 ("ephemeral_ports", "port use", "ratio"), ("orphans", "orphans", "count"))


def _trend_table(report, hosts):
    trend = report.get("trend") or {"runs": [], "hosts": {}}
    rows = []
    for index, entry in enumerate(hosts):
        series = trend["hosts"].get(entry["host"]) or {}
        cells = []
        for name, label, kind in TREND_FIGURES:
            values = series.get(name) or []
            last = values[-1] if values else None
            cells.append('<td>%s <span class="mono">%s</span></td>' % (
                svg.sparkline(values, "%s of %s over %d runs" % (label, entry["host"], len(values))),
                esc(figure_text(kind, last))))
        rows.append('<tr data-host="%s"><td><a href="#host-%d">%s</a></td>%s</tr>' % (
            esc(entry["host"]), index, esc(entry["host"]), "".join(cells)))
    return ('<section id="trend"><h2>Trend per host</h2><p class="meta">Over the last %d runs kept in the '
            'history (oldest left, this run right).</p><table><thead><tr><th>Host</th><th>TIME_WAIT</th>'
            '<th>TIME_WAIT pressure</th><th>Port use</th><th>Orphans</th></tr></thead><tbody>%s</tbody></table>'
            '</section>') % (len(trend["runs"]), "".join(rows))


def _findings(report):
    rows, rules = [], set()
    for entry in report["hosts"]:
        for item in entry["findings"]:
            rules.add(item["id"])
            rows.append('<tr data-host="%s" data-severity="%s" data-rule="%s"><td>%s</td>'
                        '<td class="sev sev-%s" data-sort="%d">%s</td><td class="mono">%s</td><td class="mono">%s</td>'
                        '<td class="mono">%s</td><td>%s</td></tr>' % (
                            esc(entry["host"]), esc(item["severity"]), esc(item["id"]), esc(entry["host"]),
                            esc(item["severity"]), severity_rank(item["severity"]), esc(item["severity"]),
                            esc(item["id"]), esc(item["key"] or "-"), esc(item["value"] or "-"), esc(item["message"])))
    severities = "".join('<option value="%s">%s</option>' % (name, name) for name in reversed(SEVERITIES))
    rule_options = "".join('<option value="%s">%s</option>' % (esc(rule), esc(rule)) for rule in sorted(rules))
    head = "".join('<th%s><button type="button">%s</button></th>' % (attr, label) for label, attr in (
        ("Host", ""), ("Severity", ' data-numeric=""'), ("Rule", ""), ("Key", ""), ("Value", ""), ("Message", "")))
    return ('<section id="findings"><h2>Findings</h2><div class="filters">'
            '<label>Host <input id="filter-host" type="search" placeholder="part of a host name"></label>'
            '<label>Severity <select id="filter-severity"><option value="">all</option>%s</select></label>'
            '<label>Rule <select id="filter-rule"><option value="">all</option>%s</select></label>'
            '<span class="muted"><span id="findings-shown">%d</span> of %d shown</span></div>'
            '<table id="findings-table"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>%s</section>') % (
        severities, rule_options, len(rows), len(rows), head, "".join(rows),
        "" if rows else '<p class="muted">No findings.</p>')


def _keys_table(entry):
    drifted = set(item["key"] for item in entry["drifted_keys"])
    rows = ['<tr%s><td class="mono">%s</td><td class="mono">%s</td><td class="mono">%s</td><td class="mono">%s</td>'
            '<td class="mono">%s</td><td>%s</td></tr>' % (
                ' class="drifted"' if key in drifted else "", esc(key), esc(info["live"] or "-"),
                esc(info["desired"] or "-"), esc(info["persisted"] or "-"), esc(info["persisted_file"] or "-"),
                "drifted" if key in drifted else "")
            for key, info in sorted((entry.get("keys") or {}).items())]
    if not rows:
        return '<p class="muted">No keys judged.</p>'
    return ('<table><thead><tr><th>Key</th><th>Live</th><th>Wanted</th><th>At boot</th><th>Boot file</th>'
            '<th></th></tr></thead><tbody>%s</tbody></table>') % "".join(rows)


def _host_detail(index, entry):
    head = '<details class="host" id="host-%d"%s><summary>%s<span class="badge">%s</span>' % (
        index, " open" if entry["findings"] or entry["status"] != "ok" else "", esc(entry["host"]), esc(entry["status"]))
    if entry["status"] != "ok":
        return head + '</summary><p>%s</p></details>' % esc(entry["error"] or entry["status"])
    summary = entry["summary"]
    head += '<span class="badge">%s</span><span class="badge">%d errors, %d warnings, %d drifted</span></summary>' % (
        esc(entry["kernel"] or "kernel unknown"), summary["errors"], summary["warnings"], entry["drift"])
    facts = '<p class="meta">Profile: %s. NAT-facing: %s. TIME_WAIT pressure %s, port use %s.</p>' % (
        esc(entry["profile"] or "none"), esc({True: "yes", False: "no"}.get(entry["nat_facing"], "unknown")),
        esc(pct(entry["pressure"]["time_wait"]["ratio"])), esc(pct(entry["pressure"]["ephemeral_ports"]["ratio"])))
    boot = "".join("<li>%s</li>" % esc(path) for path in entry.get("boot_files") or [])
    remedies = "".join('<li><span class="sev sev-%s">%s</span> <code>%s</code>%s: %s<br><span class="muted">%s</span>'
                       '</li>' % (esc(item["severity"]), esc(item["severity"]), esc(item["id"]),
                                  " " + esc(item["key"]) if item["key"] else "", esc(item["message"]),
                                  esc(item["remediation"] or "no remediation given"))
                       for item in entry["findings"])
    return "".join([head, facts, "<h3>Live and wanted values</h3>", _keys_table(entry),
                    "<h3>Files on the boot path</h3>",
                    '<ol class="boot">%s</ol>' % boot if boot else '<p class="muted">None read.</p>',
                    "<h3>Findings and remediation</h3>",
                    "<ul>%s</ul>" % remedies if remedies else '<p class="muted">No findings.</p>', "</details>"])


def render_html(report):
    """The report as one self-contained HTML page."""
    hosts = by_pressure(report)
    index = dict((id(entry), number) for number, entry in enumerate(hosts))
    details = "".join(_host_detail(index[id(entry)], entry) for entry in hosts)
    return "".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % esc(CSP),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        "<title>%s</title><style>%s</style></head><body>" % (esc(report["title"]), CSS),
        "<header><h1>%s</h1><p class=\"meta\">Generated %s by %s. Profile: %s.</p></header>" % (
            esc(report["title"]), esc(report["generated_at"]), esc(report["generator"]),
            esc(report["profile"] or "none (live values judged alone)")),
        '<nav><a href="#summary">Summary</a><a href="#changes">Changes</a><a href="#states">States</a>'
        '<a href="#ports">Ports</a><a href="#limits">Limits</a><a href="#trend">Trend</a>'
        '<a href="#findings">Findings</a><a href="#hosts">Hosts</a></nav>',
        _summary(report), _changes(report), _charts(report, hosts), _trend_table(report, hosts), _findings(report),
        '<section id="hosts"><h2>Hosts</h2>%s</section>' % details,
        "<script>%s</script></body></html>\n" % SCRIPT,
    ])
