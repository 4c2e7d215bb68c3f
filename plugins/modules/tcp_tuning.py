#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tcp_tuning
short_description: Render, judge, guard, apply and verify a tuning profile in one module execution
version_added: 0.2.0
description:
  - The whole run of the M(netfleet.tcp.tuning) role on one host, in one round trip. The host reads its
    own context (kernel, network namespace, memory, page size, NAT evidence, listening ports, live values)
    as M(netfleet.tcp.sysctl_check) does, renders the named profile from it with the group and host
    overrides (so host-dependent values such as V(net.ipv4.tcp_mem) and the reserved ports of local
    listeners are computed where the facts are), then runs the phases in O(phases), in this order.
  - V(validate) judges the wanted settings with the shared rules and returns the findings on their keys
    in RV(finding_lines).
  - V(guard) refuses what must not be applied on this host (V(tcp_tw_recycle) on NAT-facing hosts or on
    kernels that removed it, a read-only C(/proc/sys), invalid keys and values, absent keys with
    O(missing=fail), findings at or above O(fail_on)). A refusal fails the module before anything changes,
    with every reason in RV(refusals).
  - V(apply) applies the settings (or with O(state=absent) removes the profile) exactly as
    M(netfleet.tcp.sysctl_profile) does, and reports each key in RV(lines) and RV(summary).
    With O(state=absent) nothing is rendered, validated or guarded.
  - V(verify) re-reads the values; any key that does not hold what was applied fails the module
    (RV(mismatches)). Under check mode it checks that nothing changed.
author:
  - netfleet.tcp maintainers (@netfleet)
