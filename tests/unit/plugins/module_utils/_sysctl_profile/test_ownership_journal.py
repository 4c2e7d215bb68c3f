"""One owner per key (take_over), the write-ahead journal after a kill, debris, read-only and rounded keys."""

import fcntl
import gzip
import os

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import write_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import _access

FIN = "net.ipv4.tcp_fin_timeout"
TIME = "net.ipv4.tcp_keepalive_time"
INTVL = "net.ipv4.tcp_keepalive_intvl"
STATE = os.path.join("var", "lib", "netfleet-tcp")


def run(base, name, settings=None, state="present", check=False, writer=write_value, **params):
    params.update({"name": name, "nat_facing": "false", "state": state})
    if settings:
        params["settings"] = settings
    return engine.run(params, proc=str(base / "proc"), root=str(base / "root"), check_mode=check, writer=writer)


def live(base, key):
    return (base / "proc" / "sys").joinpath(*key.split(".")).read_text().strip()


def dropin(base, name):
    path = base / "root" / "etc" / "sysctl.d" / ("99-zz-netfleet-tcp-%s.conf" % name)
    return path.read_text() if path.exists() else None


def state_files(base):
    return sorted(os.listdir(str(base / "root" / STATE)))


@pytest.mark.parametrize("first", ["a", "b"])
def test_a_second_profile_takes_a_key_over_only_when_told_and_either_removal_order_restores(host, first):
    original = dict((key, live(host, key)) for key in (FIN, TIME, INTVL))
    run(host, "a", {FIN: 20, TIME: 600})
    for check in (True, False):
        with pytest.raises(ProfileError, match="profile 'a' already manages it") as raised:
            run(host, "b", {FIN: 30, INTVL: 40}, check=check)
        assert raised.value.result["keys"][FIN]["status"] == "refused"
    assert live(host, FIN) == "20" and live(host, INTVL) == original[INTVL]
    predicted = run(host, "b", {FIN: 30, INTVL: 40}, check=True, take_over=[FIN])
    result = run(host, "b", {FIN: 30, INTVL: 40}, take_over=[FIN])
    assert predicted["taken_over"] == result["taken_over"] == [
        {"key": FIN, "from": "a", "file": "/etc/sysctl.d/99-zz-netfleet-tcp-a.conf"}]
    assert predicted["keys"] == result["keys"]
    assert FIN not in dropin(host, "a") and "%s = 30" % FIN in dropin(host, "b")
    with pytest.raises(ProfileError, match="profile 'b' already manages it"):
        run(host, "a", {FIN: 20, TIME: 600})
    run(host, first, state="absent")
    if first == "a":
        assert (live(host, FIN), live(host, TIME), live(host, INTVL)) == ("30", original[TIME], "40")
    else:
        assert (live(host, FIN), live(host, TIME), live(host, INTVL)) == (original[FIN], "600", original[INTVL])
    run(host, "b" if first == "a" else "a", state="absent")
    assert dict((key, live(host, key)) for key in (FIN, TIME, INTVL)) == original
    assert state_files(host) == ["sysctl_profile.lock"]


