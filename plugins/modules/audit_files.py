# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: audit_files
short_description: Write the fleet audit report's files on the controller
version_added: 0.1.0
description:
  - Writes a report built by the P(netfleet.tcp.audit_report#filter) filter as files on the Ansible
    controller, rendered as by P(netfleet.tcp.audit_render#filter) - C(audit.html) (one self-contained page
    with charts), C(audit.md) (Markdown),
    C(audit.json) (JSON, with C(audit_report.schema.json) beside it) and C(audit.junit.xml) (JUnit XML)
    into O(dest), and one node_exporter textfile-collector file per host, C(<host>.prom), into
    O(prometheus_dir).
  - Runs in the controller process whatever host the task runs for, so it costs no module execution;
    the netfleet.tcp.tcp_audit role runs it once per play.
  - Every file is written through a temporary file in the same folder and renamed into place, so a
    reader such as node_exporter never sees half a file. A file that already holds the same bytes is
    left alone. Missing folders are created.
author:
  - netfleet.tcp maintainers (@netfleet)
options:
  report:
    description: The report, as the P(netfleet.tcp.audit_report#filter) filter builds it.
    type: dict
    required: true
  dest:
    description: Folder for the report files. Without it, only the Prometheus files are written.
    type: path
  formats:
    description: Report files to write into O(dest).
    type: list
    elements: str
    # BEGIN generated report format choices (scripts/gen_reference_docs.py; run make docs)
    choices: [html, json, junit, markdown]
    # END generated report format choices
    default: [markdown, json, junit]
  schema:
    description: Copy the report's JSON Schema beside C(audit.json) (when V(json) is among O(formats)).
    type: bool
    default: true
  prometheus_dir:
    description:
      - Folder for one C(<inventory_hostname>.prom) file per host of the report, in the text format
        node_exporter's textfile collector reads; every sample has a C(host) label. A host that could not
        be audited gets C(netfleet_tcp_audit_up 0).
      - A host name that is not a plain file name (it holds a character other than letters, digits,
        C(_), C(-) and C(.), or starts with a dot) is written as the name with each such character
        replaced by C(_), followed by C(-) and eight hex digits of the name's SHA-256, so no host name
        can write outside this folder or share another host's file; the C(host) label keeps the real
        name. A host whose file cannot be rendered is left out with a warning; the others are written.
    type: path
  history_dir:
    description:
      - Folder that keeps a summary of each report, C(audit-<run_id>.json) (per host its status, findings,
        drifted keys and main pressure figures), for the next run's comparison, which the
        P(netfleet.tcp.audit_report#filter) filter makes when given the same folder as O(history_dir).
      - After writing this run's summary, only the newest O(history_keep) are kept.
    type: path
  history_keep:
    description: How many report summaries O(history_dir) keeps, this run's included; V(0) writes none.
    type: int
    default: 10
  mode:
    description: Permissions of the files written, as an octal string.
    type: str
    default: "0644"
extends_documentation_fragment:
  - netfleet.tcp.attributes
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode nothing is written; RV(written) lists the files that would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
    details: A report carries the time it was built, so a new report always rewrites its files.
notes:
  - The files are written on the controller, never on the managed hosts.
seealso:
  - module: netfleet.tcp.tcp_state_facts
  - module: netfleet.tcp.sysctl_check
"""

EXAMPLES = r"""
- name: Build the report
  ansible.builtin.set_fact:
    fleet_report: "{{ hostvars | netfleet.tcp.audit_report(hosts=ansible_play_hosts_all, active=ansible_play_hosts) }}"
  run_once: true

- name: Write it for people, machines and CI, and export the numbers for Prometheus
  netfleet.tcp.audit_files:
    report: "{{ fleet_report }}"
    dest: /srv/audit/latest
    prometheus_dir: /var/lib/node_exporter/textfile_collector
  run_once: true
"""

RETURN = r"""
files:
  description: Every file of the report, written or not.
  returned: always
  type: list
  elements: str
  sample: [/srv/audit/latest/audit.md, /srv/audit/latest/audit.json]
written:
  description: The files written (in check mode, the files that would be written).
  returned: always
  type: list
  elements: str
unchanged:
  description: The files that already held the same content.
  returned: always
  type: list
  elements: str
dest:
  description: The report folder, as given.
  returned: always
  type: str
prometheus_dir:
  description: The Prometheus folder, as given.
  returned: always
  type: str
history_dir:
  description: The history folder, as given; null when no history is kept.
  returned: always
  type: str
history_removed:
  description: The summaries removed from O(history_dir) because more than O(history_keep) were there.
  returned: always
  type: list
  elements: str
"""