extends_documentation_fragment:
  - netfleet.tcp.attributes
  - netfleet.tcp.profile_apply
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Predicts the apply as M(netfleet.tcp.sysctl_profile) does and writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The live values and the drop-in, before and after.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
options:
  profile:
    description:
      - The profile to render, or a list of profiles merged in order; V(none) renders only the overrides.
      - The collection's profile reference lists every key of each profile with its value or formula.
    type: list
    elements: str
    required: true
  group_overrides:
    description:
      - Sysctl key to value, merged over the profile. A V(null) value removes the key from the profile.
    type: dict
    default: {}
  host_overrides:
    description:
      - Sysctl key to value, merged over the profile and O(group_overrides). A V(null) value removes the key.
    type: dict
    default: {}
  id:
    description:
      - Id of the applied profile, naming the drop-in and the record of original values (O(netfleet.tcp.sysctl_profile#module:name)).
    type: str
    default: tuning
  phases:
    description:
      - Which phases run, always in the order validate, guard, apply, verify. Without V(apply) nothing changes.
      - The M(netfleet.tcp.tuning) role sets it from the tags the play runs with.
    type: list
    elements: str
    choices: [validate, guard, apply, verify]
    default: [validate, guard, apply, verify]
  host_label:
    description: The name the messages give this host (the role passes C(inventory_hostname)).
    type: str
    default: this host
  missing:
    description:
      - What to do with a key that does not exist on this kernel or in this network namespace.
      - V(fail) refuses the whole profile; V(skip) applies the rest and reports the key as V(skipped-missing).
      - Keys skipped this way raise one warning per run naming each key and why it is absent here.
      - The default is V(skip), since a profile names keys that not every kernel or namespace has.
    type: str
    choices: [fail, skip]
    default: skip
notes:
  - Runs on the managed host with Python's standard library only; no C(sysctl) binary is needed.
  - C(/proc/sys/net) is per network namespace; the module reads and changes the namespace it runs in.
seealso:
  - module: netfleet.tcp.sysctl_profile
  - module: netfleet.tcp.sysctl_check
"""

EXAMPLES = r"""
- name: Apply web_frontend with a host override, in one round trip per host
  netfleet.tcp.tcp_tuning:
    profile: web_frontend
    host_overrides:
      net.ipv4.tcp_fin_timeout: 30
    host_label: "{{ inventory_hostname }}"

- name: Judge and guard only, changing nothing
  netfleet.tcp.tcp_tuning:
    profile: outbound_heavy
    phases: [validate, guard]

- name: Remove the profile and restore the values it replaced
  netfleet.tcp.tcp_tuning:
    profile: none
    state: absent
"""

RETURN = r"""
settings:
  description: The settings rendered for this host (profile, then group, then host overrides).
  returned: always
  type: dict
  sample: {net.ipv4.tcp_fin_timeout: 20, net.ipv4.tcp_max_tw_buckets: 262144}
plan:
  description: Each rendered key with its value, its source (V(profile), V(group), V(host)), reason and formula.
  returned: always
  type: list
  elements: dict
findings:
  description: Findings of the shared rules that involve the wanted keys (same shape as M(netfleet.tcp.sysctl_check)'s).
  returned: always
  type: list
  elements: dict
finding_lines:
  description: One line per finding worth showing (the change itself and the drift it fixes are left out).
  returned: always
  type: list
  elements: str
refusals:
  description: Why nothing was applied on this host, each naming the host and the key; empty when it may be.
  returned: always
  type: list
  elements: str
keys:
  description: Per key, as M(netfleet.tcp.sysctl_profile) returns it (before, after, persisted, status, reason).
  returned: always
  type: dict
file:
  description: The drop-in written, kept or removed; null when the apply phase did not run or O(persist=false).
  returned: always
  type: str
file_changed:
  description: Whether the drop-in was (or in check mode would be) created, rewritten or removed.
  returned: always
  type: bool
lines:
  description: One line per key that changed (or would change under check mode), and per drop-in written or removed.
  returned: always
  type: list
  elements: str
expected:
  description: What the re-read must show for each key (the values before the run under check mode).
  returned: always
  type: dict
mismatches:
  description: Keys whose re-read value is not what the apply reported; the module fails when there is one.
  returned: always
  type: list
  elements: str
apply_error:
  description: Why the apply failed (as M(netfleet.tcp.sysctl_profile) says it); null when it did not.
  returned: always
  type: str
summary:
  description: One line for this host.
  returned: always
  type: str
  sample: "web1: web_frontend applied: 6 changed, 0 unchanged; 1 skipped (absent here: net.ipv4.tcp_max_orphans)"
phases:
  description: The phases that ran, in order.
  returned: always
  type: list
  elements: str
taken_over:
  description: Keys the apply took (or in check mode would take) over from other profiles, see O(take_over).
  returned: when the apply phase ran with O(state=present)
  type: list
  elements: dict
  contains:
    key:
      description: The sysctl key.
      type: str
    from:
      description: The profile that owned it.
      type: str
    file:
      description: That profile's drop-in, rewritten without the key; null when it persisted nothing.
      type: str
shadowed:
  description: Keys a file applied later at boot sets to another value (see M(netfleet.tcp.sysctl_profile)).
  returned: when the apply phase ran
  type: list
  elements: dict
removed_files:
  description: Drop-ins removed with O(state=absent).
  returned: when O(state=absent)
  type: list
  elements: str
diff:
  description: Before/after of the live values and of the drop-in.
  returned: in diff mode, when the apply phase ran
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._profile_options import profile_options
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning import PHASES, Host, run_tuning

# Roots the module reads and writes; unit tests point them at a fake tree.
PROC = "/proc"
ROOT = "/"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            profile=dict(type="list", elements="str", required=True),
            group_overrides=dict(type="dict", default={}),
            host_overrides=dict(type="dict", default={}),
            id=dict(type="str", default="tuning"),
            phases=dict(type="list", elements="str", choices=list(PHASES), default=list(PHASES)),
            host_label=dict(type="str", default="this host"),
            **profile_options(missing="skip")
        ),
        supports_check_mode=True,
    )

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    host = Host(proc=PROC, root=ROOT, check_mode=module.check_mode, diff=module._diff,
                run_command=run_command, which=module.get_bin_path)
    try:
        result = run_tuning(module.params, host)
    except NetfleetError as error:
        module.fail_json(msg=str(error), changed=False)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    problems = result["refusals"] or ([result["apply_error"]] if result["apply_error"] else result["mismatches"])
    if problems:
        module.fail_json(msg="; ".join(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
