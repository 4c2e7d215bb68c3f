#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sysctl_profile
short_description: Apply a whole sysctl profile in one call, atomically, with diff and rollback
version_added: 0.1.0
description:
  - Validates every key and value of a profile with the catalog and rules shared with
    M(netfleet.tcp.sysctl_check), then writes the live values straight to C(/proc/sys), reads each
    one back, and persists them in one drop-in file under C(/etc/sysctl.d) only once they stuck.
  - When anything is invalid nothing is written, and the error names every offending key and why.
    YAML booleans, quotes, newlines, V(=), V(#), control characters, paths posing as keys and keys
    absent on this kernel (unless O(missing=skip)) are refused.
  - Guards no value can switch off come from the shared rules. V(net.ipv4.tcp_tw_recycle=1) is refused
    on NAT-facing hosts and on kernels without the key (Linux 4.12 and later). On such a kernel,
    V(net.ipv4.tcp_tw_recycle=0) counts as satisfied and is never written to the file, where it would
    fail at boot.
  - When the kernel refuses a value part way through, every key already changed is restored to its
    previous value (verified by reading it again) and the module fails saying what was applied, what
    was restored and the kernel's error. When the drop-in cannot be written (read-only or full
    directory) the live values are rolled back too. SIGHUP, SIGTERM and SIGINT are held back while
    values are being changed, so a dropped connection leaves the host fully old or fully new.
  - Values are read the way the kernel reads them and compared that way everywhere in the collection,
    so a second run reports no change. White space does not matter (the kernel prints V(tcp_rmem) with
    tabs), port lists are sets (V(8080,8081) is V(8080-8081)), V(0x1e) is 30, and a leading zero makes a
    number octal (V(030) is 24). The value the kernel holds is what the diff shows and the drop-in
    persists, never the text as written; a leading zero that changes the number also gets a warning
    and a V(value-leading-zero) finding.
  - A drop-in name that a file of the same name in another directory systemd-sysctl or procps reads
    (C(/etc), C(/run), C(/usr/local/lib), C(/usr/lib), C(/lib) C(sysctl.d)) would mask, or be masked by, is
    refused before anything changes; C(/etc/sysctl.d/99-protect-links.conf) would silently drop Debian's
    C(fs.protected_*) hardening of that name, and a C(/run/sysctl.d) file masked by a same-named C(/etc) file is
    never read at boot. RV(placement) says where the drop-in sorts among the host's files.
  - The drop-in starts with a header naming the profile and saying it is managed. A file at O(path)
    without that header, or one naming another profile, is never edited, overwritten or removed.
  - When a file applied later at boot sets one of the profile's keys to another value, the module warns
    and names that file (it also returns it in RV(shadowed)).
  - The first run that changes a key records the value it had in a per-profile record under O(state_dir);
    O(state=absent) removes the drop-in and restores those values exactly, empty ones included
    (V(ip_local_reserved_ports) is empty by default). A restore that cannot be done fails and keeps the record.
  - The record is bound to the network stack it was taken in, so a O(state_dir) shared between network
    namespaces (C(ip netns exec), a bind-mounted C(/var/lib)) never mixes them up. The binding is the host's
    C(/etc/machine-id) (the same across reboots), whether the namespace is the initial one, and for a child
    namespace its own unicast addresses (what a container keeps across a reboot) or, within one boot, its
    namespace inode. Using the record in another stack is refused with a message naming both, in check mode
    too; give each namespace a O(state_dir) of its own.
  - Two runs on one host never interleave; a lock file in O(state_dir) serialises them.
  - One key has one owner. A profile owns the keys it sets or keeps and the keys whose original value its
    record holds. A profile that sets a key another profile of the same network stack owns is refused before
    anything changes, in check mode too, naming the key and its owner, unless O(take_over) lists the key.
    Taking a key over moves it whole, the previous owner's drop-in is rewritten without it and the original
    value it recorded moves to the new owner, so exactly one drop-in sets the key (a boot gives what is live)
    and removing the profiles in either order leaves each key as its remaining owner wants it, and at its
    value from before both once both are gone.
  - Read-only keys (no write permission on their C(/proc/sys) file here, such as
    V(net.ipv4.tcp_available_congestion_control) or V(net.ipv4.tcp_ehash_entries)) are assertions. When the
    live value matches they are reported unchanged and never written or persisted; otherwise the profile is
    refused, in check mode too. Write-only keys (V(net.ipv4.route.flush)) are triggers, not settings, and are
    refused.
  - Keys the kernel keeps in jiffies (V(net.ipv4.neigh.<dev>.retrans_time_ms) and the other neighbour and MLD
    timers) are compared in the kernel's units, using the running kernel's tick rate (C(CONFIG_HZ) from
    C(/proc/config.gz) or C(/boot/config-<release>)). With V(HZ=250), V(1003) reads back as V(1004); that
    counts as applied, RV(keys) shows V(1004) as the value after the run (in check mode too), the drop-in
    keeps V(1003), and the next run reports no change. Without a readable tick rate the value read back is
    still accepted when it is a rounding of the value written, but a later run writes it again; give the
    value the kernel keeps (V(1004)) on such hosts.
  - Every change is written ahead to a journal (C(sysctl_profile.journal) in O(state_dir)), with the old live values,
    drop-ins and records. A run killed part way (SIGKILL, a power cut) leaves it behind, and the next run of
    any profile with that O(state_dir), before it judges anything, undoes it under the lock, so the host is
    wholly as before the killed run and then wholly as the new run leaves it; O(state=absent) still restores
    the originals. Temporary files killed writers left (C(.netfleet-tcp-*.tmp),
    C(.sysctl_profile-*.tmp)) are removed by the same step. RV(recovery) says what was undone and removed;
    check mode reports the same and plans on the host as the real run will find it.
