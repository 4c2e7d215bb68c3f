# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: one JSON line per task result and one for the recap.

Enabled by the integration harness through ANSIBLE_CALLBACK_PLUGINS / ANSIBLE_CALLBACKS_ENABLED;
it appends to the file named by NETFLEET_TEST_RESULTS, so a crashed run still leaves what ran.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: netfleet_test_results
type: aggregate
short_description: record task results as JSON lines for the netfleet.tcp integration tests
description:
  - Appends one JSON object per task result and host, and one with the recap, to the file named
    by the E(NETFLEET_TEST_RESULTS) environment variable. Does nothing when it is unset.
requirements:
  - enabled in callbacks_enabled
"""

import json
import os

from ansible.plugins.callback import CallbackBase


def _attr(obj, name):
    """ansible-core 2.19 names the public attributes without the underscore."""
    value = getattr(obj, name, None)
    if value is None:
        value = getattr(obj, "_" + name, None)
    return value


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "netfleet_test_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("NETFLEET_TEST_RESULTS")
        self._play = None

    def _emit(self, record):
        if not self._path:
            return
        with open(self._path, "a") as handle:
            handle.write(json.dumps(_jsonable(record), sort_keys=True) + "\n")

    def _record(self, result, status, ignored=False):
        task = _attr(result, "task")
        host = _attr(result, "host")
        data = _attr(result, "result")
        if data is None:
            data = {}
        data = {k: v for k, v in dict(data).items() if not str(k).startswith("_ansible_")}
        # ansible-core 2.19 no longer leaves these in what callbacks get; tests read them.
        data["changed"] = bool(data.get("changed", False))
        data["failed"] = status == "failed" or bool(data.get("failed", False))
        if status in ("skipped", "unreachable"):
            data[status] = True
        role = getattr(task, "_role", None)
        self._emit({
            "event": "result",
            "play": self._play,
            "task": task.get_name(),
            "name": task.name or task.action,
            "role": role.get_name() if role else None,
            "action": task.action,
            "handler": type(task).__name__ == "Handler",
            "host": host.get_name(),
            "status": status,
            "ignored": bool(ignored),
            "result": data,
        })

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def v2_runner_on_ok(self, result):
        data = _attr(result, "result") or {}
        self._record(result, "changed" if data.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        recap = {}
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            recap[host] = {
                "ok": summary["ok"],
                "changed": summary["changed"],
                "failed": summary["failures"],
                "unreachable": summary["unreachable"],
                "skipped": summary["skipped"],
                "rescued": summary["rescued"],
                "ignored": summary["ignored"],
            }
        self._emit({"event": "stats", "stats": recap})
