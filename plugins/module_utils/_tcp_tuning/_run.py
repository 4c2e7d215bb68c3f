# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One tuning run on the host: render, validate, guard, apply, verify, report.

PRIVATE: internal to the netfleet.tcp collection. Plain functions over the public
functions of the sysctl_check, _profiles and sysctl_profile engines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError, ProfileError
from ansible_collections.netfleet.tcp.plugins.module_utils._profile_options import NAMES
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning._common import profile_label, echo_repr

# The engines each phase needs are imported inside the phase: a module execution compiles
# every module it imports from the AnsiballZ zip again, so a run that removes a profile, or
# only judges one, does not pay for the renderer or the apply engine it never calls.

PHASES = ("validate", "guard", "apply", "verify")
# The options tcp_tuning shares with sysctl_profile (_profile_options), passed on to its engine.
PROFILE_OPTIONS = NAMES


def _remembered(run_command):
    """``run_command`` that runs each command line once per module execution.

    The engines run commands only to read the NAT ruleset (nft, iptables-save), and the
    context, the judgement and the apply each read it; the run changes no ruleset, so the
    first answer holds for the whole run.
    """
    if run_command is None:
        return None
    answers = {}

    def run(argv):
        key = tuple(argv)
        if key not in answers:
            answers[key] = run_command(argv)
        return answers[key]
    return run


class Host(object):
    """Where and how the engines read and write: the roots, check mode and the host's commands."""

    def __init__(self, *, proc="/proc", root="/", check_mode=False, diff=False, run_command=None, which=None):
        self.proc = proc
        self.root = root
        self.check_mode = check_mode
        self.diff = diff
        self.run_command = _remembered(run_command)
        self.which = which

    def context(self, params):
        """The host context the rules and the profile's formulas read (live values included)."""
        from ansible_collections.netfleet.tcp.plugins.module_utils._rule_context import gather_context
        return gather_context(proc=self.proc, nat_facing=params["nat_facing"], run=self.run_command,
                              which=self.which)

    def check(self, settings, params, missing="fail"):
        from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check
        return run_check(settings=settings, proc=self.proc, root=self.root, nat_facing=params["nat_facing"],
                         run=self.run_command, which=self.which, missing=missing)

    def reread(self, keys, drop_ins=False):
        """What the verify phase reads again: the live value of each key and, after a removal,
        the files the boot configuration still reads (the shape of a sysctl_check result)."""
        from ansible_collections.netfleet.tcp.plugins.module_utils._rule_context import read_live
        live = read_live(list(keys), self.proc)
        reread = {"keys": dict((key, {"live": value, "exists": value is not None}) for key, value in live.items())}
        if drop_ins:
            from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_conf import resolve
            reread["persisted"] = {"sources": resolve(self.root)["sources"]}
        return reread


def _phases(params):
    phases = params.get("phases")
    if phases is None:
        return list(PHASES)
    unknown = [phase for phase in phases if phase not in PHASES]
    if unknown:
        raise NetfleetError("phases: unknown %s; use any of %s" % (
            ", ".join(echo_repr(item) for item in unknown), ", ".join(PHASES)))
    return [phase for phase in PHASES if phase in phases]


def _empty_result(params, phases):
    return {
        "changed": False,
        "profile": params.get("profile"),
        "state": params.get("state") or "present",
        "phases": phases,
        "settings": {},
        "plan": [],
        "findings": [],
        "finding_lines": [],
        "refusals": [],
        "keys": {},
        "file": None,
        "file_changed": False,
        "lines": [],
        "expected": {},
        "mismatches": [],
        "apply_error": None,
        "summary": "",
        "warnings": [],
    }


def _render(host, params, result):
    """The profile rendered from the host's context, as the role did on the controller.

    The formulas read the context alone (memory, page size, listeners, live values), so
    the context is gathered without judging anything; the judgement comes next, on the
    rendered settings.
    """
    from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import plan
    context = host.context(params)
    rows = plan(context, params["profile"], params.get("group_overrides"), params.get("host_overrides"))
    result["plan"] = rows
    result["settings"] = dict((row["key"], row["value"]) for row in rows)
    return context


