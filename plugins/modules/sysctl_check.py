#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sysctl_check
short_description: Judge live, desired and persisted TCP sysctl values against the knob catalog and rules
version_added: 0.1.0
description:
  - Reads the live values of every TCP knob in the collection's catalog (and of any other key asked for),
    the boot configuration in C(/etc/sysctl.conf) and the C(sysctl.d) directories, and optionally a
    desired set in O(settings), and judges them with the catalog's shapes, ranges and kernel versions and
    with the collection's rules. It never changes anything.
  - Returns one finding per problem with a stable rule id, a severity, the key, the value, a message and a
    remediation, plus per key the live value, the value that wins at boot and the file it comes from.
  - "Boot precedence follows systemd-sysctl: C(*.conf) files from C(/etc/sysctl.d), C(/run/sysctl.d),
    C(/usr/local/lib/sysctl.d) and C(/usr/lib/sysctl.d) are sorted by name across directories, the last
    assignment of a key wins, and a file in C(/etc) masks a file of the same name in the other directories.
    systemd-sysctl reads C(/etc/sysctl.conf) only when a file such as C(/etc/sysctl.d/99-sysctl.conf)
    links to it, while procps C(sysctl --system) applies it last; when the two leave a key with different
    values, the module says so (rule C(persisted-boot-disagree))."
  - Keys outside the catalog are checked for existence, for whether the kernel accepts a write at all
    (the mode bits of their C(/proc/sys) file; read-only keys are an error, write-only triggers an info
    finding), and against the shape of their live value (as many integers as it holds).
  - "Severities: C(error) means the value will break something or the kernel will refuse it; C(warning)
    that it is likely harmful or useless on this host; C(info) that it is fine but worth knowing."
  - Drift, where the live value differs from the desired or the persisted one, is returned apart from the
    findings, in RV(drift). It describes the state of the host, not the list judged, and O(fail_on) does
    not count it.
  # BEGIN generated rule list (scripts/gen_reference_docs.py; run make docs)
  - "The rules: input rules C(key-invalid), C(value-invalid), C(value-boolean), C(value-quoted),
    C(value-leading-zero), C(value-hex), C(value-shape), C(key-missing), C(tw-recycle-nat),
    C(tw-recycle-removed), C(tw-recycle-obsolete), C(key-machine-wide), C(key-write-only); value
    rules C(tw-recycle-on), C(retries2-low), C(abort-on-overflow), C(tw-reuse-no-timestamps),
    C(tw-reuse-accepting-host), C(tcp-mem-above-ram), C(orphans-above-ram), C(triple-order),
    C(port-range-order), C(port-range-privileged), C(port-range-parity), C(port-range-listeners),
    C(tw-buckets-below-current), C(fin-timeout-low), C(retries-low),
    C(syn-backlog-above-somaxconn), C(live-differs-desired), C(tw-buckets-lowers-boot),
    C(somaxconn-lowers-boot), C(tcp-mem-lowers-boot), C(file-max-lowers-boot),
    C(buffer-max-lowers-boot), C(buffer-min-low), C(buffer-min-high), C(buffer-initial-small),
    C(buffer-initial-oversized), C(buffer-default-oversized), C(timestamps-off), C(sack-off),
    C(dsack-off), C(syn-backlog-no-effect), C(tw-reuse-zero), C(netdev-backlog-tiny),
    C(keepalive-aggressive), C(port-range-service-ports), C(congestion-control-unavailable),
    C(value-shape-live), C(ip-forward-not-router), C(key-read-only), C(optmem-lowers-boot),
    C(rcvbuf-autotuning-off); persisted rules C(persisted-unreadable), C(persisted-drift),
    C(persisted-shadows-desired), C(persisted-conflict), C(persisted-missing-key),
    C(persisted-invalid), C(persisted-boot-disagree); pressure rules (raised by the audit report)
    C(pressure-time-wait), C(pressure-orphans), C(pressure-ephemeral-ports),
    C(pressure-accept-queue). The collection's rule reference describes each one."
  # END generated rule list
  - "NAT-facing hosts (for the C(tcp_tw_recycle) guard): with O(nat_facing=auto) a host that does NAT
    itself (C(net.ipv4.ip_forward=1) plus a masquerade or SNAT rule, read with C(nft -j list ruleset) when
    nft is installed, else with C(iptables-save -t nat)) is NAT-facing; otherwise a host that listens on a
    non-loopback address and has accepted more connections than it opened since boot is treated as
    NAT-facing, because clients on the internet usually sit behind NAT. That second test is a heuristic:
    say O(nat_facing=false) for internal servers whose clients are known not to share NAT addresses."
