# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: role_var_aliases
short_description: Values a role's old variable names give to its new ones, with a deprecation warning
version_added: 0.2.0
description:
  - Used by the collection's roles inside the templates of tasks they run anyway, so that accepting
    the names of before 0.2.0 costs no task of its own. Returns a mapping of new variable name to value
    for every old name that is set (an empty mapping when none is, which is all it does then).
  - An old name gives its value to the new name unless the new name was set to something other
    than its default; then the new name wins and the warning says the old one is ignored.
    Values taken from old names are validated against the role's argument spec.
  - Warns, as a deprecation, for each old variable name that is set, each old tag the run selects or
    skips, and for a role used under its old name.
author:
  - netfleet.tcp maintainers (@netfleet)
options:
  _terms:
    description: The prefix of the role's variables, for example C(tcp_tuning_).
    required: true
    type: list
    elements: str
  old_prefix:
    description: The prefix the same variables had before, for example C(tuning_).
    type: str
    required: true
  role:
    description: Name of the role, for the warnings.
    type: str
    required: true
  spec:
    description:
      - Path of the role's C(meta/argument_specs.yml); read only when an old name is set, for the
        defaults of the new names and to validate the old names' values.
    type: path
    required: true
  tags:
    description: Old tag to new tag; each old tag the run selects or skips is warned about.
    type: dict
    default: {}
  also:
    description: Further old name to new name pairs that do not follow the prefixes (a playbook's variables).
    type: dict
    default: {}
  ignore:
    description: Old names that are not old variable names (facts the role itself sets under them).
    type: list
    elements: str
    default: []
  renamed_from:
    description: The role's old name when the play uses it (set by the role kept under that name); empty otherwise.
    type: str
    default: ''
notes:
  - The old names stop working in netfleet.tcp 0.3.0.
  - Deprecation warnings are shown once per run, however many hosts and tasks evaluate the lookup, and
    not at all when the Ansible setting C(deprecation_warnings) is off.
"""

EXAMPLES = r"""
# In a role's vars/main.yml: the values old names give, {} unless one is set.
__tcp_tuning_renamed: >-
  {{ lookup('netfleet.tcp.role_var_aliases', 'tcp_tuning_', old_prefix='tuning_',
  role='netfleet.tcp.tcp_tuning', spec=role_path ~ '/meta/argument_specs.yml') }}
# and where a variable is used:
__tcp_tuning_profile: "{{ __tcp_tuning_renamed.tcp_tuning_profile | default(tcp_tuning_profile) }}"
"""

RETURN = r"""
_raw:
  description: One mapping of new variable name to the value its old name gives.
  type: list
  elements: dict
"""

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.netfleet.tcp.plugins.plugin_utils._var_aliases import (
    AliasInputError,
    find_aliases,
    renamed_role_warning,
    resolve_aliases,
    tag_warnings,
)

display = Display()

# The collection version in which the old names stop working (also in the deprecated() call below).
REMOVED_IN = "0.3.0"


def _spec_options(path):
    try:
        with open(path) as handle:
            spec = yaml.safe_load(handle)
        return spec["argument_specs"]["main"]["options"] or {}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise AnsibleError("role_var_aliases: cannot read the argument spec %s: %s" % (path, error))


def _validate(values, options, aliases, role):
    """``values`` as the role's argument spec validates them; an error names the old variable."""
    given = dict((new, old) for old, new in aliases.items())
    validated, errors = dict(values), []
    for name in sorted(values):
        if name not in options:
            continue
        result = ArgumentSpecValidator({name: options[name]}).validate({name: values[name]})
        if result.error_messages:
            errors.append("%s (given as %s): %s" % (name, given.get(name, name), "; ".join(result.error_messages)))
        else:
            validated[name] = result.validated_parameters[name]
    if errors:
        raise AnsibleError("%s: a deprecated variable name holds a wrong value: %s" % (role, "; ".join(errors)))
    return validated


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        role, removed_in = self.get_option("role"), REMOVED_IN
        warnings = []
        if self.get_option("renamed_from"):
            warnings.append(renamed_role_warning(self.get_option("renamed_from"), role, removed_in))
        warnings += tag_warnings(variables.get("ansible_run_tags"), variables.get("ansible_skip_tags"),
                                 self.get_option("tags"), role, removed_in)
        names = list(variables)
        aliases = {}
        for prefix in terms:
            aliases.update(find_aliases(names, prefix, self.get_option("old_prefix"), self.get_option("also")))
        for name in self.get_option("ignore"):
            aliases.pop(name, None)
        values = {}
        if aliases:
            options = _spec_options(self.get_option("spec"))
            defaults = dict((name, option.get("default")) for name, option in options.items() if "default" in option)
            try:
                values, more = resolve_aliases(aliases, defaults, self._getter(variables), role, removed_in)
            except AliasInputError as error:
                raise AnsibleError("role_var_aliases: %s" % error)
            warnings += more
            values = _validate(values, options, aliases, role)
        for warning in warnings:
            display.deprecated(warning, version="0.3.0", collection_name="netfleet.tcp")
        return [values]

    def _getter(self, variables):
        def value(name):
            if name not in variables:
                raise KeyError(name)
            return self._templar.template(variables[name])
        return value
