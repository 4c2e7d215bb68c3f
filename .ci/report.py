"""Record the outcome of one `make` test stage, and print the summary of all of them.

    report.py stage NAME RC [--junit FILE] [--lint-log FILE]
                           [--sanity-log FILE --extra N --changelog-rc RC]
        writes .build/reports/NAME.json and prints one line for the stage
    report.py stage matrix RC --matrix FILE
        the version matrix (make test-matrix): one count per cell of .ci/matrix.py's FILE
    report.py summary [--with NAME]...
        prints the one summary line of `make test` (and of the stages --with names, as .ci/run
        adds the matrix); exit status 1 unless every stage passed

Counting: a sanity test, the changelog lint and the ansible-lint run count one each;
unit, integration and vm tests count per pytest test case (from pytest's JUnit XML).
Under CI=true a skipped integration or vm test counts as failed.
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = os.path.join(REPO, ".build", "reports")
STAGES = ("sanity", "lint", "unit", "integration", "vm")


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def from_junit(path):
    """(passed, failed, skipped, xfailed) from a pytest JUnit XML file, zeros when absent.

    pytest writes an expected failure as <skipped type="pytest.xfail">: the test ran and failed
    as its strict xfail mark says (a strict xfail that passes is a failure), so it is counted
    apart from the tests that did not run.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 0, 0, 0
    passed = failed = skipped = xfailed = 0
    for case in root.iter("testcase"):
        children = list(case)
        tags = {child.tag for child in children}
        if tags & {"failure", "error"}:
            failed += 1
        elif any(child.tag == "skipped" and child.get("type") == "pytest.xfail" for child in children):
            xfailed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, xfailed


def from_sanity_log(path):
    """(passed, failed, skipped, failed test names) from ansible-test sanity output."""
    text = _read(path)
    ran = re.findall(r'^Running sanity test "([^"]+)"', text, re.M)
    skipped = set(re.findall(r'Skipping sanity test "([^"]+)"', text))
    failed = set()
    match = re.search(r"^FATAL: The \d+ sanity test\(s\) listed below .*? failed\..*?\n((?:[\w.-]+\n?)+)", text, re.M)
    if match:
        failed = set(match.group(1).split())
    names = sorted(set(ran))
    passed = [n for n in names if n not in failed and n not in skipped]
    return len(passed), len(failed), len(skipped & set(names)), sorted(failed)


def from_lint_log(path):
    match = re.search(r"in (\d+) files processed", _read(path))
    return int(match.group(1)) if match else None


def stage(argv):
    name, rc = argv[0], int(argv[1])
    opts = dict(zip(argv[2::2], argv[3::2]))
    result = {"stage": name, "rc": rc, "passed": 0, "failed": 0, "skipped": 0, "note": ""}
    if "--junit" in opts:
        passed, failed, skipped, xfailed = from_junit(opts["--junit"])
        result.update(passed=passed, failed=failed, skipped=skipped)
        if xfailed:
            result["xfailed"] = xfailed
        if rc == 5 and passed + failed + skipped + xfailed == 0:
            result["note"] = "no tests collected"
        elif rc and not failed:
            result["note"] = "pytest exit status %d" % rc
        if name in ("integration", "vm") and skipped and os.environ.get("CI", "").lower() == "true":
            result["note"] = "%d skipped under CI=true" % skipped
            result["failed"] += skipped
            result["skipped"] = 0
    if "--sanity-log" in opts:
        passed, failed, skipped, names = from_sanity_log(opts["--sanity-log"])
        extra = int(opts.get("--extra", "0"))
        result.update(passed=passed + extra, failed=failed, skipped=skipped)
        if names:
            result["note"] = " ".join(names)
        if opts.get("--changelog-rc", "0") != "0":
            result["failed"] += 1
            result["passed"] -= 1
            result["note"] = (result["note"] + "; " if result["note"] else "") + "changelog lint failed"
    if "--matrix" in opts:
        matrix = json.loads(_read(opts["--matrix"]) or '{"cells": []}')
        bad = [c for c in matrix["cells"] if c["ok"] is False]
        result.update(passed=sum(1 for c in matrix["cells"] if c["ok"]), failed=len(bad))
        result["note"] = "; ".join("%s %s" % (c["row"], c["column"]) for c in bad) or (
            "%s profile, cells of the version matrix, %ss" % (matrix.get("profile"), matrix.get("seconds")))
    if "--lint-log" in opts:
        files = from_lint_log(opts["--lint-log"])
        result.update(passed=0 if rc else 1, failed=1 if rc else 0)
        if files is not None:
            result["note"] = "%d files" % files
        violations = re.search(r"(\d+) failure\(s\), (\d+) warning\(s\)", _read(opts["--lint-log"]))
        if rc and violations:
            result["note"] = "%s violation(s) in %s" % (violations.group(1), result["note"] or "the tree")
    result["ok"] = rc == 0 and result["failed"] == 0
    if not result["ok"] and not result["failed"]:
        result["failed"] = 1  # the stage failed without a countable test failing
    os.makedirs(REPORTS, exist_ok=True)
    with open(os.path.join(REPORTS, name + ".json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    print("make %s: %s" % (name, describe(result)))
    return 0


def describe(result):
    """Stage detail for humans. Deliberately not in the "N passed, N failed" form, which
    only the final summary line uses, so log scrapers count each test once."""
    total = result["passed"] + result["failed"] + result["skipped"]
    if result["ok"]:
        if result.get("stage") == "lint":
            return "OK (%s)" % (result["note"] or "clean")
        text = "OK (%d %s" % (result["passed"], "test" if result["passed"] == 1 else "tests")
    elif result.get("stage") == "lint":
        return "FAILED (%s)" % (result["note"] or "see ansible-lint output")
    else:
        text = "FAILED (%d of %d failed" % (result["failed"], total)
    if result["skipped"]:
        text += ", %d skipped" % result["skipped"]
    if result.get("xfailed"):
        text += ", %d expected to fail (strict xfail)" % result["xfailed"]
    if result["note"]:
        text += "; " + result["note"]
    return text + ")"


def summary(argv):
    results, parts = [], []
    extra = [value for flag, value in zip(argv[::2], argv[1::2]) if flag == "--with"]
    for name in STAGES + tuple(extra):
        data = _read(os.path.join(REPORTS, name + ".json"))
        if not data:
            parts.append("%s not run" % name)
            results.append({"ok": False, "passed": 0, "failed": 1, "skipped": 0})
            continue
        result = json.loads(data)
        results.append(result)
        parts.append("%s %s" % (name, describe(result)))
    passed = sum(r["passed"] for r in results)
    failed = sum(r["failed"] for r in results)
    skipped = sum(r["skipped"] for r in results)
    tail = ", %d skipped" % skipped if skipped else ""
    print("netfleet.tcp: %d passed, %d failed%s -- %s" % (passed, failed, tail, ", ".join(parts)))
    return 0 if all(r["ok"] for r in results) else 1


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("stage", "summary"):
        sys.exit(__doc__)
    if sys.argv[1] == "stage":
        return stage(sys.argv[2:])
    return summary(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
