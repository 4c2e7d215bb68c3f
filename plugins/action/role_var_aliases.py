# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.role_var_aliases: old role variable names, with a warning (docs: modules/role_var_aliases.py).

Runs in the controller process; sets the new names as facts of this host (like set_fact).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.netfleet.tcp.plugins.plugin_utils._var_aliases import (
    AliasInputError,
    renamed_role_warning,
    resolve_aliases,
)

ARGUMENT_SPEC = {
    "aliases": {"type": "dict", "default": {}},
    "renamed_from": {"type": "str"},
    "defaults": {"type": "dict", "default": {}},
    "role": {"type": "str", "required": True},
    "removed_in": {"type": "str", "required": True},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        task_vars = task_vars or {}

        def lookup(name):
            if name not in task_vars:
                raise KeyError(name)
            return self._templar.template(task_vars[name])

        try:
            values, warnings = resolve_aliases(args["aliases"], args["defaults"], lookup, args["role"],
                                               args["removed_in"])
        except AliasInputError as error:
            raise AnsibleActionFail("role_var_aliases: %s" % error)
        if args["renamed_from"]:
            warnings.insert(0, renamed_role_warning(args["renamed_from"], args["role"], args["removed_in"]))
        result.update(changed=False, renamed=sorted(values))
        if values:
            result["ansible_facts"] = values
            result["_ansible_facts_cacheable"] = False
        if warnings:
            result["warnings"] = warnings
        return result
