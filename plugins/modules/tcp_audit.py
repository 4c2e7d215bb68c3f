#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tcp_audit
short_description: Read a host's TCP state and judge its sysctl values (and a profile) in one module execution
version_added: 0.2.0
description:
  - What the M(netfleet.tcp.audit) role collects on each host, in one round trip.
  - Takes the TCP state census exactly as M(netfleet.tcp.tcp_state_facts) does (its facts land in
    RV(ansible_facts.tcp_state)), judges the live values and the persisted configuration exactly as
    M(netfleet.tcp.sysctl_check) does without settings (RV(check)) and, when O(profile) names a profile,
    renders it from this host's own context with the overrides and judges it the same way (RV(profile_check)).
  - Changes nothing and never fails on findings; the report and its gate are built on the controller.
author:
  - netfleet.tcp maintainers (@netfleet)
extends_documentation_fragment:
  - netfleet.tcp.attributes
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Read-only; runs the same under check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
options:
  detail:
    description: Extra TCP state facts to collect, as O(netfleet.tcp.tcp_state_facts#module:detail).
    type: list
    elements: str
    choices: [ports, listeners, processes]
    default: []
  top:
    description: How many entries the ranked lists keep.
    type: int
    default: 10
  source:
    description: Where the census comes from, as O(netfleet.tcp.tcp_state_facts#module:source).
    type: str
    choices: [auto, netlink, proc]
    default: auto
  namespaces:
    description:
      - V(all) also counts the sockets of every other network namespace on the host, as
        O(netfleet.tcp.tcp_state_facts#module:namespaces) does.
    type: str
    choices: [current, all]
    default: current
  nat_facing:
    description: Whether the host faces clients behind NAT, for the V(tcp_tw_recycle) rules.
    type: str
    choices: [auto, 'true', 'false']
    default: auto
  profile:
    description:
      - A profile (or a list merged in order) to judge for this host; V(none) judges none.
    type: list
    elements: str
    default: [none]
  group_overrides:
    description: Sysctl key to value merged over the profile; V(null) removes the key.
    type: dict
    default: {}
  host_overrides:
    description: Sysctl key to value merged over the profile and O(group_overrides); V(null) removes the key.
    type: dict
    default: {}
  missing:
    description: A profile key absent on this host is reported as an info finding (V(skip)) or an error (V(fail)).
    type: str
    choices: [fail, skip]
    default: skip
notes:
  - Runs on the managed host with Python's standard library only.
seealso:
  - module: netfleet.tcp.tcp_state_facts
  - module: netfleet.tcp.sysctl_check
"""

EXAMPLES = r"""
- name: Census and judgement, with web_frontend judged for this host
  netfleet.tcp.tcp_audit:
    detail: [ports]
    profile: web_frontend
  register: collected
"""

RETURN = r"""
ansible_facts:
  description: The TCP state census.
  returned: always
  type: dict
  contains:
    tcp_state:
      description: As RV(netfleet.tcp.tcp_state_facts#module:ansible_facts.tcp_state).
      type: dict
check:
  description: The M(netfleet.tcp.sysctl_check) result for the live values and the persisted configuration.
  returned: always
  type: dict
profile_check:
  description:
    - The M(netfleet.tcp.sysctl_check) result for the profile's settings on this host; marked skipped
      without a profile.
  returned: always
  type: dict
settings:
  description: The profile's settings rendered for this host; empty without a profile.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_audit import (
    DETAILS,
    NAMESPACES,
    SOURCES,
    GatherError,
    run_audit,
)

# Roots the module reads; unit tests point them at a fake tree.
PROC = "/proc"
ROOT = "/"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            detail=dict(type="list", elements="str", choices=list(DETAILS), default=[]),
            top=dict(type="int", default=10),
            source=dict(type="str", choices=list(SOURCES), default="auto"),
            namespaces=dict(type="str", choices=list(NAMESPACES), default="current"),
            nat_facing=dict(type="str", choices=["auto", "true", "false"], default="auto"),
            profile=dict(type="list", elements="str", default=["none"]),
            group_overrides=dict(type="dict", default={}),
            host_overrides=dict(type="dict", default={}),
            missing=dict(type="str", choices=["fail", "skip"], default="skip"),
        ),
        supports_check_mode=True,
    )

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    try:
        result = run_audit(module.params, proc=PROC, root=ROOT, run_command=run_command, which=module.get_bin_path)
    except GatherError as error:
        module.fail_json(msg=str(error), tcp_state=error.partial)
    except NetfleetError as error:
        module.fail_json(msg=str(error))
    facts = result.pop("tcp_state")
    module.exit_json(changed=False, ansible_facts={"tcp_state": facts}, **result)


if __name__ == "__main__":
    main()
