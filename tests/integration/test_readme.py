"""The README's commands, run as written (from the repository root, as root), against the test
fleet where they need hosts: `make fleet` (reusing the session's fleet), the sysctl_check
example on natgw, the tune --check --diff example on web1, and `make audit`. The outputs must
show what the README's excerpts show. `make fleet-down` is not run here: the session's fleet
fixture takes the fleet down at the end.

The README speaks of fleet 0 (.fleet/0/); the commands run with this session's
NETFLEET_FLEET_ID, so .fleet/0/ is replaced by .fleet/<id>/.
"""

import os
import re
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _readme_commands():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    commands = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command = re.sub(r"\s+#[^'\n]*$", "", chunk.strip(), flags=re.M)
            commands.append(command.strip())
    return commands


def _find(commands, needle):
    found = [command for command in commands if needle in command]
    assert found, "the README has no command with %r; commands: %s" % (needle, commands)
    return found[0]


def _run(fleet, command):
    command = command.replace(".fleet/0/", ".fleet/%s/" % fleet.id)
    env = dict(os.environ, NETFLEET_FLEET_ID=str(fleet.id), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env.pop("MAKEFLAGS", None)
    proc = subprocess.run(["bash", "-c", command], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    return proc, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def commands():
    return _readme_commands()


def test_readme_commands_are_found(commands):
    for needle in ("make audit", "make fleet", "make fleet-down", "netfleet.tcp.sysctl_check", "playbooks/tune.yml"):
        _find(commands, needle)


def test_make_fleet_as_in_the_readme(fleet, commands):
    proc, output = _run(fleet, _find(commands, "make fleet"))
    assert proc.returncode == 0, output[-3000:]
    assert ".fleet/%s/inventory.ini" % fleet.id in output
    assert fleet.sysctl("natgw", "net.ipv4.ip_forward") == "1"


def test_sysctl_check_example_as_in_the_readme(fleet, commands):
    proc, output = _run(fleet, _find(commands, "netfleet.tcp.sysctl_check"))
    assert proc.returncode == 0, output[-3000:]
    assert output.startswith("natgw | SUCCESS"), output[:500]
    for excerpt in ('"nat_facing": true', '"id": "tw-recycle-nat"', '"id": "tw-reuse-no-timestamps"',
                    '"masquerade rule in table ip nat chain postrouting"', '"net.ipv4.ip_forward=1"'):
        assert excerpt in output, excerpt
    assert re.search(r'"errors": [1-9]', output), output[-2000:]


def test_tune_check_diff_example_as_in_the_readme(fleet, commands):
    before = fleet.snapshot("web1")
    proc, output = _run(fleet, _find(commands, "playbooks/tune.yml"))
    assert proc.returncode == 0, output[-3000:]
    assert "+++ after: /etc/sysctl.d/99-zz-netfleet-tcp-tuning.conf" in output
    assert re.search(r"web1: \d+ drifted from web_frontend .*nothing changed \(check mode\)", output), output[-3000:]
    assert fleet.snapshot("web1") == before


def test_make_audit_as_in_the_readme(fleet, commands):
    proc, output = _run(fleet, _find(commands, "make audit"))
    assert proc.returncode == 0, output[-3000:]
    match = re.search(r"report: (\S+/\.tmp/ansible/netfleet_tcp/reports/audit-\d{8}T\d{6}Z)/audit\.md", output)
    assert match, output[-3000:]
    assert os.path.isfile(os.path.join(match.group(1), "audit.json"))
    assert re.search(r"^localhost\s+: ok=\d+\s+changed=0\s", output, re.M), output[-2000:]
    assert "DSA is deprecated" not in output
