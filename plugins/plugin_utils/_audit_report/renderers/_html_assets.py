# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The style sheet and the small script of audit.html (data: the page embeds them as they are).

PRIVATE: internal to the netfleet.tcp collection, controller-side only.

The script never reads report data from anything but the page's own escaped text and
data-* attributes; it sorts and filters the findings table and opens every host's detail
before printing. The page's Content-Security-Policy forbids every network request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'none'"

# One colour per TCP state, in TCP_STATES order (ESTABLISHED first).
STATE_COLOURS = (
    "#4e79a7", "#a0cbe8", "#f1ce63", "#ff9d9a", "#e15759", "#f28e2b",
    "#bab0ac", "#b07aa1", "#d4a6c8", "#59a14f", "#9d7660",
)

CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d8dce4; --bg: #ffffff; --panel: #f5f7fa;
  --ok: #2e7d32; --warning: #b26a00; --error: #c62828; --info: #1565c0; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; color: var(--fg); background: var(--bg); }
body { margin: 0 auto; max-width: 1280px; padding: 1rem 1.5rem 3rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
p.meta, .muted { color: var(--muted); }
nav { margin: 0.5rem 0 1rem; font-size: 0.9rem; }
nav a { margin-right: 1rem; color: var(--info); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 0.6rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.8rem; }
.card .label { font-size: 0.8rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card.gate-failed { border-color: var(--error); } .card.gate-failed .value { color: var(--error); }
.card.gate-passed .value { color: var(--ok); }
.card .detail { font-size: 0.8rem; color: var(--muted); overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow-wrap: break-word; }
td.mono { overflow-wrap: anywhere; } th { white-space: nowrap; }
th { background: var(--panel); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; }
th button::after { content: " \\2195"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: " \\2191"; }
th[aria-sort="descending"] button::after { content: " \\2193"; }
.sev { font-weight: 600; } .sev-error { color: var(--error); } .sev-warning { color: var(--warning); }
.sev-info { color: var(--info); }
.filters { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 0.4rem 0 0.6rem; align-items: end; }
.filters label { font-size: 0.8rem; color: var(--muted); display: flex; flex-direction: column; }
.filters input, .filters select { font: inherit; padding: 0.2rem 0.3rem; min-width: 12rem; }
.chart { width: 100%; height: auto; display: block; }
.chart text { font-size: 12px; fill: var(--fg); }
.chart .axis { stroke: var(--line); }
.chart .limit { stroke: var(--error); stroke-dasharray: 4 3; }
.chart .warn { stroke: var(--warning); stroke-dasharray: 2 3; }
.legend { display: flex; flex-wrap: wrap; gap: 0.8rem; font-size: 0.8rem; margin: 0.3rem 0; }
.legend span::before { content: ""; display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem;
  vertical-align: -0.1rem; background: var(--swatch); }
ul.changes { padding-left: 1.2rem; } ul.changes li { overflow-wrap: anywhere; }
details.host { border: 1px solid var(--line); border-radius: 6px; margin: 0.5rem 0; padding: 0.3rem 0.8rem; }
details.host > summary { cursor: pointer; font-weight: 600; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 0.75rem; padding: 0 0.4rem; border-radius: 3px; margin-left: 0.4rem;
  background: var(--panel); border: 1px solid var(--line); font-weight: 500; }
.drifted td { background: #fff4e5; }
ol.boot { margin: 0.2rem 0 0.6rem; padding-left: 1.4rem; font-family: ui-monospace, monospace; font-size: 0.85rem; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em; }
.spark polyline { fill: none; stroke: var(--info); stroke-width: 1.5; }
.spark circle { fill: var(--info); }
@media (max-width: 700px) { body { padding: 0.5rem; } .filters input, .filters select { min-width: 8rem; } }
@media print {
  html { font-size: 11px; } body { max-width: none; padding: 0; }
  nav, .filters, th button::after { display: none; }
  th { position: static; }
  h2 { break-after: avoid; } section, details.host, tr, svg { break-inside: avoid; }
  .card, details.host { border-color: #999; }
  a { color: inherit; text-decoration: none; }
}
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (table) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    var sortKey = function (row, index) {
      var cell = row.cells[index];
      var key = cell.getAttribute("data-sort");
      return key === null ? cell.textContent.toLowerCase() : key;
    };
    Array.prototype.forEach.call(heads, function (head, index) {
      var button = head.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = head.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
        head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = head.classList.contains("num") || head.hasAttribute("data-numeric");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortKey(a, index), y = sortKey(b, index);
          if (numeric) { x = parseFloat(x); y = parseFloat(y); }
          var order = x < y ? -1 : (x > y ? 1 : 0);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    var host = document.getElementById("filter-host");
    var severity = document.getElementById("filter-severity");
    var rule = document.getElementById("filter-rule");
    var count = document.getElementById("findings-shown");
    var apply = function () {
      var wantHost = host.value.trim().toLowerCase(), shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var visible = (!wantHost || row.getAttribute("data-host").toLowerCase().indexOf(wantHost) !== -1)
          && (!severity.value || row.getAttribute("data-severity") === severity.value)
          && (!rule.value || row.getAttribute("data-rule") === rule.value);
        row.hidden = !visible;
        if (visible) { shown += 1; }
      });
      count.textContent = String(shown);
    };
    [host, severity, rule].forEach(function (control) {
      control.addEventListener("input", apply);
      control.addEventListener("change", apply);
    });
    apply();
  }
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (item) { item.open = true; });
  });
}());
"""