author:
  - netfleet.tcp maintainers (@netfleet)
extends_documentation_fragment:
  - netfleet.tcp.attributes
  - netfleet.tcp.attributes.READ_ONLY
options:
  settings:
    description:
      - A desired set to judge, a mapping of sysctl keys to values in the same format
        M(netfleet.tcp.sysctl_profile) takes. Values are integers, strings (V(4096 131072 6291456)), lists of integers for multi-value
        keys, or bounds such as V(>=4096) and V(<=30).
      - A list copied from a tuning guide can be pasted here; every problem is reported in one run.
      - YAML booleans (V(yes), V(on), V(true)) and values containing quote characters are reported, not
        converted.
    type: dict
  fail_on:
    description:
      - The lowest finding severity that makes the task fail. V(never) only reports.
      - The result is returned in full either way.
    type: str
    choices: [error, warning, never]
    default: error
  nat_facing:
    description:
      - Whether the host is reached by clients behind NAT. V(true) or V(false) override detection;
        V(auto) detects it as described above.
    type: str
    choices: [auto, "true", "false"]
    default: auto
  missing:
    description:
      - What a key of O(settings) or O(keys) that is absent here is, for example C(tcp_mem),
        C(tcp_max_orphans) and C(netdev_max_backlog) in a child network namespace or a container
        (they exist only in the initial namespace), a key a newer kernel added, or a machine-wide key
        such as C(net.core.rmem_max), which a child namespace cannot set.
      - V(fail) reports it as a C(key-missing) error, which O(fail_on=error) fails on.
      - V(skip) reports it as a C(key-missing) finding of severity V(info) whose message says it was
        skipped, and judges the other keys alone; the key's C(desired) in RV(keys) is null, since it
        is not desired here. Use it to judge one profile on hosts and containers alike, the way
        M(netfleet.tcp.sysctl_profile) applies one with O(netfleet.tcp.sysctl_profile#module:missing=skip).
    type: str
    choices: [fail, skip]
    default: fail
  keys:
    description:
      - The live keys to judge. By default every catalog key present on this host, plus the keys of
        O(settings) (always judged).
      - Keys outside the catalog are checked for existence, write access and the shape of their live value.
    type: list
    elements: str
notes:
  - Reads C(/proc/sys), C(/proc/net), C(/proc/meminfo) and the sysctl configuration files; runs
    C(nft -j list ruleset) or C(iptables-save -t nat) only when O(nat_facing=auto) and
    C(net.ipv4.ip_forward) is V(1). Reading the NAT rules needs root; without it the evidence says so.
  - Values and rules apply to the network namespace the module runs in. C(tcp_mem),
    C(tcp_max_orphans) and C(netdev_max_backlog) exist only in the initial namespace, and
    C(net.core.rmem_max) and its siblings are machine-wide (read-only inside a child namespace).
seealso:
  - module: netfleet.tcp.sysctl_profile
  - module: netfleet.tcp.tcp_state_facts
"""

EXAMPLES = r"""
- name: Judge the live values and the boot configuration
  netfleet.tcp.sysctl_check:
  register: check

- name: Paste a tuning list from a blog and see everything wrong with it
  netfleet.tcp.sysctl_check:
    fail_on: never
    settings:
      net.ipv4.tcp_tw_recycle: 1
      net.ipv4.tcp_tw_reuse: 1
      net.ipv4.tcp_timestamps: 0
      net.ipv4.tcp_mem: 94500000 915000000 927000000
      net.ipv4.ip_local_port_range: 1024 65000
      net.ipv4.tcp_max_tw_buckets: 5000
  register: blog

- name: Show the findings
  ansible.builtin.debug:
    msg: "{{ item.severity }} {{ item.id }} {{ item.key }}: {{ item.message }} -> {{ item.remediation }}"
  loop: "{{ blog.findings }}"

- name: Fail on warnings too, for an internal server whose clients never come through NAT
  netfleet.tcp.sysctl_check:
    fail_on: warning
    nat_facing: "false"
    settings:
      net.core.somaxconn: ">=4096"
      net.ipv4.tcp_fin_timeout: 30

- name: Judge a profile in a container, where tcp_max_orphans does not exist (an info finding, not an error)
  netfleet.tcp.sysctl_check:
    missing: skip
    settings:
      net.ipv4.tcp_max_orphans: 262144
      net.ipv4.tcp_fin_timeout: 30

- name: Judge a few keys outside the catalog as well (existence, write access, shape)
  netfleet.tcp.sysctl_check:
    keys:
      - net.ipv4.tcp_congestion_control
      - net.ipv4.tcp_fin_timeout
"""

RETURN = r"""
findings:
  description:
    - Every problem found in the values judged, errors first. Drift is in RV(drift), not here.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Stable rule id, for example V(tw-recycle-nat) or V(persisted-shadows-desired).
      type: str
      sample: tcp-mem-above-ram
    severity:
      description: V(error), V(warning) or V(info).
      type: str
      sample: error
    key:
      description: The sysctl key concerned (null for a file line that names no key).
      type: str
      sample: net.ipv4.tcp_mem
    value:
      description: The value judged, as text.
      type: str
      sample: 94500000 915000000 927000000
    message:
      description: What is wrong, with the numbers and files involved.
      type: str
    remediation:
      description: What to change.
      type: str
    file:
      description:
        - For a finding about a persisted line, the file it is in. A value persisted in a file gets the
          finding (same id and severity) it gets when passed in O(settings).
      type: str
      returned: when the finding is about a persisted line
    line:
      description: For a finding about a persisted line, its line number in RV(findings[].file).
      type: int
      returned: when the finding is about a persisted line
drift:
  description:
    - Where the running kernel differs from the desired value (V(live-differs-desired)) or from the value
      the boot configuration applies (V(persisted-drift)), as findings of the same form as RV(findings).
    - Reported apart from the findings so that a list's own problems stand out; O(fail_on) ignores them.
  returned: always
  type: list
  elements: dict
  sample:
    - id: live-differs-desired
      severity: warning
      key: net.ipv4.tcp_fin_timeout
      value: "60"
      message: net.ipv4.tcp_fin_timeout is 60 now; the desired value is 30.
      remediation: Apply the desired value, for example with netfleet.tcp.sysctl_profile, which also persists it.
keys:
  description: Per judged key, its values and where the boot value comes from.
  returned: always
  type: dict
  sample:
    net.ipv4.tcp_fin_timeout:
      live: "60"
      persisted: "45"
      persisted_file: /etc/sysctl.d/99-zzz-local-override.conf
      desired: "30"
      in_catalog: true
      exists: true
  contains:
    live:
      description: The running value, whitespace normalised; null when the key does not exist here.
      type: str
    persisted:
      description: The value systemd-sysctl applies at boot; null when no file sets the key.
      type: str
    persisted_file:
      description: The file that wins at boot for this key.
      type: str
    desired:
      description: The value from O(settings) (normalised, or the bound as given); null when not desired.
      type: str
    in_catalog:
      description: Whether the collection's knob catalog knows the key.
      type: bool
    exists:
      description: Whether the key exists under C(/proc/sys) here.
      type: bool
context:
  description: The host context the rules used.
  returned: always
  type: dict
  contains:
    kernel:
      description: Kernel release.
      type: str
      sample: 6.1.0-18-amd64
    kernel_version:
      description: Major, minor and patch numbers.
      type: list
      elements: int
      sample: [6, 1, 0]
    initial_netns:
      description: Whether the module ran in the initial network namespace.
      type: bool
    proc_sys_net_writable:
      description: Whether C(/proc/sys/net) is writable here.
      type: bool
    mem_total_bytes:
      description: MemTotal in bytes.
      type: int
    page_size:
      description: Memory page size in bytes (the unit of C(tcp_mem)).
      type: int
    nat_facing:
      description: The NAT-facing decision.
      type: bool
    nat_mode:
      description: V(explicit), V(gateway) (the host does NAT), V(server) (accepts connections on public listeners) or V(none).
      type: str
    nat_evidence:
      description: What the NAT decision rests on, in words.
      type: list
      elements: str
      sample: ["net.ipv4.ip_forward=1", "masquerade rule in table ip nat chain postrouting"]
    listen_ports:
      description: Local TCP ports in LISTEN.
      type: list
      elements: int
    time_wait:
      description: Sockets in TIME_WAIT now (from C(/proc/net/sockstat)).
      type: int
    active_opens:
      description: Connections opened since boot (C(Tcp ActiveOpens)).
      type: int
    passive_opens:
      description: Connections accepted since boot (C(Tcp PassiveOpens)).
      type: int
    congestion_available:
      description: Congestion control algorithms built in or loaded; null when unreadable.
      type: list
      elements: str
    congestion_loadable:
      description: Congestion control algorithms a module of the running kernel provides (empty without module support); null when unknown.
      type: list
      elements: str
persisted:
  description: The boot configuration as the module resolved it.
  returned: always
  type: dict
  contains:
    sources:
      description: Files systemd-sysctl applies, in boot order.
      type: list
      elements: str
    procps_sources:
      description: Files C(sysctl --system) applies, in order (C(/etc/sysctl.conf) last).
      type: list
      elements: str
    effective:
      description: Per key, the value systemd-sysctl leaves and the file and line it comes from.
      type: dict
    notes:
      description: Masked files, C(/dev/null) links, whether C(/etc/sysctl.conf) is linked in, and where the two loaders disagree.
      type: list
      elements: str
    masked:
      description: Files masked by a same-named file in a higher-priority directory.
      type: list
      elements: dict
    sysctl_conf:
      description: Whether C(/etc/sysctl.conf) exists and which C(sysctl.d) file links to it.
      type: dict
    disagreements:
      description: Keys systemd-sysctl and C(sysctl --system) leave with different values.
      type: dict
summary:
  description: Counts.
  returned: always
  type: dict
  contains:
    errors:
      description: Findings of severity error.
      type: int
    warnings:
      description: Findings of severity warning.
      type: int
    infos:
      description: Findings of severity info.
      type: int
    drift:
      description: Keys whose live value differs from the desired or the persisted value (RV(drift)).
      type: int
    keys_checked:
      description: Keys judged.
      type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netfleet.tcp.plugins.module_utils._rules import should_fail
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError

# Where the module reads from; unit tests point these at fake trees.
PROC = "/proc"
ROOT = "/"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type="dict"),
            fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
            nat_facing=dict(type="str", choices=["auto", "true", "false"], default="auto"),
            keys=dict(type="list", elements="str", no_log=False),
            missing=dict(type="str", choices=["fail", "skip"], default="fail"),
        ),
        supports_check_mode=True,
    )

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    def which(name):
        return module.get_bin_path(name)

    try:
        result = run_check(settings=module.params["settings"], proc=PROC, root=ROOT,
                           nat_facing=module.params["nat_facing"], keys=module.params["keys"],
                           run=run_command, which=which, missing=module.params["missing"])
    except NetfleetError as error:
        module.fail_json(msg=str(error), changed=False)
    if should_fail(result["findings"], module.params["fail_on"]):
        summary = result["summary"]
        module.fail_json(
            msg="sysctl_check: %d error%s, %d warning%s (fail_on=%s); see findings"
                % (summary["errors"], "" if summary["errors"] == 1 else "s",
                   summary["warnings"], "" if summary["warnings"] == 1 else "s", module.params["fail_on"]),
            changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
