"""The record of original values: atomic, private, never overwriting an original."""

import json
import os
import stat

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils import _state_record as records


def test_round_trip_is_private_and_atomic(tmp_path):
    state = str(tmp_path / "state")
    records.ensure_dir(state)
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert records.load(state, "web") is None
    record = records.new_record("web", "/etc/sysctl.d/x.conf")
    assert records.add_originals(record, {"net.ipv4.tcp_fin_timeout": "60", "net.x.gone": None}) == [
        "net.ipv4.tcp_fin_timeout"]
    records.save(state, "web", record)
    path = records.record_path(state, "web")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(state) == [os.path.basename(path)]
    assert records.load(state, "web") == record


def test_originals_are_never_overwritten():
    record = records.new_record("web", None)
    records.add_originals(record, {"net.ipv4.tcp_fin_timeout": "60"})
    added = records.add_originals(record, {"net.ipv4.tcp_fin_timeout": "30", "net.core.somaxconn": "4096"})
    assert added == ["net.core.somaxconn"]
    assert record["originals"] == {"net.ipv4.tcp_fin_timeout": "60", "net.core.somaxconn": "4096"}


@pytest.mark.parametrize("content,needle", [
    ("{not json", "not valid JSON"),
    ("[]", "unknown format"),
    (json.dumps({"format": 1, "profile": "db", "originals": {}}), "belongs to profile 'db'"),
    (json.dumps({"format": 1, "profile": "web", "originals": []}), "no originals"),
    (json.dumps({"format": 1, "profile": "web", "originals": {"k": 5}}), "non-text original"),
])
def test_corrupt_records_are_reported_not_crashed_on(tmp_path, content, needle):
    state = str(tmp_path)
    with open(records.record_path(state, "web"), "w") as handle:
        handle.write(content)
    with pytest.raises(records.StateRecordError, match=needle):
        records.load(state, "web")


def test_world_writable_state_dir_is_refused(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(str(state), 0o777)
    with pytest.raises(records.StateRecordError, match="writable by group or others"):
        records.ensure_dir(str(state))
    os.chmod(str(state), 0o755)
    records.ensure_dir(str(state))


def test_state_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(records.StateRecordError, match="not a directory"):
        records.ensure_dir(str(tmp_path / "f"))


def test_symlinked_record_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps(records.new_record("web", None)))
    os.symlink(str(target), records.record_path(str(tmp_path), "web"))
    with pytest.raises(records.StateRecordError, match="cannot open record"):
        records.load(str(tmp_path), "web")


@pytest.mark.parametrize("value", ["var/lib/x", "/var/lib/../x", "/var//lib", "", None, "/var/lib/x\n"])
def test_state_dir_option_problems(value):
    assert records.state_dir_problem(value) is not None


def test_delete_is_idempotent(tmp_path):
    records.save(str(tmp_path), "web", records.new_record("web", None))
    records.delete(str(tmp_path), "web")
    records.delete(str(tmp_path), "web")
    assert records.load(str(tmp_path), "web") is None