author:
  - netfleet.tcp maintainers (@netfleet)
extends_documentation_fragment:
  - netfleet.tcp.attributes
  - netfleet.tcp.profile_apply
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports exactly what a real run would change and writes nothing, not even O(state_dir).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Two diffs, the live values before and after, and the drop-in's content before and after.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
options:
  name:
    description:
      - Profile id, used in the drop-in's name and header and in the record of original values.
      - Lowercase letters, digits, V(_) and V(-), at most 64 characters.
    type: str
    required: true
  settings:
    description:
      - Sysctl keys (dotted names such as V(net.ipv4.tcp_fin_timeout)) mapped to their values.
      - A value is an integer, a string, a list for multi-value keys (V([4096, 131072, 6291456])), or a
        bound V(">=N") / V("<=N") that keeps a live value already beyond it and otherwise sets V(N).
        A bound persists the value the key holds after the run.
      - Required with O(state=present); ignored with O(state=absent), which restores what the record holds.
    type: dict
  allow_machine_wide:
    description:
      - Keys outside C(net.*) (V(kernel.*), V(vm.*), V(fs.*), ...) that this profile may write. Such a key
        holds one value for the whole machine, shared by every container and network namespace on it.
      - In the initial network namespace a key outside C(net.*) is refused (C(key-machine-wide)) unless
        it is listed here, one key at a time; listed keys still get a C(key-machine-wide) warning finding.
      - In a child network namespace (a container, C(ip netns exec)) every key outside C(net.*) is refused
        whatever this list says, and so is every C(net.*) key that belongs to the initial namespace
        (C(tcp_mem), C(tcp_max_orphans), C(rmem_max), ...; with O(missing=skip) those are skipped, never
        written). Nothing is written when anything is refused, in check mode too.
    type: list
    elements: str
    default: []
notes:
  - Runs on the managed host with Python's standard library only; no C(sysctl) binary is needed.
  - C(/proc/sys/net) is per network namespace; the module changes the namespace it runs in, and refuses
    keys that would reach beyond it (see O(allow_machine_wide)).
  - Removing a key from O(settings) leaves its live value alone; O(state=absent) restores it.
seealso:
  - module: netfleet.tcp.sysctl_check
  - module: ansible.posix.sysctl
"""

EXAMPLES = r"""
- name: Tune teardown on web servers, in one call per host
  netfleet.tcp.sysctl_profile:
    name: web
    settings:
      net.ipv4.tcp_fin_timeout: 30
      net.ipv4.tcp_tw_reuse: 1
      net.ipv4.ip_local_port_range: [10240, 65001]
      net.ipv4.tcp_rmem: "4096 131072 6291456"
      net.core.somaxconn: ">=4096"
      net.ipv4.tcp_tw_recycle: 0

- name: See what would change, with diffs
  netfleet.tcp.sysctl_profile:
    name: web
    settings:
      net.ipv4.tcp_fin_timeout: 30
  check_mode: true
  diff: true

- name: Apply live only, skipping keys this namespace does not have
  netfleet.tcp.sysctl_profile:
    name: experiment
    settings:
      net.ipv4.tcp_max_orphans: 65536
      net.ipv4.tcp_keepalive_time: 600
    persist: false
    missing: skip

- name: Remove the profile and restore the values it replaced
  netfleet.tcp.sysctl_profile:
    name: web
    state: absent
