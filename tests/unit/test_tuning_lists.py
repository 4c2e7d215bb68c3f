# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The corpus of published tuning lists and its hand judgement stay consistent.

tests/data/tuning_lists/ holds one published sysctl list per file, each with a
``# source:`` / ``# read:`` / ``# form:`` header, and judgement.yml, the problems found
in each list by hand. benchmarks/list_recall.py measures sysctl_check against it;
these tests keep the data it relies on sound:

* every list has a source header and a judgement entry, and every judgement names a list;
* every problem names a known class, a severity, a kernel range the benchmark can read
  and a reason, and its key is set on a line of its list (not_problems: on a line or in
  a commented-out line);
* every class names a severity, a summary, a primary source, and rule ids that exist
  in the rule reference (or null where no rule covers it yet).
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LISTS = os.path.join(REPO, "tests", "data", "tuning_lists")
JUDGEMENT = os.path.join(LISTS, "judgement.yml")
KNOBS_REFERENCE = os.path.join(REPO, "docs", "reference", "knobs.md")
SUFFIXES = (".conf", ".txt", ".yml")
FORMS = ("sysctl.conf", "sysctl -w", "sysctl k=v", "tuned", "yaml")
SEVERITIES = ("error", "warning", "info")
KERNELS_PART = re.compile(r"^\s*(>=|<=|<|>|==)\s*\d+(\.\d+)*\s*$")


def _list_names():
    return sorted(name for name in os.listdir(LISTS)
                  if name.endswith(SUFFIXES) and name != os.path.basename(JUDGEMENT))


def _text(name):
    with open(os.path.join(LISTS, name), encoding="utf-8") as handle:
        return handle.read()


def _header(text):
    fields = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"#\s*([a-z]+):\s*(.*)$", line)
        if match:
            fields.setdefault(match.group(1), match.group(2).strip())
    return fields


def _body_lines(text, commented=False):
    """The list's own lines: the header is skipped; comment lines only when asked."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    body = [line for line in lines[start:] if line.strip()]
    if commented:
        return body
    return [line for line in body if not line.lstrip().startswith("#")]


def _sets_key(line, key):
    """Whether ``line`` assigns ``key`` (sysctl.conf, sysctl -w, sysctl k=v or YAML form)."""
    return re.search(r"(^|[\s\"'])%s\s*[=:]" % re.escape(key), line) is not None


@pytest.fixture(scope="module")
def judgement():
    with open(JUDGEMENT, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def rule_ids():
    with open(KNOBS_REFERENCE, encoding="utf-8") as handle:
        return set(re.findall(r"^#### rule: (\S+)\s*$", handle.read(), flags=re.MULTILINE))


def test_corpus_has_at_least_thirty_lists():
    assert len(_list_names()) >= 30, _list_names()


@pytest.mark.parametrize("name", _list_names())
def test_list_has_a_source_header(name):
    fields = _header(_text(name))
    assert fields.get("source"), "%s: no '# source:' header line" % name
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", fields.get("read", "")), "%s: '# read:' is not a date" % name
    assert fields.get("form", "").startswith(FORMS), "%s: '# form:' %r is none of %s" % (name, fields.get("form"), FORMS)
    assert _body_lines(_text(name)), "%s holds no sysctl lines" % name


def test_every_list_is_judged_and_every_judgement_has_a_list(judgement):
    assert set(judgement["lists"]) == set(_list_names())


def test_every_class_is_described_and_maps_to_real_rules(judgement, rule_ids):
    assert rule_ids, "no '#### rule:' headings found in %s" % KNOBS_REFERENCE
    for name, info in judgement["classes"].items():
        assert info.get("severity") in SEVERITIES, name
        assert info.get("summary") and info.get("source"), name
        rules = info.get("rules")
        assert rules is None or (isinstance(rules, list) and rules), "%s: rules must be a list or null" % name
        unknown = sorted(set(rules or []) - rule_ids)
        assert not unknown, "%s maps to rules that do not exist: %s" % (name, unknown)


@pytest.mark.parametrize("name", _list_names())
def test_problems_are_well_formed_and_name_lines_of_their_list(judgement, name):
    verdict = judgement["lists"].get(name) or {}
    lines = _body_lines(_text(name))
    every_line = _body_lines(_text(name), commented=True)
    for problem in verdict.get("problems") or []:
        assert problem.get("class") in judgement["classes"], "%s: unknown class %r" % (name, problem.get("class"))
        assert problem.get("severity") in SEVERITIES, (name, problem)
        assert problem.get("reason"), (name, problem)
        kernels = str(problem.get("kernels", ""))
        assert kernels == "all" or all(KERNELS_PART.match(part) for part in kernels.split(",")), (name, problem)
        assert any(_sets_key(line, problem["key"]) for line in lines), \
            "%s: no line of the list sets %s" % (name, problem["key"])
    for item in verdict.get("not_problems") or []:
        assert item.get("reason"), (name, item)
        assert any(_sets_key(line, item["key"]) for line in every_line), \
            "%s: no line (or commented line) of the list names %s" % (name, item["key"])
