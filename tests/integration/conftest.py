"""Integration tests: real ansible-playbook/ansible runs over SSH against the test fleet.

The fleet (tests/fleet/fleet.sh) is N hosts on this machine, each a network namespace with its own
sshd, hostname, net.* sysctls, /etc/sysctl.d and /var/lib/netfleet-tcp. Hosts, in order:

    web1    plain server                                              groups: fleet, servers
    natgw   NAT gateway: ip_forward=1 (persisted in its sysctl.d as 30-ip-forward.conf) and an
            nftables `table ip nat` postrouting masquerade rule        groups: fleet, nat_gateways
    shadow  server with /etc/sysctl.d/99-zzz-local-override.conf setting
            net.ipv4.tcp_fin_timeout = 45 (sorts after 99-zz-netfleet-tcp-<profile>.conf)
                                                                      groups: fleet, servers, shadowed
    web2, web3, ...  more plain servers                               groups: fleet, servers

Live values in a new namespace are NOT kernel defaults: tcp_rmem, tcp_wmem, ip_forward,
net.core.rmem_max and others are copied from the machine. Read them, don't assume them.

Environment: NETFLEET_FLEET_ID (0-9, default 0), NETFLEET_FLEET_SIZE (default 4, up to 50),
NETFLEET_FLEET_KEEP=1 leaves the fleet up after the session (inspect it with fleet.sh status/exec;
take it down yourself), NETFLEET_RUN_TIMEOUT (seconds per ansible run, default 900).
Every test in this directory is marked ``integration``. Without root, `ip netns` or sshd they skip
with a one-line reason; under CI=true any skip here is a failure. With pytest-xdist they all go to
one worker (xdist_group "netfleet-fleet"; needs --dist loadgroup).

Fixture ``fleet`` (session scope; brings the fleet up at first use, takes it down at the end):

    fleet.id, fleet.inventory (path), fleet.ansible_cfg (path)
    fleet.hosts                 ["web1", "natgw", "shadow", "web2", ...]
    fleet.groups                {"fleet": [...], "servers": [...], "nat_gateways": [...], "shadowed": [...]}
    fleet.address(host)         "198.18.<id>.<11+index>"

    fleet.playbook(path_or_yaml_text, extra_vars=None, check=False, diff=False, limit=None,
                   tags=None, env=None, inventory=None) -> Run
        A relative path is taken from the repo root; text containing a newline is written to a
        scratch dir (use absolute paths or FQCNs inside it, e.g. netfleet.tcp.tcp_tuning). extra_vars
        go as JSON (types survive). limit/tags: str or list. env: extra environment. inventory:
        a path or INI text (default: the fleet's). Runs use the fleet's ansible.cfg and
        ANSIBLE_COLLECTIONS_PATH from tests/conftest.py (this checkout as netfleet.tcp).
    fleet.adhoc(pattern, module, args=None, check=False, env=None, inventory=None) -> Run
        args: "k=v ..." string or a dict (sent as JSON).

    Run: .rc .stdout .stderr .command
         .stats        {host: {ok, changed, failed, unreachable, skipped, rescued, ignored}}
         .results(task_name) -> {host: result dict}   (full "role : name" or the task's own name;
                                                        KeyError listing the tasks that ran if none;
                                                        "changed" and "failed" always present, bools)
         .all_results  [{play, task, name, role, action, handler, host, status, ignored, result}]
         .task_names   tasks that reported, in order
         str(run)      command, rc, stdout/stderr tails: `assert run.rc == 0, run`

    Direct access, as the host sees it, never through ansible (independent verification):
    fleet.sysctl(host, key) -> str | None      live value, whitespace collapsed ("4096 131072 6291456")
    fleet.set_sysctl(host, key, value)         drift a net.* value by hand (other keys refused)
    fleet.sh(host, cmd, check=True, timeout=60) -> subprocess.CompletedProcess (text)
    fleet.read_file(host, path) -> str | None  e.g. "/etc/sysctl.d/99-zz-netfleet-tcp-web.conf"
    fleet.list_dir(host, path) -> [names]      [] when the directory does not exist
    fleet.snapshot(host) -> {"sysctl": {net.*: value}, "sysctl_d": {file: text},
                             "state": {relpath under /var/lib/netfleet-tcp: text}}
                                               compare two snapshots for "nothing changed"

    Faults and cleanup:
    fleet.reboot(host)      kill everything in the host, fresh namespace (same MAC/address),
                            persisted net.* from its sysctl.d re-applied as at boot, sshd restarted
    fleet.isolate(host)     unreachable: its SSH sessions closed, link down (connects fail in ~3s)
    fleet.restore(host)     reachable again
    fleet.reset(hosts=None) hosts (default all) back to how `up` built them: files tests or the
                            collection wrote to sysctl.d and /var/lib/netfleet-tcp removed (the kind's
                            own files rewritten), isolation lifted, then rebooted.

The fleet is shared by the whole session: leave it as you found it (``fleet.reset(...)`` in a
finalizer or at the start of a test that needs clean hosts; restore what you isolate).

Helpers importable as ``from harness import machine_sysctls, load_fleet_module`` (this directory is
put on sys.path): machine_sysctls(prefixes=("kernel.", "fs.", "vm.")) -> {key: value} of the
machine itself, for "the machine was left alone" asserts.
"""

