# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guards that keep every concept in one home.

* no public top-level function is defined in two plugin files, and no two top-level
  functions anywhere under plugins/ have the same body (a copy with another name);
* filters are glue: the logic lives in module_utils or plugin_utils;
* the roles' ``choices:`` are the registries' names, and the generated blocks are current;
* the size limits: no plugin file over 400 lines of code in functions and classes, no
  function over 80 lines or with more than 6 positional parameters.
"""

import ast
import collections
import glob
import os

import pytest
import yaml

from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import profile_names

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_FILES = sorted(glob.glob(os.path.join(REPO, "plugins", "**", "*.py"), recursive=True))
FILTER_FILES = sorted(glob.glob(os.path.join(REPO, "plugins", "filter", "*.py")))
# Every module's entry point is main(), by Ansible's convention.
SAME_NAME_ALLOWED = {"main"}
# Filters still holding logic of their own, each to move under plugin_utils; remove a file
# from this list once it is glue. sysctl_conf's sysctl_diff and to_sysctl_conf validate
# their input; tcp_state_summary's summary_lines formats the census.
FILTERS_WITH_LOGIC = {"sysctl_conf.py", "tcp_state_summary.py"}
GLUE_FUNCTION_LINES = 30


def _tree(path):
    with open(path) as handle:
        return ast.parse(handle.read(), filename=path)


def _relative(path):
    return os.path.relpath(path, REPO)


def _top_functions(path):
    return [node for node in _tree(path).body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_public_function_is_defined_twice():
    where = collections.defaultdict(list)
    for path in PLUGIN_FILES:
        for node in _top_functions(path):
            if not node.name.startswith("_") and node.name not in SAME_NAME_ALLOWED:
                where[node.name].append(_relative(path))
    twice = dict((name, files) for name, files in where.items() if len(files) > 1)
    assert not twice, "defined in more than one plugin file: %s" % twice


def _body_dump(node):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def test_no_function_body_is_written_twice():
    seen = collections.defaultdict(list)
    for path in PLUGIN_FILES:
        for node in _top_functions(path):
            if len(node.body) > 2 or (node.end_lineno - node.lineno) > 4:
                seen[_body_dump(node)].append("%s:%s" % (_relative(path), node.name))
    copies = [places for places in seen.values() if len(places) > 1]
    assert not copies, "the same function body twice: %s" % copies


@pytest.mark.parametrize("path", FILTER_FILES, ids=[os.path.basename(path) for path in FILTER_FILES])
def test_filters_are_glue(path):
    if os.path.basename(path) in FILTERS_WITH_LOGIC:
        pytest.skip("%s still holds logic of its own" % os.path.basename(path))
    long_ones = ["%s (%d lines)" % (node.name, node.end_lineno - node.lineno + 1)
                 for node in _top_functions(path) if node.end_lineno - node.lineno + 1 > GLUE_FUNCTION_LINES]
    assert not long_ones, "%s: filter functions hold logic; move it to plugin_utils: %s" % (
        _relative(path), ", ".join(long_ones))


def _role_option(role, option):
    with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml")) as handle:
        specs = yaml.safe_load(handle)
    return specs["argument_specs"]["main"]["options"][option]


@pytest.mark.parametrize("role,option", [("tcp_tuning", "tcp_tuning_profile"), ("tcp_audit", "tcp_audit_profile")])
def test_role_profile_choices_are_the_registry(role, option):
    assert _role_option(role, option)["choices"] == profile_names()


def test_generated_blocks_are_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_reference_docs", os.path.join(REPO, "scripts", "gen_reference_docs.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for relative in gen.SPLICED_FILES:
        with open(os.path.join(REPO, relative)) as handle:
            text = handle.read()
        assert "# BEGIN generated" in text, relative
        assert gen.splice(text) == text, "%s is stale: run make docs" % relative


def _code_lines(tree):
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]
            for item in body:
                lines.update(range(item.lineno, item.end_lineno + 1))
    return len(lines)


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=[_relative(path) for path in PLUGIN_FILES])
def test_size_limits(path):
    tree = _tree(path)
    assert _code_lines(tree) <= 400, "%s holds more than 400 lines of code" % _relative(path)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno - node.lineno + 1 <= 80, "%s: %s is over 80 lines" % (_relative(path), node.name)
            positional = len(node.args.posonlyargs) + len(node.args.args)
            assert positional <= 6, "%s: %s has %d positional parameters" % (_relative(path), node.name, positional)
