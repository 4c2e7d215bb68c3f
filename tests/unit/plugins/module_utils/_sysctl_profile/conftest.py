"""The fake host the sysctl_profile engine tests share: a child network namespace's /proc/sys
(tests/unit/fixtures/sysctl_profile/proc_sys_child_netns.json), 8 GB of memory and an empty
/etc/sysctl.d under tmp_path/root. A test file that needs another host defines its own fixture."""

import json
import os

import pytest

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "sysctl_profile",
                       "proc_sys_child_netns.json")


@pytest.fixture
def host(tmp_path):
    proc = tmp_path / "proc"
    for key, value in json.load(open(FIXTURE)).items():
        if not key.startswith("_"):
            path = proc.joinpath("sys", *key.split("."))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(value + "\n")
    (proc / "meminfo").write_text("MemTotal:        8000000 kB\n")
    (tmp_path / "root" / "etc" / "sysctl.d").mkdir(parents=True)
    return tmp_path