def _profile_params(params, settings):
    wanted = dict((name, params.get(name)) for name in PROFILE_OPTIONS)
    wanted["name"] = params.get("id") or "tuning"
    wanted["settings"] = settings if wanted["state"] != "absent" else None
    return wanted


def _apply(host, params, result):
    """One call of the sysctl_profile engine; the partial result and the error when it fails."""
    from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile import run as run_profile
    try:
        outcome = run_profile(_profile_params(params, result["settings"]), proc=host.proc, root=host.root,
                              check_mode=host.check_mode, diff=host.diff,
                              run_command=host.run_command, which=host.which)
    except ProfileError as error:
        outcome = dict(error.result or {})
        result["apply_error"] = str(error)
    result["warnings"].extend(outcome.pop("warnings", None) or [])
    return outcome


def _copy_apply(outcome, result):
    for name in ("keys", "file", "file_changed", "record", "shadowed", "removed_files", "diff",
                 "applied", "restored", "unrestored", "error", "failed_key", "taken_over"):
        if name in outcome:
            result[name] = outcome[name]
    result["changed"] = bool(outcome.get("changed"))


def _verify(host, params, result, outcome, label):
    applied = outcome is not None and not outcome.get("skipped")
    expected = result["expected"] if applied else (
        result["settings"] if result["state"] == "present" else {})
    if not expected:
        return
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning import verify
    absent = applied and outcome.get("state") == "absent" and not host.check_mode
    reread = host.reread(expected, drop_ins=absent and bool(outcome.get("file_changed")))
    result["mismatches"] = verify.verify(reread, expected, label, outcome if applied else None,
                                         host.check_mode, params["missing"])
    if not applied and not result["mismatches"] and outcome is None:
        result["summary"] = "%s: %d wanted keys re-read against %s, none differs (apply phase not run)" % (
            label, len(expected), profile_label(params["profile"]))


def _judge(host, params, result, phases, label):
    """Render, validate and guard (each phase only when asked); returns the check result the
    report reads, and fills the findings, their lines and the refusals into ``result``."""
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning import guard
    _render(host, params, result)
    check = {}
    if result["settings"] and ("validate" in phases or "guard" in phases):
        check = host.check(result["settings"], params, missing=params["missing"])
        result["findings"] = guard.relevant_findings(check, result["settings"])
    if "validate" in phases:
        result["finding_lines"] = guard.findings_lines(check, result["settings"])
    if "guard" in phases:
        result["refusals"] = guard.guard(check, result["settings"], label, params["missing"], params["fail_on"])
        if result["refusals"]:
            result["summary"] = "%s: nothing changed, refused: %s" % (label, "; ".join(result["refusals"]))
    return check


def run_tuning(params, host):
    """The whole tuning run for one host; returns the result the tcp_tuning module exits with.

    ``params`` holds the module options, ``host`` is a ``Host``. Refusals, an apply that
    failed and values that did not hold are returned in ``refusals``, ``apply_error`` and
    ``mismatches`` (the module fails on any of them); nothing changes after a refusal.
    """
    phases = _phases(params)
    result = _empty_result(params, phases)
    label = params.get("host_label") or "this host"
    present = result["state"] == "present"
    check = {}
    if present:
        check = _judge(host, params, result, phases, label)
        if result["refusals"]:
            return result
    outcome = None
    if "apply" in phases:
        outcome = {"skipped": True} if present and not result["settings"] else _apply(host, params, result)
        _copy_apply(outcome, result)
        if result["apply_error"]:
            result["summary"] = "%s: apply failed: %s" % (label, result["apply_error"])
            return result
        from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning import report
        shown = report.report(outcome, label, host.check_mode, params["profile"], check)
        result.update(lines=shown["lines"], summary=shown["summary"], expected=shown["expected"])
    if "verify" in phases:
        _verify(host, params, result, outcome, label)
    if not result["summary"]:
        result["summary"] = "%s: %s judged (phases: %s), nothing applied" % (
            label, profile_label(params["profile"]), ", ".join(phases) or "none")
    return result
