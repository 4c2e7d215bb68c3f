"""Code that runs on managed hosts (modules and module_utils) keeps the collection's rules.

ansible-test's compile sanity test covers only the Python versions installed on the test
machine; this parses with the Python 3.8 grammar instead, so syntax newer than the oldest
managed-host Python fails here on any machine. It also checks the file header and that
imports stay within the standard library, ansible.module_utils and our own module_utils.
"""

import ast
import glob
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OLDEST_MANAGED_PYTHON = (3, 8)
FILES = sorted(
    glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
    + glob.glob(os.path.join(REPO, "plugins", "module_utils", "**", "*.py"), recursive=True)
)
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def _ids(paths):
    return [os.path.relpath(path, REPO) for path in paths]


def _parse(path, feature_version=None):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    return source, ast.parse(source, filename=path, feature_version=feature_version)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_parses_with_oldest_managed_host_grammar(path):
    _parse(path, feature_version=OLDEST_MANAGED_PYTHON)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_header(path):
    source, tree = _parse(path)
    if not source.strip():
        return  # empty __init__.py
    assert "GNU General Public License v3.0+" in "".join(source.splitlines(True)[:10])
    future = set()
    metaclass = False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__metaclass__" for t in node.targets):
            metaclass = isinstance(node.value, ast.Name) and node.value.id == "type"
    assert {"absolute_import", "division", "print_function"} <= future
    assert metaclass, "missing __metaclass__ = type"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_imports_stay_on_the_host(path):
    _source, tree = _parse(path)
    outside = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in STDLIB:
                continue
            if name == "ansible.module_utils" or name.startswith("ansible.module_utils."):
                continue
            if name.startswith("ansible_collections.netfleet.tcp.plugins.module_utils"):
                continue
            outside.append("line %d: %s" % (node.lineno, name))
    assert outside == []
