# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The version matrix's record of a smoke run (.ci/matrix.py): per play, per host, whether a
task changed or failed and the Python version the setup module saw; the play recap's numbers;
written as JSON to $NETFLEET_MATRIX_RESULT when the run ends. The stdout callback stays the
default one, so the run's log reads as usual. Works with ansible-core 2.17 to 2.20 (task
results expose .result/.host from 2.19 on, ._result/._host before)."""

import json
import os

from ansible.plugins.callback import CallbackBase


def _parts(result):
    data = getattr(result, "result", None)
    host = getattr(result, "host", None)
    return (data if data is not None else result._result,  # pylint: disable=protected-access
            (host if host is not None else result._host).get_name())  # pylint: disable=protected-access


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "matrix_result"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"name": play.get_name(), "hosts": {}})

    def _entry(self, host):
        if not self.plays:
            self.plays.append({"name": "", "hosts": {}})
        return self.plays[-1]["hosts"].setdefault(host, {"changed": False, "failed": False, "msg": ""})

    def v2_runner_on_ok(self, result):
        data, host = _parts(result)
        entry = self._entry(host)
        entry["changed"] = entry["changed"] or bool(data.get("changed"))
        version = (data.get("ansible_facts") or {}).get("ansible_python_version")
        if version:
            entry["python"] = version

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        data, host = _parts(result)
        entry = self._entry(host)
        if not entry["failed"]:
            entry["msg"] = str(data.get("msg", ""))[:500]
        entry["failed"] = True

    def v2_runner_on_unreachable(self, result):
        self.v2_runner_on_failed(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("NETFLEET_MATRIX_RESULT")
        if not path:
            return
        recap = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"plays": self.plays, "stats": recap}, handle, indent=1)
