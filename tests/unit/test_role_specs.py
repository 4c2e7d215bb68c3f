"""Role docs from one source: every role's argument spec carries the defaults of its
defaults/main.yml, option for option, and ansible-doc -t role shows them.
"""

import glob
import json
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(path)))
               for path in glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml")))


def _load(role, *parts):
    with open(os.path.join(REPO, "roles", role, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_there_are_roles_to_check():
    assert "tcp_tuning" in ROLES and "tcp_audit" in ROLES


@pytest.mark.parametrize("old, new", [("tuning", "tcp_tuning"), ("audit", "tcp_audit")])
def test_old_role_names_run_the_new_roles_until_0_3_0(old, new):
    """The names of before 0.2.0 are shims: no spec, no task of their own, the new role imported."""
    tasks = _load(old, "tasks", "main.yml")
    assert tasks == [{"name": "Run netfleet.tcp." + new,
                      "ansible.builtin.import_role": {"name": "netfleet.tcp." + new},
                      "vars": {"__%s_renamed_from" % new: "netfleet.tcp." + old}}]
    assert not os.path.exists(os.path.join(REPO, "roles", old, "meta", "argument_specs.yml"))
    assert not os.path.exists(os.path.join(REPO, "roles", old, "defaults"))


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_equal_defaults_main(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    public = {name: value for name, value in defaults.items() if not name.startswith("_")}
    assert sorted(options) == sorted(public), "options and defaults/main.yml name different variables"
    missing = [name for name in public if "default" not in options[name]]
    assert missing == [], "options without default: in meta/argument_specs.yml"
    differ = {name: (options[name]["default"], value) for name, value in public.items()
              if options[name]["default"] != value or type(options[name]["default"]) is not type(value)}
    assert differ == {}, "spec default != defaults/main.yml: %r" % differ


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_are_among_choices(role):
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, option in options.items():
        if "choices" not in option or "default" not in option:
            continue
        values = option["default"] if option.get("type") == "list" else [option["default"]]
        assert set(values) <= set(option["choices"]), name


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_the_real_defaults(role):
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PYTHONWARNINGS="ignore:DSA is deprecated")
    proc = subprocess.run([ansible_doc, "-t", "role", "--json", "netfleet.tcp." + role], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)["netfleet.tcp." + role]
    options = doc["entry_points"]["main"]["options"]
    defaults = _load(role, "defaults", "main.yml")
    shown = {name: option.get("default") for name, option in options.items()}
    assert shown == defaults
