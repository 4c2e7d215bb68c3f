# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure sysctl_check against hand-judged published tuning lists: precision and recall.

The corpus is tests/data/tuning_lists/: one published list per file (sysctl.conf lines,
`sysctl -w` lines, tuned [sysctl] lines or a YAML mapping, each with a source header) and
judgement.yml, the problems a careful SRE finds in each list, with the sysctl_check rule ids
that cover each problem class today.

Every list is read the way the module receives settings: a YAML list is loaded as the
mapping Ansible would pass; any other list is parsed with the collection's sysctl.conf
parser (_sysctl_conf.parse), and every line it cannot read is reported, not dropped
(tuned lists get tuned's own unquoting). sysctl_check's engine then judges the settings
(missing: skip, boot configuration read from an empty directory, so only the list counts),
and each finding is matched to the judged problems by (rule id, key).

Both runs happen in one invocation, side by side:

  netns    inside a throw-away network namespace (ip netns add / exec / delete);
  initial  in the initial namespace, read-only (sysctl_check never writes).

Problems judged for kernels other than the running one are left out. A finding that
matches no judged problem is context, neither right nor wrong, when it says only that a
key is absent here (key-missing, unless the judgement says the key exists nowhere), when
it is drift (live-differs-desired), when it is about a live value the list does not set,
or when its rule rests on this host's live state (port-range-listeners,
tw-buckets-below-current, tw-reuse-accepting-host: what listens, how many sockets sit in
TIME_WAIT, what the counters say right now) or on how its kernel was built (key-read-only,
key-write-only: the mode of the key's /proc/sys file); the script lists the last two kinds.
A finding of such a rule that matches a judged problem counts as right like any other. Any
other unmatched finding is wrong and lowers precision.

Prints the figures and rewrites its section of docs/benchmarks.md
(between <!-- BEGIN list_recall --> and <!-- END list_recall -->) unless --no-write.

Usage (root, for the namespace):  python3 benchmarks/list_recall.py [--only initial|netns] [--verbose] [--no-write]
"""

import argparse
import datetime
import functools
import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
import tempfile

import yaml

from _docs_section import write_section  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTS = os.path.join(REPO, "tests", "data", "tuning_lists")
JUDGEMENT = os.path.join(LISTS, "judgement.yml")
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
CONTEXT_IDS = ("live-differs-desired",)
CONTEXT_PREFIXES = ("persisted-",)
LIST_SUFFIXES = (".conf", ".txt", ".yml")
CONTEXT_NOT_LISTED = "about a live value the list does not set"
# Rules whose verdict rests on this host's live state (listeners, TIME_WAIT count, open counters),
# or on how this host's kernel was built (the mode of a key's /proc/sys file: kernel.nmi_watchdog
# is read-only on a kernel without a hard lockup detector, writable elsewhere).
HOST_STATE_RULES = ("port-range-listeners", "tw-buckets-below-current", "tw-reuse-accepting-host",
                    "key-read-only", "key-write-only")
CONTEXT_HOST_STATE = "rests on this host's live state or kernel build (listeners, TIME_WAIT count, counters, mode bits)"


def engine():
    """``(run_check, parse)``: the only place that names the collection's code.

    run_check is sysctl_check's whole read-only check (today in module_utils/_check),
    parse the sysctl.conf parser (module_utils/_sysctl_conf). If the module_utils layout
    moves them, they are looked up by name in the modules and packages there.
    """
    link = os.path.join(COLLECTIONS, "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
    parse = _lookup("_sysctl_conf", "parse")
    if "form" in inspect.signature(parse).parameters:
        # Read the lists the way people paste them (sysctl -w lines, key: value lines).
        parse = functools.partial(parse, form="paste")
    return _lookup("_check", "run_check"), parse


def _lookup(module, name):
    """``module.name`` under module_utils, else ``name`` from a module there named like ``module``."""
    package = "ansible_collections.netfleet.tcp.plugins.module_utils"
    try:
        return getattr(importlib.import_module("%s.%s" % (package, module)), name)
    except (ImportError, AttributeError):
        pass
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if module.strip("_") not in info.name:
            continue
        found = getattr(importlib.import_module(info.name), name, None)
        if callable(found):
            return found
    raise SystemExit("no %s() found under %s: update engine() in %s" % (name, package, __file__))


# ---------------------------------------------------------------------------
# Reading the lists

def list_files(directory=LISTS):
    return sorted(name for name in os.listdir(directory)
                  if name.endswith(LIST_SUFFIXES) and name != os.path.basename(JUDGEMENT))


def header(text):
    """``{field: value}`` from the leading ``# field: value`` comment lines."""
    fields = {}
    for line in text.splitlines():
        match = re.match(r"#\s*([a-z]+):\s*(.*)$", line.strip())
        if not line.startswith("#"):
            break
        if match:
            fields.setdefault(match.group(1), match.group(2).strip())
    return fields


def _unquote_tuned(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def read_list(path, parse):
    """``(settings, unreadable)`` for one list file, as the module would receive it."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    form = header(text).get("form", "")
    if path.endswith(".yml"):
        data = yaml.safe_load(text)
        if isinstance(data, dict):
            return dict((str(key), value) for key, value in data.items()), []
        return {}, [{"line": 0, "text": "not a YAML mapping"}]
    settings, unreadable = {}, []
    lines = text.splitlines()
    for entry in parse(text, os.path.basename(path)):
        if entry["kind"] != "assign":
            unreadable.append({"line": entry["line"], "text": lines[entry["line"] - 1].strip()})
            continue
        value = entry["value"]
        if form.startswith("tuned"):
            value = _unquote_tuned(value)
        settings[entry["key"]] = value
    return settings, unreadable


# ---------------------------------------------------------------------------
# Running the engine (inside whichever namespace this process is in)

def _call(run_check, **kwargs):
    """Call run_check with the keyword arguments it accepts (its signature may grow)."""
    try:
        accepted = inspect.signature(run_check).parameters
    except (TypeError, ValueError):
        return run_check(**kwargs)
    if any(item.kind == item.VAR_KEYWORD for item in accepted.values()):
        return run_check(**kwargs)
    return run_check(**dict((name, value) for name, value in kwargs.items() if name in accepted))


def run_inner():
    """Judge every list here; print ``{kernel, initial_netns, lists: {name: ...}}`` as JSON."""
    run_check, parse = engine()
    out = {"lists": {}, "kernel": None, "initial_netns": None}
    with tempfile.TemporaryDirectory(prefix="list-recall-root-") as empty_root:
        for name in list_files():
            settings, unreadable = read_list(os.path.join(LISTS, name), parse)
            keys = sorted(key for key in settings if isinstance(key, str))
            result = _call(run_check, settings=settings, root=empty_root, keys=keys, missing="skip")
            context = result.get("context") or {}
            out["kernel"] = context.get("kernel_version") or out["kernel"]
            out["initial_netns"] = context.get("initial_netns")
            findings = sorted(set((item["id"], item.get("key"), item["severity"]) for item in result["findings"]))
            out["lists"][name] = {"findings": findings, "unreadable": unreadable, "keys": keys}
    json.dump(out, sys.stdout)


def run_engine(where):
    """Run the inner pass as a child process, in a fresh namespace or the initial one."""
    argv = [sys.executable, os.path.abspath(__file__), "--inner"]
    if where == "initial":
        return json.loads(subprocess.check_output(argv))
    name = "nf-list-recall-%d" % os.getpid()
    subprocess.check_call(["ip", "netns", "add", name])
    try:
        subprocess.check_call(["ip", "-n", name, "link", "set", "lo", "up"])
        return json.loads(subprocess.check_output(["ip", "netns", "exec", name] + argv))
    finally:
        subprocess.call(["ip", "netns", "delete", name])


# ---------------------------------------------------------------------------
# Scoring

def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def applies(kernels, version):
    """Whether a judgement's ``kernels`` spec ("all", ">=4.12", ">=4.4,<6.5") covers ``version``."""
    if kernels in (None, "all"):
        return True
    for part in str(kernels).split(","):
        match = re.match(r"\s*(>=|<=|<|>|==)\s*([0-9.]+)\s*$", part)
        if not match:
            raise ValueError("bad kernels spec %r" % kernels)
        op, bound = match.group(1), parse_version(match.group(2))
        ok = {">=": version >= bound, "<=": version <= bound, "<": version < bound,
              ">": version > bound, "==": version[:len(bound)] == bound}[op]
        if not ok:
            return False
    return True


def _context_reason(rule_id, key, listed, unknown_keys):
    """Why a finding that matches no judged problem is context rather than wrong, or None."""
    if rule_id in CONTEXT_IDS or rule_id.startswith(CONTEXT_PREFIXES):
        return "drift or boot configuration"
    if rule_id == "key-missing" and key not in unknown_keys:
        return "key absent in this namespace"
    if rule_id == "key-machine-wide":
        return "the key's scope where the check runs (machine-wide), not the list's advice"
    if key not in listed.get("keys", ()):
        return CONTEXT_NOT_LISTED
    if rule_id in HOST_STATE_RULES:
        return CONTEXT_HOST_STATE
    return None


def _rules_of(judgement, cls):
    return judgement["classes"][cls]["rules"] or []


def _score_list(problems, listed, judgement, acc):
    """Score one list's findings against its applicable problems into ``acc``."""
    findings = sorted(set((rule_id, key) for rule_id, key, _severity in listed["findings"]))
    # A finding can only confirm a problem of the list if it is about a key the list sets as read;
    # one about the live value of a key the parser never saw judges the host, not the list.
    readable = set(listed.get("keys", ()))
    unknown_keys = set(item["key"] for item in problems if item["class"] == "unknown-key")
    owner = {}
    for problem in problems:
        hits = [item for item in findings if item[0] in _rules_of(judgement, problem["class"])
                and item[1] == problem["key"] and item[1] in readable]
        acc["per_class"][problem["class"]]["judged"] += 1
        acc["totals"]["judged"] += 1
        if hits:
            acc["per_class"][problem["class"]]["found"] += 1
            acc["totals"]["found"] += 1
            for hit in hits:
                owner.setdefault(hit, problem["class"])
        else:
            acc["misses"].append((listed["name"], problem["key"], problem["class"]))
            if problem["key"] not in listed.get("keys", ()):
                acc["totals"]["missed_unread"] += 1
    for finding in findings:
        if finding in owner:
            acc["totals"]["tp"] += 1
            acc["per_class"][owner[finding]]["tp"] += 1
            continue
        why = _context_reason(finding[0], finding[1], listed, unknown_keys)
        if why:
            acc["totals"]["context"] += 1
            acc["context"].append((listed["name"], finding[1], finding[0], why))
            continue
        acc["totals"]["fp"] += 1
        acc["false_hits"].append((listed["name"], finding[1], finding[0]))
        for cls in judgement["classes"]:
            if finding[0] in _rules_of(judgement, cls):
                acc["per_class"][cls]["fp"] += 1


def score(run, judgement):
    """Match findings to problems: per-class counts, totals, misses, wrong and context findings."""
    version = tuple(run["kernel"] or ())[:2]
    acc = {
        "per_class": dict((cls, {"judged": 0, "found": 0, "tp": 0, "fp": 0}) for cls in judgement["classes"]),
        "totals": {"judged": 0, "found": 0, "tp": 0, "fp": 0, "unreadable": 0, "context": 0, "missed_unread": 0},
        "misses": [], "false_hits": [], "context": [],
    }
    for name, verdict in sorted(judgement["lists"].items()):
        listed = dict(run["lists"].get(name) or {"findings": [], "unreadable": [], "keys": []}, name=name)
        acc["totals"]["unreadable"] += len(listed["unreadable"])
        problems = [item for item in verdict.get("problems") or [] if applies(item.get("kernels"), version)]
        _score_list(problems, listed, judgement, acc)
    return acc


def _ratio(numerator, denominator):
    return "%.2f" % (float(numerator) / denominator) if denominator else "  - "


def _class_line(cls, judgement, scores, names):
    rules = ",".join(judgement["classes"][cls]["rules"] or ["(no rule)"])
    line = "%-28s %-40s" % (cls, rules[:40])
    for where in names:
        item = scores[where]["per_class"][cls]
        recall = _ratio(item["found"], item["judged"])
        precision = _ratio(item["tp"], item["tp"] + item["fp"])
        line += " | %6d %5d %6s %9s" % (item["judged"], item["found"], recall, precision)
    return line


def report(scores, runs, judgement, verbose=False):
    """Print the side-by-side table."""
    names = list(scores)
    print("sysctl_check against %d hand-judged published tuning lists (%s)"
          % (len(judgement["lists"]), os.path.relpath(LISTS, REPO)))
    for where in names:
        run = runs[where]
        version = ".".join(str(number) for number in run["kernel"] or ())
        print("  %-8s kernel %s, initial_netns=%s" % (where, version, run["initial_netns"]))
    print("")
    print("%-28s %-40s" % ("", "") + "".join(" | %-32s" % where for where in names))
    print("%-28s %-40s" % ("class", "rules today") + " | judged found recall precision" * len(names))
    for cls in sorted(judgement["classes"]):
        print(_class_line(cls, judgement, scores, names))
    print("")
    for where in names:
        tot = scores[where]["totals"]
        print("%-8s overall: recall %s (%d of %d judged problems; %d of the misses are on lines the parser "
              "could not read), precision %s (%d right, %d wrong findings); %d context findings; "
              "%d list lines unread"
              % (where, _ratio(tot["found"], tot["judged"]), tot["found"], tot["judged"], tot["missed_unread"],
                 _ratio(tot["tp"], tot["tp"] + tot["fp"]), tot["tp"], tot["fp"], tot["context"],
                 tot["unreadable"]))
    for where in names:
        for name, key, rule_id in scores[where]["false_hits"]:
            print("%-8s wrong finding: %s %s (%s)" % (where, name, key, rule_id))
        for name, key, rule_id, why in scores[where]["context"]:
            if verbose or why in (CONTEXT_NOT_LISTED, CONTEXT_HOST_STATE):
                print("%-8s context finding: %s %s (%s): %s" % (where, name, key, rule_id, why))
    if verbose:
        for where in names:
            for name, key, cls in scores[where]["misses"]:
                print("%-8s missed: %s %s (%s)" % (where, name, key, cls))
            for name, listed in sorted(runs[where]["lists"].items()):
                for line in listed["unreadable"]:
                    print("%-8s unreadable: %s line %d: %s" % (where, name, line["line"], line["text"]))


def markdown(scores, runs, judgement):
    """The docs/benchmarks.md section: overall figures and the per-class table."""
    names = list(scores)
    any_run = runs[names[0]]
    lines = [
        "## list_recall: sysctl_check on published tuning lists",
        "",
        "`python3 benchmarks/list_recall.py` (as root), %s, Linux %s: %d published lists in "
        "`tests/data/tuning_lists/`, judged by hand in `judgement.yml`. Recall is the share of the judged "
        "problems that sysctl_check reports (same rule family and key); precision the share of its findings "
        "that match a judged problem (drift, absent-here and host-state findings are context)."
        % (datetime.date.today().isoformat(), ".".join(str(n) for n in any_run["kernel"] or ()),
           len(judgement["lists"])),
        "",
        "| run | recall | precision | judged problems | found | misses on unread lines | wrong findings |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for where in names:
        tot = scores[where]["totals"]
        lines.append("| %s | %s | %s | %d | %d | %d | %d |" % (
            where, _ratio(tot["found"], tot["judged"]), _ratio(tot["tp"], tot["tp"] + tot["fp"]),
            tot["judged"], tot["found"], tot["missed_unread"], tot["fp"]))
    lines += ["", "| class | rules today | judged | " + " | ".join("found (%s)" % where for where in names) + " |",
              "| --- | --- | --- | " + " | ".join("---" for _where in names) + " |"]
    for cls in sorted(judgement["classes"]):
        rules = ", ".join(judgement["classes"][cls]["rules"] or ["none"])
        found = " | ".join(str(scores[where]["per_class"][cls]["found"]) for where in names)
        lines.append("| %s | %s | %d | %s |" % (cls, rules, scores[names[0]]["per_class"][cls]["judged"], found))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("netns", "initial"), help="run one side only")
    parser.add_argument("--verbose", action="store_true", help="also list every miss and unreadable line")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of a table")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite the section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.inner:
        run_inner()
        return 0
    with open(JUDGEMENT, encoding="utf-8") as handle:
        judgement = yaml.safe_load(handle)
    sides = [args.only] if args.only else ["netns", "initial"]
    runs = dict((where, run_engine(where)) for where in sides)
    scores = dict((where, score(runs[where], judgement)) for where in sides)
    if args.json:
        json.dump(scores, sys.stdout, indent=1, sort_keys=True)
        print("")
    else:
        report(scores, runs, judgement, verbose=args.verbose)
    if not args.no_write and not args.only:
        write_section("list_recall", markdown(scores, runs, judgement))
    return 0


if __name__ == "__main__":
    sys.exit(main())
