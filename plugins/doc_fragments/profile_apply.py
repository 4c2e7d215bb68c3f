# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of every module that applies a sysctl profile (sysctl_profile, tcp_tuning)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # One text per option; the argument spec is plugins/module_utils/_profile_options.py.
    # A module that differs in a default overrides only that default in its own DOCUMENTATION.
    DOCUMENTATION = r"""
options:
  state:
    description:
      - V(present) applies the profile live and, with O(persist), in the drop-in.
      - V(absent) removes the drop-in (only if this profile wrote it) and restores the live values recorded
        when the profile first changed them.
    type: str
    choices: [present, absent]
    default: present
  persist:
    description:
      - Write the drop-in so a reboot brings the values back.
      - With V(false) only the live values change; an existing drop-in is left alone (the module warns
        when it persists other values).
    type: bool
    default: true
  path:
    description:
      - The drop-in file. Default C(/etc/sysctl.d/99-zz-netfleet-tcp-<profile id>.conf), which sorts after
        C(99-sysctl.conf), so C(/etc/sysctl.conf) cannot silently override the profile at boot.
      - Must be an absolute, normalised path directly in C(/etc/sysctl.d), C(/run/sysctl.d) (volatile,
        gone after a reboot) or C(/usr/local/lib/sysctl.d), with a file name ending in C(.conf).
        C(/usr/lib/sysctl.d) belongs to the distribution's packages and is refused.
    type: str
  missing:
    description:
      - What to do with a key that does not exist on this kernel or in this network namespace.
      - V(fail) refuses the whole profile; V(skip) applies the rest and reports the key as V(skipped-missing).
      - Keys skipped this way raise one warning per run naming each key and why it is absent here.
        V(net.ipv4.tcp_tw_recycle=0) on a kernel without the key is satisfied rather than missing, so it
        gets an info finding (V(tw-recycle-obsolete)) and no warning.
    type: str
    choices: [fail, skip]
    default: fail
  take_over:
    description:
      - Keys this profile may take over from another profile of the same network stack that sets them.
        Without it such a key refuses the profile (two profiles never fight over a key).
      - The other profile's drop-in is rewritten without the key and the original value it recorded moves to
        this profile's record, so O(state=absent) of either profile, in either order, restores correctly.
        The result names what moved in C(taken_over).
    type: list
    elements: str
    default: []
  nat_facing:
    description:
      - Whether the host faces clients behind NAT, for the V(tcp_tw_recycle) guard. V(auto) detects it as
        M(netfleet.tcp.sysctl_check) does.
    type: str
    choices: [auto, 'true', 'false']
    default: auto
  fail_on:
    description:
      - The lowest finding severity that refuses the profile, with the same meaning as in
        M(netfleet.tcp.sysctl_check) and the roles. The settings are judged by the same rules
        (C(port-range-order), C(triple-order), ...) before anything is written; a finding at or above
        this severity refuses the whole profile and the error names every offending key. V(never)
        only reports the findings.
      - The guards proper (V(tcp_tw_recycle) on NAT-facing hosts or on kernels without it, invalid keys
        and values) always refuse. Findings that only describe the plan (C(live-differs-desired),
        C(tw-recycle-obsolete)) never refuse.
    type: str
    choices: [error, warning, never]
    default: error
  state_dir:
    description:
      - Directory for the record of original values (C(sysctl_profile-<profile id>.json), mode 0600) and the
        lock file (C(sysctl_profile.lock)). Created with mode 0700; refused when writable by group or others.
    type: str
    default: /var/lib/netfleet-tcp
  lock_timeout:
    description:
      - Seconds to wait for another run on the same host to finish before failing without changing anything.
    type: int
    default: 60
"""