"""

RETURN = r"""
keys:
  description: Per key of the profile (or of the record with O(state=absent)).
  returned: always
  type: dict
  contains:
    before:
      description: Live value before the run, whitespace normalised; null when the key does not exist.
      type: str
    after:
      description: Live value after the run (predicted in check mode).
      type: str
    persisted:
      description: Value the drop-in holds for the key after the run; null when not persisted.
      type: str
    status:
      description:
        - V(changed), V(unchanged), V(skipped-missing) (absent on this host, or V(tcp_tw_recycle=0) where
          the kernel removed it), or V(refused) (by validation, or by the kernel on apply).
      type: str
    reason:
      description: Why the key has this status.
      type: str
  sample:
    net.ipv4.tcp_fin_timeout:
      before: "60"
      after: "30"
      persisted: "30"
      status: changed
      reason: live value 60 differs from 30
file:
  description: The drop-in written, kept or removed; null with O(persist=false).
  returned: always
  type: str
  sample: /etc/sysctl.d/99-zz-netfleet-tcp-web.conf
file_changed:
  description:
    - Whether the drop-in was (or in check mode would be) created, rewritten or removed.
    - Decided by comparing the drop-in's content with what the run writes, so a run that only changes
      live values (the drop-in already holds the wanted ones) reports V(false).
  returned: always
  type: bool
removed_files:
  description: Drop-ins removed with O(state=absent).
  returned: when O(state=absent)
  type: list
  elements: str
record:
  description: The record of original values, when there is one.
  returned: always
  type: str
  sample: /var/lib/netfleet-tcp/sysctl_profile-web.json
shadowed:
  description: Keys a file applied later at boot sets to another value than the profile persists.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The sysctl key.
      type: str
    value:
      description: The value the later file sets.
      type: str
    file:
      description: The file that wins at boot.
      type: str
    ours:
      description: The value the profile persists.
      type: str
placement:
  description:
    - Where the drop-in sorts among the host's C(*.conf) files of every sysctl.d directory (systemd-sysctl
      applies them in file name order); its V(position) of V(of), and the files just V(after) and V(before) it.
  returned: with O(state=present) and O(persist)
  type: dict
  sample: {"position": 4, "of": 4, "after": "/etc/sysctl.d/99-sysctl.conf", "before": null}
taken_over:
  description: Keys this run took (or in check mode would take) over from other profiles, see O(take_over).
  returned: with O(state=present)
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
recovery:
  description:
    - What this run undid of a run killed part way, before doing anything else (in check mode, what it
      would undo); absent when there was nothing to recover.
  returned: when a killed run left a journal or temporary files
  type: dict
  contains:
    journal:
      description: The journal undone, null when only temporary files were found.
      type: str
    profile:
      description: The profile whose run was interrupted.
      type: str
    undone:
      description: Keys whose live value was put back.
      type: list
      elements: str
    files:
      description: Drop-ins put back (rewritten or removed).
      type: list
      elements: str
    removed_temp_files:
      description: Temporary files a killed writer left, removed.
      type: list
      elements: str
findings:
  description:
    - Findings of the shared rules on the desired values (same shape as M(netfleet.tcp.sysctl_check)'s).
    - When one reaches O(fail_on) the profile was refused and nothing was written; the message names every key.
  returned: always
  type: list
  elements: dict
applied:
  description: Keys written before a failure (all rolled back unless listed in RV(unrestored)).
  returned: on failure while applying
  type: list
  elements: str
restored:
  description: Keys restored to their previous value after a failure, each verified by reading it again.
  returned: on failure while applying
  type: list
  elements: str
unrestored:
  description: Keys the rollback could not restore, with the error; empty when the host is as it was.
  returned: on failure while applying
  type: list
  elements: dict
error:
  description: The kernel's (or the file system's) error that stopped the run.
  returned: on failure while applying
  type: str
failed_key:
  description: The key the kernel refused.
  returned: on failure while applying
  type: str
diff:
  description: Before/after of the live values and of the drop-in.
  returned: in diff mode
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._profile_options import profile_options
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import ProfileError, run

# Roots the module reads and writes; unit tests point them at a fake tree.
PROC = "/proc"
ROOT = "/"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            settings=dict(type="dict"),
            allow_machine_wide=dict(type="list", elements="str", default=[]),
            **profile_options(missing="fail")
        ),
        required_if=[("state", "present", ("settings",))],
        supports_check_mode=True,
    )

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    try:
        result = run(module.params, proc=PROC, root=ROOT, check_mode=module.check_mode, diff=module._diff,
                     run_command=run_command, which=module.get_bin_path)
    except ProfileError as error:
        partial = error.result
        for warning in partial.pop("warnings", []):
            module.warn(warning)
        module.fail_json(msg=str(error), **partial)
    except NetfleetError as error:
        module.fail_json(msg=str(error), changed=False)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
