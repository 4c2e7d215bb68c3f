# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation stays true to the code.

* The generated reference pages under docs/reference/ match what
  scripts/gen_reference_docs.py writes from the catalog, the rules, the profiles, the
  roles' argument specs and the plugins' DOCUMENTATION, and the script is deterministic.
* Every relative link between the Markdown pages points to a file that exists and,
  with an anchor, to a heading (or explicit anchor) in it; rule links name real rules.
* execution-environment.yml installs the tarball that `make build` writes for the
  version in galaxy.yml.
"""

from __future__ import annotations

import importlib.util
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DOCS = os.path.join(REPO, "docs")


def _load_generator():
    path = os.path.join(REPO, "scripts", "gen_reference_docs.py")
    spec = importlib.util.spec_from_file_location("gen_reference_docs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


@pytest.mark.parametrize("page", sorted(GEN.PAGES))
def test_generated_page_is_current(page):
    path = GEN.page_path(page)
    relative = os.path.relpath(path, REPO)
    assert os.path.exists(path), "%s is missing: run %s %s" % (relative, GEN.REGENERATE, page)
    with open(path) as handle:
        committed = handle.read()
    assert committed == GEN.render(page), (
        "%s is stale: its sources changed. Run `%s %s` and commit the result."
        % (relative, GEN.REGENERATE, page)
    )


@pytest.mark.parametrize("page", sorted(GEN.PAGES))
def test_generation_is_deterministic(page):
    assert GEN.render(page) == GEN.render(page)


def test_check_mode_reports_a_stale_page(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(GEN, "REFERENCE", str(tmp_path))
    (tmp_path / "knobs.md").write_text("# hand edited\n")
    assert GEN.main(["--check", "knobs"]) == 1
    assert "stale: " in capsys.readouterr().out
    assert GEN.main(["knobs"]) == 0
    assert GEN.main(["--check", "knobs"]) == 0


def test_anchor_follows_github_rules():
    assert GEN.anchor("net.ipv4.tcp_tw_reuse") == "netipv4tcp_tw_reuse"
    assert GEN.anchor("close() versus shutdown(), and orphan sockets") == \
        "close-versus-shutdown-and-orphan-sockets"
    assert GEN.anchor("TIME_WAIT and 2MSL") == "time_wait-and-2msl"


def test_cells_escape_pipes_and_newlines():
    assert GEN.cell("a | b\nc") == "a \\| b c"


# ---------------------------------------------------------------------------
# Links between pages
# ---------------------------------------------------------------------------

_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
_HTML_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
_FENCE = re.compile(r"^\s*(```|~~~)")


def _markdown_files():
    found = []
    for directory, _dirs, files in os.walk(DOCS):
        found += [os.path.join(directory, name) for name in files if name.endswith(".md")]
    for name in ("README.md",):
        if os.path.exists(os.path.join(REPO, name)):
            found.append(os.path.join(REPO, name))
    return sorted(found)


def _anchors(path):
    anchors = set()
    in_fence = False
    with open(path) as handle:
        for line in handle:
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            match = _HEADING.match(line)
            if match:
                anchors.add(GEN.anchor(match.group(1).replace("`", "")))
            anchors.update(_HTML_ANCHOR.findall(line))
    return anchors


def _links(path):
    links = []
    in_fence = False
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            if not in_fence:
                links += [(number, target) for target in _LINK.findall(line)]
    return links


def test_relative_links_resolve():
    problems = []
    anchors = {}
    for path in _markdown_files():
        for number, target in _links(path):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _sep, fragment = target.partition("#")
            goal = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            where = "%s:%d" % (os.path.relpath(path, REPO), number)
            if not os.path.exists(goal):
                problems.append("%s: %s does not exist" % (where, target))
                continue
            if fragment and goal.endswith(".md"):
                if goal not in anchors:
                    anchors[goal] = _anchors(goal)
                if fragment not in anchors[goal]:
                    problems.append("%s: no heading or anchor #%s in %s"
                                    % (where, fragment, os.path.relpath(goal, REPO)))
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_rule_links_name_real_rules():
    described = GEN._rule_catalog()
    if described is None:
        pytest.skip("plugins/module_utils/_rules.py does not list rules yet")
    known = set(rule["id"] for rule in described)
    problems = []
    pattern = re.compile(r"\[`([^`]+)`\]\([^)]*knobs\.md#rule-([^)]+)\)")
    for path in _markdown_files():
        with open(path) as handle:
            text = handle.read()
        for shown, target in pattern.findall(text):
            if target not in known:
                problems.append("%s: rule %s does not exist" % (os.path.relpath(path, REPO), target))
            if shown != target:
                problems.append("%s: link text %s points to rule %s"
                                % (os.path.relpath(path, REPO), shown, target))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------
# Execution environment
# ---------------------------------------------------------------------------


def test_execution_environment_installs_this_version():
    path = os.path.join(REPO, "execution-environment.yml")
    if not os.path.exists(path):
        pytest.skip("no execution-environment.yml")
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    with open(path) as handle:
        ee = yaml.safe_load(handle)
    tarball = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert ee["version"] == 3
    sources = [item["src"] for item in ee.get("additional_build_files") or ()]
    assert ".build/%s" % tarball in sources, (
        "execution-environment.yml copies %s, but `make build` writes .build/%s"
        % (sources, tarball))
    names = [item["name"] for item in ee["dependencies"]["galaxy"]["collections"]]
    assert "collections/%s" % tarball in names
    assert any(requirement.startswith("jmespath") for requirement in ee["dependencies"]["python"])


# ---------------------------------------------------------------------------
# Fact and result paths named in the pages
# ---------------------------------------------------------------------------

_FACT_PATH = re.compile(r"`(?:ansible_facts\.)?tcp_state\.([A-Za-z0-9_.]+)")


def _module_return(name):
    import ast

    path = os.path.join(REPO, "plugins", "modules", "%s.py" % name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "RETURN" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value))
    return None


def _documented(spec, parts):
    """True when ``parts`` is a path RETURN documents, or lies under a free-form dict it documents."""
    node = {"contains": spec}
    for index, part in enumerate(parts):
        contains = node.get("contains")
        if not isinstance(contains, dict):
            # a dict whose keys are data (counters, per-key entries): any key below is fine
            return node.get("type") == "dict" and index > 0
        if part not in contains:
            return False
        node = contains[part] or {}
    return True


def test_fact_paths_in_the_pages_are_documented():
    documented = _module_return("tcp_state_facts")
    if documented is None:
        pytest.skip("plugins/modules/tcp_state_facts.py is not there yet")
    spec = documented
    for wrapper in ("ansible_facts", "tcp_state"):
        if isinstance(spec.get(wrapper), dict) and isinstance(spec[wrapper].get("contains"), dict):
            spec = spec[wrapper]["contains"]
    problems = []
    for path in _markdown_files():
        with open(path) as handle:
            text = handle.read()
        for dotted in sorted(set(_FACT_PATH.findall(text))):
            parts = [part for part in dotted.rstrip(".").split(".") if part]
            if not _documented(spec, parts):
                problems.append("%s: tcp_state.%s is not in tcp_state_facts' RETURN"
                                % (os.path.relpath(path, REPO), dotted))
    assert not problems, "\n".join(problems)