import os
import shlex
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from harness import FleetSession, load_fleet_module  # noqa: E402  (needs the path above)

CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
XDIST_GROUP = "netfleet-fleet"
_UNAVAILABLE = []


def _unavailable_reason():
    """Why the fleet cannot run here (one line), or None. Computed once per session."""
    if not _UNAVAILABLE:
        try:
            reason = load_fleet_module().preflight()
        except Exception as exc:  # pragma: no cover - a broken machine, reported as the reason
            reason = "fleet preflight failed: %s" % exc
        _UNAVAILABLE.append(reason)
    return _UNAVAILABLE[0]


def _ours(item):
    return str(item.path).startswith(HERE + os.sep)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads xdist_group markers
def pytest_collection_modifyitems(config, items):
    reason = None
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        if not _ours(item):
            continue
        item.add_marker(pytest.mark.integration)
        if xdist:
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUP))
        reason = reason or _unavailable_reason()
        if reason:
            item.add_marker(pytest.mark.skip(reason="test fleet unavailable: %s" % reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true an integration test that skips has failed: CI must prove them."""
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if message.startswith("Skipped: "):
            message = message[len("Skipped: "):]
        report.outcome = "failed"
        report.longrepr = "CI=true: integration tests must run, not skip: %s" % message


def _one_worker_has_the_fleet(config):
    """False under pytest-xdist with several workers unless --dist loadgroup sends every test of
    this directory (xdist_group) to one worker. Workers see --dist only in the main argv/addopts."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not workers or int(workers) <= 1:
        return True
    args = list(getattr(config, "workerinput", {}).get("mainargv", []))
    args += list(config.getini("addopts")) + shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    return any(arg.endswith("loadgroup") for arg in args)


def _fleet_size():
    raw = os.environ.get("NETFLEET_FLEET_SIZE", "4")
    try:
        size = int(raw)
    except ValueError as exc:
        raise pytest.UsageError("NETFLEET_FLEET_SIZE must be a number, got %r" % raw) from exc
    return size


@pytest.fixture(scope="session")
def fleet(request):
    """The test fleet, up for the whole session (see the module docstring)."""
    reason = _unavailable_reason()
    if reason:
        pytest.skip("test fleet unavailable: %s" % reason)
    if not _one_worker_has_the_fleet(request.config):
        pytest.fail("integration tests share one fleet: run them with -n0 or --dist loadgroup")
    session = FleetSession(os.environ.get("NETFLEET_FLEET_ID", "0"), _fleet_size())
    try:
        session.start()
    except Exception:
        session.stop()
        raise
    # A module the fault tests kill cannot remove its AnsiballZ payload; each fleet host's sshd
    # sets TMPDIR to the host's own tmp dir, so `down` removes such payloads with the host.
    yield session
    if os.environ.get("NETFLEET_FLEET_KEEP") != "1":
        session.stop()
