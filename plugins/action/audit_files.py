# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.audit_files: write the fleet report's files on the controller (docs: modules/audit_files.py).

Runs entirely in the controller process: no module is shipped anywhere, so writing the
report and one Prometheus file per host costs no module execution however large the fleet.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import (
    FORMATS,
    ReportInputError,
    file_formats,
    plain,
    render_format,
)
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._escape import safe_file_name
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report._history import (
    snapshot,
    snapshot_name,
    stale_snapshots,
)

# Report files per format, from the formats registry: {"markdown": "audit.md", ...}
FILES = dict((name, FORMATS[name]["file"]) for name in file_formats())
SCHEMA_NAME = "audit_report.schema.json"
# plugins/action/ -> the collection root -> roles/tcp_audit/files/
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "roles", "tcp_audit", "files", SCHEMA_NAME)
ARGUMENT_SPEC = {
    "report": {"type": "dict", "required": True},
    "dest": {"type": "path"},
    "formats": {"type": "list", "elements": "str", "choices": sorted(FILES),
                "default": ["markdown", "json", "junit"]},
    "schema": {"type": "bool", "default": True},
    "prometheus_dir": {"type": "path"},
    "mode": {"type": "str", "default": "0644"},
    "history_dir": {"type": "path"},
    "history_keep": {"type": "int", "default": 10},
}


def _current(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_atomic(path, data, mode):
    """Write ``data`` (bytes) to ``path`` through a temporary file in the same folder.

    Returns False when the file already holds exactly ``data`` (nothing written).
    Readers (node_exporter's textfile collector, CI artifact collectors) never see a
    half-written file.
    """
    if _current(path) == data:
        if (os.stat(path).st_mode & 0o7777) != mode:
            os.chmod(path, mode)
            return True
        return False
    folder = os.path.dirname(path)
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return True


def prometheus_path(prometheus_dir, host):
    """The file of ``host`` in ``prometheus_dir``: a safe name that cannot leave the folder."""
    name = safe_file_name(host, ".prom")
    path = os.path.join(prometheus_dir, name)
    if os.path.dirname(os.path.abspath(path)) != os.path.abspath(prometheus_dir):
        raise ReportInputError("host name %r would write outside %s" % (host, prometheus_dir))
    return path


def history_file(report, history_dir):
    """(path, bytes) of this run's snapshot in the history folder."""
    data = json.dumps(snapshot(report), indent=1, sort_keys=True) + "\n"
    return os.path.join(history_dir, snapshot_name(report)), data.encode("utf-8")


def prune_history(history_dir, keep):
    """Remove the snapshots beyond the newest ``keep``; returns the paths removed."""
    removed = []
    for path in stale_snapshots(history_dir, keep):
        os.unlink(path)
        removed.append(path)
    return removed


def plan_files(report, dest, formats, schema, prometheus_dir, problems=None):
    """[(path, bytes)] of every file to write.

    A host whose Prometheus file cannot be rendered is left out and described in
    ``problems`` (a list, when given); the other hosts' files are written.
    """
    files = []
    if dest:
        for name in formats:
            text = render_format(report, name)
            files.append((os.path.join(dest, FILES[name]), text.encode("utf-8")))
        if schema and "json" in formats:
            with open(SCHEMA_PATH, "rb") as handle:
                files.append((os.path.join(dest, SCHEMA_NAME), handle.read()))
    if prometheus_dir:
        for entry in report["hosts"]:
            host = entry["host"]
            try:
                files.append((prometheus_path(prometheus_dir, host),
                              render_format(report, "prometheus", host).encode("utf-8")))
            except (ReportInputError, KeyError, TypeError, ValueError) as error:
                if problems is None:
                    raise
                problems.append("no Prometheus file for host %r: %s" % (host, error))
    return files


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        report = plain(args["report"])
        if not isinstance(report, dict) or "schema_version" not in report or "hosts" not in report:
            raise AnsibleActionFail("report must be a report built by the netfleet.tcp.audit_report filter")
        dest, prometheus_dir = args["dest"], args["prometheus_dir"]
        history_dir, keep = args["history_dir"], args["history_keep"]
        if keep < 0:
            raise AnsibleActionFail("history_keep must be 0 or more, got %d" % keep)
        if not dest and not prometheus_dir:
            raise AnsibleActionFail("give dest, prometheus_dir or both")
        try:
            mode = int(str(args["mode"]), 8)
        except ValueError:
            raise AnsibleActionFail("mode must be octal, such as 0644, got %r" % args["mode"])
        try:
            problems = []
            files = plan_files(report, dest, args["formats"], args["schema"], prometheus_dir, problems)
            if history_dir and keep > 0:
                files.append(history_file(report, history_dir))
        except (ReportInputError, KeyError, TypeError, IOError, OSError) as error:
            raise AnsibleActionFail("cannot render the report: %s" % error)
        written, unchanged = [], []
        for path, data in files:
            if self._task.check_mode:
                (unchanged if _current(path) == data else written).append(path)
                continue
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                changed = write_atomic(path, data, mode)
            except (IOError, OSError) as error:
                raise AnsibleActionFail("cannot write %s: %s" % (path, error))
            (written if changed else unchanged).append(path)
        removed = []
        if history_dir and keep > 0 and not self._task.check_mode:
            try:
                removed = prune_history(history_dir, keep)
            except (IOError, OSError) as error:
                problems.append("cannot prune the history in %s: %s" % (history_dir, error))
        if problems:
            result["warnings"] = problems
        result.update({
            "changed": bool(written),
            "files": [path for path, _data in files],
            "written": written,
            "unchanged": unchanged,
            "dest": dest,
            "prometheus_dir": prometheus_dir,
            "history_dir": history_dir if keep > 0 else None,
            "history_removed": removed,
        })
        return result
