"""state=absent restores exactly what the record holds, empty values included, or fails keeping the record."""

import errno
import json

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError, SysctlWriteError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import write_value

RESERVED = "net.ipv4.ip_local_reserved_ports"


def run(base, settings=None, state="present", check=False, writer=write_value):
    params = {"name": "web", "nat_facing": "false", "state_dir": "/var/lib/netfleet-tcp", "state": state}
    if settings:
        params["settings"] = settings
    return engine.run(params, proc=str(base / "proc"), root=str(base / "root"), check_mode=check, writer=writer)


def live(base, key):
    return (base / "proc" / "sys").joinpath(*key.split(".")).read_text()


def record_file(base):
    return base / "root" / "var" / "lib" / "netfleet-tcp" / "sysctl_profile-web.json"


def test_an_empty_original_is_recorded_and_restored(host):
    assert live(host, RESERVED) == "\n"
    run(host, {RESERVED: "8080,9000-9001", "net.ipv4.tcp_fin_timeout": 31})
    assert live(host, RESERVED) == "8080,9000-9001\n"
    assert json.loads(record_file(host).read_text())["originals"][RESERVED] == ""
    check = run(host, state="absent", check=True)
    assert check["keys"][RESERVED]["status"] == "changed" and check["keys"][RESERVED]["after"] == ""
    result = run(host, state="absent")
    assert result["keys"][RESERVED] == check["keys"][RESERVED]
    assert live(host, RESERVED) == "\n" and live(host, "net.ipv4.tcp_fin_timeout") == "60\n"
    assert not record_file(host).exists()


@pytest.mark.parametrize("check", [False, True])
def test_an_unusable_record_entry_fails_and_keeps_the_record(host, check):
    run(host, {"net.ipv4.tcp_fin_timeout": 31, "net.ipv4.tcp_keepalive_time": 600})
    record = json.loads(record_file(host).read_text())
    record["originals"]["net.ipv4.tcp_keepalive_time"] = "7200 # hand edited"
    record_file(host).write_text(json.dumps(record))
    kept = record_file(host).read_text()
    with pytest.raises(ProfileError) as raised:
        run(host, state="absent", check=check)
    assert "net.ipv4.tcp_keepalive_time" in str(raised.value) and "record" in str(raised.value)
    assert raised.value.result["changed"] is False
    assert record_file(host).read_text() == kept
    assert live(host, "net.ipv4.tcp_fin_timeout") == "31\n"


def test_a_restore_the_kernel_refuses_fails_and_keeps_the_record(host):
    run(host, {"net.ipv4.tcp_fin_timeout": 31, "net.ipv4.tcp_keepalive_time": 600})
    kept = record_file(host).read_text()

    def refuse_keepalive(key, text, root):
        if key == "net.ipv4.tcp_keepalive_time":
            raise SysctlWriteError(key, text, OSError(errno.EINVAL, "Invalid argument"))
        write_value(key, text, root)

    with pytest.raises(ProfileError) as raised:
        run(host, state="absent", writer=refuse_keepalive)
    assert "net.ipv4.tcp_keepalive_time" in str(raised.value)
    assert record_file(host).read_text() == kept
    assert live(host, "net.ipv4.tcp_fin_timeout") == "31\n"  # put back: all or nothing
    assert (host / "root" / "etc" / "sysctl.d" / "99-zz-netfleet-tcp-web.conf").exists()
