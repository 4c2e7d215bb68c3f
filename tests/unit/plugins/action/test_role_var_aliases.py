"""role_var_aliases: old role variable names keep working for one release, with a warning."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.netfleet.tcp.plugins.plugin_utils._var_aliases import (
    AliasInputError,
    renamed_role_warning,
    resolve_aliases,
)

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
    assert warnings == ["r: the variable tuning_profile is deprecated and stops working in netfleet.tcp 0.3.0; "
                        "rename it to tcp_tuning_profile (its value is used this time)"]


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
    assert values == {} and "holds the same value" in warnings[0]


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
    assert text.startswith("the role netfleet.tcp.tuning is deprecated and stops working in netfleet.tcp 0.3.0; "
                           "use netfleet.tcp.tcp_tuning")


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
  tasks:
    - name: Accept the old names
      netfleet.tcp.role_var_aliases:
        aliases: {tuning_profile: tcp_tuning_profile, tuning_persist: tcp_tuning_persist}
        defaults: {tcp_tuning_profile: none, tcp_tuning_persist: true}
        role: netfleet.tcp.tcp_tuning
        removed_in: 0.3.0
      register: aliased
    - name: Warn about an old role name
      netfleet.tcp.role_var_aliases:
        role: netfleet.tcp.tcp_tuning
        renamed_from: netfleet.tcp.tuning
        removed_in: 0.3.0
    - name: Show
      ansible.builtin.debug:
        msg: "RESULT {{ {'profile': tcp_tuning_profile, 'persist': tcp_tuning_persist | default('unset'),
               'renamed': aliased.renamed,
               'changed': aliased.changed} | to_json }}"
"""


def test_through_ansible(tmp_path):
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, str(play)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [item for item in proc.stdout.splitlines() if "RESULT " in item][0]
    result = json.loads(json.loads(line.split(": ", 1)[1]).split("RESULT ", 1)[1])
    assert result == {"profile": "web_frontend", "persist": "unset", "renamed": ["tcp_tuning_profile"], "changed": False}
    output = " ".join((proc.stdout + proc.stderr).split())
    assert "the variable tuning_profile is deprecated and stops working in netfleet.tcp 0.3.0" in output
    assert "the role netfleet.tcp.tuning is deprecated" in output
