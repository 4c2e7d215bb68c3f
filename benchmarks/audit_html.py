# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: audit.html for a fleet of 50 hosts, its size and build time beside the other formats.

One report of N hosts (default 50) is built the way the audit role builds it: the
audit_report filter's builder over per-host records, with a history of the 9 runs before
(so the page has its changes section and a 10-point trend line per host). The records are the
unit-test fixtures (tests/unit/fixtures/audit/records.json) cycled over the hosts, with each
host's socket counts, pressure and drift varied so no two hosts look alike, and every 7th host
name carrying markup and a path separator (escaping has a cost too).

Measured in one run, ROUNDS times each, median wall time:

  build     build_report with the history (what every format shares)
  html      rendering audit.html       markdown  audit.md
  json      audit.json                 junit     audit.junit.xml

and the size of each file. Prints the figures side by side and rewrites its section of
docs/benchmarks.md (between <!-- BEGIN audit_html --> and <!-- END audit_html -->).

Usage:
    python3 benchmarks/audit_html.py [--hosts 50] [--rounds 5] [--no-write]
"""

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time

from _docs_section import write_section  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(REPO, "docs", "benchmarks.md")
SECTION = "audit_html"
FIXTURE = os.path.join(REPO, "tests", "unit", "fixtures", "audit", "records.json")
FORMATS = ("html", "markdown", "json", "junit")
RUNS_BEFORE = 9


def collection():
    link = os.path.join(REPO, ".tmp", "collections", "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    sys.path.insert(0, os.path.join(REPO, ".tmp", "collections"))
    from ansible_collections.netfleet.tcp.plugins.plugin_utils import _audit_report  # noqa: E402
    from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import _history  # noqa: E402
    return _audit_report, _history


def fleet(size, run):
    """{host: {"__audit_record": record}} of ``size`` hosts for run number ``run`` (0 = oldest)."""
    with open(FIXTURE) as handle:
        records = json.load(handle)
    names = sorted(records)
    hosts = {}
    for index in range(size):
        record = copy.deepcopy(records[names[index % len(names)]])
        facts = record["tcp_state"]
        scale = 1 + (index * 37 + run * 11) % 19
        for family in facts.get("families", {}).values():
            for state in family:
                family[state] = family[state] * scale // 7
        facts["states"] = dict((state, facts["states"][state] * scale // 7) for state in facts["states"])
        if "sockstat" in facts and "tcp" in facts["sockstat"]:
            facts["sockstat"]["tcp"]["tw"] = facts["states"]["TIME_WAIT"]
        if index % 5 == run % 5 and record["check"].get("keys"):
            key = sorted(record["check"]["keys"])[0]
            record["check"]["keys"][key]["persisted"] = "1%d" % run
        name = "host%02d.example" % index if index % 7 else "<i>host%02d</i>/rack%d" % (index, index % 3)
        hosts[name] = {"__audit_record": record}
    return hosts


def timed(rounds, func, *args, **kwargs):
    times, value = [], None
    for _round in range(rounds):
        start = time.perf_counter()
        value = func(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def measure(size, rounds):
    report_module, history = collection()
    stamps = ["2026-11-%02dT05:00:00Z" % (day + 1) for day in range(RUNS_BEFORE + 1)]
    snapshots = []
    for run in range(RUNS_BEFORE):
        earlier = report_module.build_report(fleet(size, run), generated_at=stamps[run])
        snapshots.append(json.loads(json.dumps(history.snapshot(earlier))))
    hosts = fleet(size, RUNS_BEFORE)
    build_time, report = timed(rounds, report_module.build_report, hosts, generated_at=stamps[-1],
                               history=snapshots, history_keep=RUNS_BEFORE + 1)
    figures = {"build": (build_time, None)}
    for name in FORMATS:
        seconds, text = timed(rounds, report_module.render_format, report, name)
        figures[name] = (seconds, len(text.encode("utf-8")))
    changes = history.change_count(report["changes"])
    return figures, changes, len(report["trend"]["runs"])


def render(size, rounds, figures, changes, runs):
    lines = [
        "## audit.html for %d hosts (benchmarks/audit_html.py)" % size,
        "",
        "One report of %d hosts with a history of %d earlier runs (%d-point trend lines, %d changes since "
        "the previous run), median of %d rounds; Python %s on %s." % (
            size, RUNS_BEFORE, runs, changes, rounds, platform.python_version(), platform.machine()),
        "",
        "| step | time (ms) | file size (KiB) | size per host (KiB) |",
        "| --- | ---: | ---: | ---: |",
        "| build_report with history | %.1f | - | - |" % (figures["build"][0] * 1000),
    ]
    for name in FORMATS:
        seconds, size_bytes = figures[name]
        lines.append("| render %s | %.1f | %.1f | %.2f |" % (
            name, seconds * 1000, size_bytes / 1024.0, size_bytes / 1024.0 / size))
    html_total = (figures["build"][0] + figures["html"][0]) * 1000
    lines.extend(["", "audit.html: %.1f KiB, built in %.1f ms (build_report + render)." % (
        figures["html"][1] / 1024.0, html_total)])
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    figures, changes, runs = measure(args.hosts, args.rounds)
    text = render(args.hosts, args.rounds, figures, changes, runs)
    print(text, end="")
    if not args.no_write:
        write_section(SECTION, text, DOC)
        print("wrote the %s section of %s" % (SECTION, os.path.relpath(DOC, REPO)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
