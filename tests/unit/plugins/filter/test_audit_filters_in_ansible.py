"""fleet_query, tcp_pressure and audit_render inside a real ansible-playbook run.

Values templated by Ansible are tagged or lazy containers, not plain dicts and strs; this runs
the filters on them the way playbooks do (JMESPath type functions included).
"""

import json
import os
import subprocess
import sys

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit")

PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    records: "{{ lookup('file', '%(records)s') | from_json }}"
    fleet_report: "{{ records | netfleet.tcp.audit_report(record_var='', facts_var='') }}"
  tasks:
    - name: Query
      ansible.builtin.debug:
        msg: >-
          RESULT {{ {
            'drifted': fleet_report | netfleet.tcp.fleet_query('[?drift > `0`].host'),
            'long_kernels': fleet_report | netfleet.tcp.fleet_query("[?length(kernel) > `14`].host"),
            'natgw_rules': fleet_report | netfleet.tcp.fleet_query("[?host == 'natgw'].findings[].id | sort(@)"),
            'records': records | netfleet.tcp.fleet_query("[?starts_with(check.context.kernel, '5.')].host"),
            'verdict': (records.web1.tcp_state | netfleet.tcp.tcp_pressure).verdict,
            'strict': (records.web1.tcp_state | netfleet.tcp.tcp_pressure({'orphans': {'warning': 0.001}})).orphans.verdict,
            'table': (fleet_report | netfleet.tcp.audit_render('table'))[0].split()[:3],
          } | to_json }}
"""


def test_filters_in_a_playbook(tmp_path):
    play = tmp_path / "play.yml"
    play.write_text(PLAY % {"records": os.path.abspath(os.path.join(FIXTURES, "records.json"))})
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, str(play)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [item for item in proc.stdout.splitlines() if "RESULT " in item][0]
    result = json.loads(json.loads(line.split(": ", 1)[1]).split("RESULT ", 1)[1])
    assert result == {
        "drifted": ["web1"],
        "long_kernels": ["natgw"],
        "natgw_rules": ["persisted-missing-key", "tw-reuse-no-timestamps"],
        "records": ["natgw"],
        "verdict": "warning",
        "strict": "warning",
        "table": ["HOST", "STATUS", "KERNEL"],
    }
