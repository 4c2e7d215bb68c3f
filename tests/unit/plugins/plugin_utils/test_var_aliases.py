"""role_var_aliases: old role variable names and tags keep working for one release, with a warning."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils._var_aliases import (
    AliasInputError,
    find_aliases,
    renamed_role_warning,
    resolve_aliases,
    tag_warnings,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

ALIASES = {"tuning_profile": "tcp_tuning_profile", "tuning_persist": "tcp_tuning_persist"}
DEFAULTS = {"tcp_tuning_profile": "none", "tcp_tuning_persist": True}


def _lookup(variables):
    def lookup(name):
        return variables[name]
    return lookup


def test_old_name_gives_its_value_to_the_default_new_name():
    values, warnings = resolve_aliases(ALIASES, DEFAULTS, _lookup({"tuning_profile": "web_frontend",
                                                                   "tcp_tuning_profile": "none"}), "r", "0.3.0")
    assert values == {"tcp_tuning_profile": "web_frontend"}
    assert warnings == ["r: the variable tuning_profile is deprecated and works until netfleet.tcp 0.3.0; "
                        "rename it to tcp_tuning_profile"]


def test_new_name_set_by_the_user_wins():
    values, warnings = resolve_aliases(ALIASES, DEFAULTS, _lookup({"tuning_profile": "web_frontend",
                                                                   "tcp_tuning_profile": "outbound_heavy"}),
                                       "r", "0.3.0")
    assert values == {}
    assert warnings == ["r: the deprecated variable tuning_profile is ignored because tcp_tuning_profile is set "
                        "too; remove tuning_profile"]


def test_same_value_under_both_names_warns_only():
    values, warnings = resolve_aliases(ALIASES, DEFAULTS, _lookup({"tuning_persist": False,
                                                                   "tcp_tuning_persist": False}), "r", "0.3.0")
    assert values == {"tcp_tuning_persist": False} and "rename it to tcp_tuning_persist" in warnings[0]


def test_nothing_old_nothing_to_say():
    assert resolve_aliases(ALIASES, DEFAULTS, _lookup({"tcp_tuning_profile": "none"}), "r", "0.3.0") == ({}, [])


def test_new_name_without_default_takes_the_old_value():
    values, _warnings = resolve_aliases({"audit_hosts": "tcp_audit_hosts"}, {}, _lookup({"audit_hosts": "web"}),
                                        "r", "0.3.0")
    assert values == {"tcp_audit_hosts": "web"}


def test_empty_table_renames_nothing():
    assert resolve_aliases({}, {}, _lookup({"a": 1}), "r", "0.3.0") == ({}, [])


def test_renamed_role_warning_names_both_roles():
    text = renamed_role_warning("netfleet.tcp.tuning", "netfleet.tcp.tcp_tuning", "0.3.0")
    assert text.startswith("the role netfleet.tcp.tuning is deprecated and works until netfleet.tcp 0.3.0; "
                           "use netfleet.tcp.tcp_tuning")


def test_old_names_are_found_only_beside_their_new_names():
    names = ["tcp_tuning_profile", "tuning_profile", "tcp_tuning_state", "tuning_custom", "tuning_hosts", "tcp_tuning_"]
    assert find_aliases(names, "tcp_tuning_", "tuning_") == {"tuning_profile": "tcp_tuning_profile"}
    assert find_aliases(names, "tcp_tuning_", "tuning_", also={"tuning_hosts": "tcp_tuning_hosts",
                                                               "tuning_gone": "tcp_tuning_gone"}) == {
        "tuning_profile": "tcp_tuning_profile", "tuning_hosts": "tcp_tuning_hosts"}
    assert find_aliases(["tcp_tuning_profile"], "tcp_tuning_", "tuning_") == {}


def test_old_tags_warn_when_selected_or_skipped():
    tags = {"apply": "tcp_tuning_apply", "tuning": "tcp_tuning", "verify": "tcp_tuning_verify"}
    assert tag_warnings(["all"], [], tags, "r", "0.3.0") == []
    assert tag_warnings(["apply", "tcp_tuning_guard"], ["verify"], tags, "r", "0.3.0") == [
        "r: the tag apply is deprecated and works until netfleet.tcp 0.3.0; use tcp_tuning_apply",
        "r: the tag verify is deprecated and works until netfleet.tcp 0.3.0; use tcp_tuning_verify"]


@pytest.mark.parametrize("aliases, defaults", [([], {}), ({"a": "a"}, {}), ({"a": ""}, {}), ({"a": "b"}, [])])
def test_bad_table_is_refused(aliases, defaults):
    with pytest.raises(AliasInputError):
        resolve_aliases(aliases, defaults, _lookup({}), "r", "0.3.0")


PLAY = """\
- name: Old names
  hosts: localhost
  gather_facts: false
  vars:
    tuning_profile: web_frontend
    tuning_missing: fail
    tcp_tuning_profile: none
    tcp_tuning_missing: skip
    tcp_tuning_persist: false
    tuning_persist: true
    spec: "{{ repo }}/roles/tcp_tuning/meta/argument_specs.yml"
    renamed: >-
      {{ lookup('netfleet.tcp.role_var_aliases', 'tcp_tuning_', old_prefix='tuning_', role='netfleet.tcp.tcp_tuning',
      spec=spec, tags={'apply': 'tcp_tuning_apply'}, renamed_from='netfleet.tcp.tuning') }}
  tasks:
    - name: Show, twice for every use of the variable
      ansible.builtin.debug:
        msg: "RESULT {{ {'renamed': renamed, 'again': renamed} | to_json }}"
      tags: [apply]
    - name: A wrong value under an old name
      ansible.builtin.debug:
        msg: "{{ renamed }}"
      vars:
        tuning_state: gone
        tcp_tuning_state: present
      tags: [apply]
"""


def test_through_ansible(tmp_path):
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "repo=%s" % REPO, "--tags", "apply",
            str(play)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [item for item in proc.stdout.splitlines() if "RESULT " in item][0]
    result = json.loads(json.loads(line.split(": ", 1)[1]).split("RESULT ", 1)[1])
    # tuning_profile gives its value (tcp_tuning_profile holds the default), tuning_missing is
    # validated and given too, tuning_persist gives way to tcp_tuning_persist set by the user.
    assert result["renamed"] == {"tcp_tuning_profile": "web_frontend", "tcp_tuning_missing": "fail"}
    assert result["again"] == result["renamed"]
    output = " ".join((proc.stdout + proc.stderr).split())
    assert output.count("the variable tuning_profile is deprecated and works until netfleet.tcp 0.3.0") == 1
    assert "the deprecated variable tuning_persist is ignored because tcp_tuning_persist is set too" in output
    assert "the role netfleet.tcp.tuning is deprecated" in output
    assert "the tag apply is deprecated and works until netfleet.tcp 0.3.0; use tcp_tuning_apply" in output
    assert "tcp_tuning_state (given as tuning_state): value of tcp_tuning_state must be one of: present, absent, " \
           "got: gone" in output
