# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: role_var_aliases
short_description: Keep a role's old variable names working for one release, with a warning
version_added: 0.2.0
description:
  - Used by the collection's roles at their start, and by the roles kept under their old names. For each old variable name that is set, gives its
    value to the new name (as a fact of the host, like M(ansible.builtin.set_fact)) and warns that the
    old name is deprecated, unless the new name was set to something other than its default; then the
    new name wins and the warning says the old one is ignored.
  - Runs in the controller process; no module runs on the host.
author:
  - netfleet.tcp maintainers (@netfleet)
options:
  aliases:
    description: Old variable name to new variable name.
    type: dict
    default: {}
  renamed_from:
    description: The role's old name, when a play uses it; adds a warning saying to use O(role) instead.
    type: str
  defaults:
    description: New variable name to its role default, to tell a value the user set from the default.
    type: dict
    default: {}
  role:
    description: Name of the role, for the warnings.
    type: str
    required: true
  removed_in:
    description: Collection version in which the old names stop working, for the warnings.
    type: str
    required: true
extends_documentation_fragment:
  - netfleet.tcp.attributes
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
notes:
  - Setting the new names as facts gives them the precedence of M(ansible.builtin.set_fact) for the rest of
    the play on that host.
"""

EXAMPLES = r"""
- name: Accept the old names of two variables for one release
  netfleet.tcp.role_var_aliases:
    aliases:
      tuning_profile: tcp_tuning_profile
      tuning_persist: tcp_tuning_persist
    defaults:
      tcp_tuning_profile: none
      tcp_tuning_persist: true
    role: netfleet.tcp.tcp_tuning
    removed_in: 0.3.0

- name: Warn that a role is used under its old name
  netfleet.tcp.role_var_aliases:
    role: netfleet.tcp.tcp_tuning
    renamed_from: netfleet.tcp.tuning
    removed_in: 0.3.0
"""

RETURN = r"""
renamed:
  description: The new names that took their value from an old name.
  returned: always
  type: list
  elements: str
  sample: [tcp_tuning_profile]
"""