def test_a_profile_that_keeps_a_key_owns_it(host):
    run(host, "a", {FIN: live(host, FIN)})  # already the value: nothing recorded but the key is owned
    with pytest.raises(ProfileError, match="profile 'a' already manages it"):
        run(host, "b", {FIN: 30})


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the engine catches it."""


def dies_after(count):
    writes = []

    def writer(key, text, root):
        write_value(key, text, root)
        writes.append(key)
        if len(writes) == count:
            raise Killed()
    return writer


PROFILE = {FIN: 21, TIME: 601, INTVL: 41}


@pytest.mark.parametrize("next_state", ["present", "absent"])
def test_a_killed_apply_is_undone_by_the_next_run(host, next_state):
    original = dict((key, live(host, key)) for key in PROFILE)
    with pytest.raises(Killed):
        run(host, "web", PROFILE, writer=dies_after(2))
    assert [live(host, key) for key in PROFILE] == ["21", "601", original[INTVL]]  # mixed
    assert "sysctl_profile.journal" in state_files(host)
    predicted = run(host, "web", PROFILE if next_state == "present" else None, state=next_state, check=True)
    assert "sysctl_profile.journal" in state_files(host)
    result = run(host, "web", PROFILE if next_state == "present" else None, state=next_state)
    assert predicted["recovery"] == result["recovery"]
    assert result["recovery"]["undone"] == sorted([FIN, TIME]) and result["recovery"]["profile"] == "web"
    assert predicted["keys"] == result["keys"] and predicted["changed"] is result["changed"] is True
    assert "sysctl_profile.journal" not in state_files(host)
    if next_state == "present":
        assert dict((key, live(host, key)) for key in PROFILE) == dict((k, str(v)) for k, v in PROFILE.items())
        run(host, "web", state="absent")
    assert dict((key, live(host, key)) for key in PROFILE) == original
    assert state_files(host) == ["sysctl_profile.lock"] and dropin(host, "web") is None


def test_a_killed_take_over_is_undone_whole(host):
    run(host, "a", {FIN: 20, TIME: 600})
    a_text, a_record = dropin(host, "a"), (host / "root" / STATE / "sysctl_profile-a.json").read_text()
    with pytest.raises(Killed):
        run(host, "b", {FIN: 30, INTVL: 40}, take_over=[FIN], writer=dies_after(1))
    assert live(host, FIN) == "30"
    run(host, "a", state="absent", check=True)  # check mode sees a's record as it was
    result = run(host, "a", state="absent")
    assert result["recovery"]["undone"] == [FIN]
    assert result["keys"][FIN]["before"] == "20" and a_text and a_record
    assert live(host, FIN) == "60" and live(host, TIME) == "7200"
    assert state_files(host) == ["sysctl_profile.lock"]


def test_temp_files_of_dead_writers_are_removed_and_live_ones_kept(host):
    run(host, "web", {FIN: 21})
    sysctl_d = host / "root" / "etc" / "sysctl.d"
    dead, busy = sysctl_d / ".netfleet-tcp-dead.tmp", sysctl_d / ".netfleet-tcp-busy.tmp"
    stale_record = host / "root" / STATE / ".sysctl_profile-dead.tmp"
    for path in (dead, busy, stale_record):
        path.write_text("half")
    holder = os.open(str(busy), os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        predicted = run(host, "web", {FIN: 21}, check=True)
        assert dead.exists() and stale_record.exists()
        result = run(host, "web", {FIN: 21})
    finally:
        os.close(holder)
    assert not dead.exists() and not stale_record.exists() and busy.exists()
    assert result["recovery"]["removed_temp_files"] == sorted([str(dead), str(stale_record)])
    assert predicted["recovery"]["journal"] is None and result["changed"] is False


def test_read_only_keys_are_asserted_or_refused(host):
    ro = host / "proc" / "sys" / "net" / "ipv4" / "tcp_ehash_entries"
    ro.write_text("-262144\n")
    os.chmod(str(ro), 0o444)
    result = run(host, "web", {"net.ipv4.tcp_ehash_entries": "-262144", FIN: 21})
    entry = result["keys"]["net.ipv4.tcp_ehash_entries"]
    assert entry["status"] == "unchanged" and entry["persisted"] is None and "asserted" in entry["reason"]
    assert "tcp_ehash_entries" not in dropin(host, "web")
    for check in (True, False):
        with pytest.raises(ProfileError, match="tcp_ehash_entries: is read-only here"):
            run(host, "web", {"net.ipv4.tcp_ehash_entries": 1024, FIN: 22}, check=check)
    assert live(host, FIN) == "21"


def test_rounded_keys_compare_in_the_kernels_units(host, monkeypatch):
    key = "net.ipv4.neigh.eth0.retrans_time_ms"
    path = host / "proc" / "sys" / "net" / "ipv4" / "neigh" / "eth0" / "retrans_time_ms"
    path.parent.mkdir(parents=True)
    path.write_text("1000\n")
    with gzip.open(str(host / "proc" / "config.gz"), "wt") as handle:
        handle.write("CONFIG_HZ_250=y\nCONFIG_HZ=250\n")

    def jiffies_writer(written_key, text, root):  # the kernel keeps 251 jiffies of 4 ms
        write_value(written_key, "1004" if text == "1003" else text, root)

    predicted = run(host, "web", {key: 1003}, check=True)
    result = run(host, "web", {key: 1003}, writer=jiffies_writer)
    assert predicted["keys"][key] == result["keys"][key]
    assert result["keys"][key]["after"] == "1004" and result["keys"][key]["persisted"] == "1003"
    again = run(host, "web", {key: 1003}, writer=jiffies_writer)
    assert again["changed"] is False and again["keys"][key]["status"] == "unchanged"
    # Without a tick rate the rounded read-back is still accepted.
    os.unlink(str(host / "proc" / "config.gz"))
    path.write_text("1000\n")
    assert _access.tick_rate(str(host / "proc"), str(host / "root")) is None
    result = run(host, "web", {key: 1003}, writer=jiffies_writer)
    assert result["keys"][key]["after"] == "1004"
