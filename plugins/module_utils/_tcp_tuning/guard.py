# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuning role's guard: what must not be applied on a host, judged as sysctl_profile judges it.

PRIVATE: internal to the netfleet.tcp collection. Runs on the managed host (the
tcp_tuning engine) and on the controller (the tcp_profile_* filters are glue over it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _rules
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text
from ansible_collections.netfleet.tcp.plugins.module_utils._validate import validate_settings
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning._common import is_skipped, key_label, echo_repr

# Findings that describe the change itself or the boot configuration before it,
# which applying the profile is about to fix: never a reason to refuse it.
NOT_A_PROBLEM = frozenset(["live-differs-desired", "persisted-drift", "tw-recycle-obsolete"])
MISSING_RULE = "key-missing"
TW_RECYCLE_GUARDS = ("tw-recycle-nat", "tw-recycle-removed")


def relevant_findings(check, settings):
    if is_skipped(check):
        return []
    keys = list(settings or {})
    return [finding for finding in check.get("findings") or []
            if isinstance(finding, dict) and _rules.involved_keys(finding) & set(keys)]


def findings_lines(check, settings):
    """One line per finding of a sysctl_check result that involves the wanted keys."""
    lines = []
    for finding in relevant_findings(check, settings):
        if finding.get("id") in NOT_A_PROBLEM:
            continue
        line = "%s %s: %s" % (finding.get("severity"), finding.get("id"), finding.get("message"))
        if finding.get("remediation"):
            line += " Fix: %s" % finding["remediation"]
        lines.append(line)
    return lines


def _live_values(check, settings):
    """``{key: live text or None}`` for the settings' keys that the check result read."""
    keys = check.get("keys") or {}
    fallback = (check.get("context") or {}).get("sysctl_live") or {}
    live = {}
    for key in settings:
        entry = keys.get(key)
        if isinstance(entry, dict) and "live" in entry:
            live[key] = None if entry["live"] is None else normalize_text(str(entry["live"]))
        elif key in fallback:
            live[key] = fallback[key]
    return live


def _tw_recycle_refusal(hostname, context, item):
    """Every reason tcp_tw_recycle=1 is refused here, in one sentence.

    The shared guard stops at the first reason; the operator deserves all of them,
    since removing the key from one list must not leave it in another for old kernels.
    """
    reasons = []
    if context.get("nat_facing"):
        evidence = context.get("nat_evidence") or []
        reasons.append("NAT-facing (%s)" % ("; ".join(evidence) if evidence else "nat_facing: true"))
    if item.get("id") == "tw-recycle-removed" or _catalog.exists_on_kernel(
            _rules.K_TW_RECYCLE, context.get("kernel_version")) is False:
        reasons.append("removed in Linux 4.12 (this host runs %s)"
                       % _catalog.version_text(context.get("kernel_version")))
    return ("tcp_tw_recycle refused on %s: %s; use tcp_tw_reuse=1 on the connecting side instead, "
            "which is safe with clients behind NAT" % (hostname, " and ".join(reasons) or item.get("reason")))


def guard(check, settings, hostname, missing="skip", fail_on="error"):
    """Why the wanted ``settings`` must not be applied on ``hostname``; empty when they may.

    ``check`` is the result of sysctl_check run with those settings. Refusals come from
    the validation sysctl_profile itself runs (guards, invalid keys and values, absent
    keys when ``missing`` is ``fail``), judged here on the context and live values the
    check read, so the role refuses exactly what the module would, before any change.
    Other findings of the check on the wanted keys refuse at or above ``fail_on``;
    a read-only /proc/sys refuses everything.
    """
    if missing not in ("skip", "fail"):
        raise NetfleetError("missing must be skip or fail, not %s" % echo_repr(missing))
    if fail_on not in _rules.FAIL_ON:
        raise NetfleetError("fail_on must be error, warning or never, not %s" % echo_repr(fail_on))
    if not settings or is_skipped(check):
        return []
    if not isinstance(settings, dict):
        raise NetfleetError("settings must be a dict, not %s" % type(settings).__name__)
    context = check.get("context") or {}
    refusals = []
    if context.get("proc_sys_net_writable") is False:
        refusals.append(
            "nothing written on %s: /proc/sys/net is read-only here (a container or a read-only "
            "mount of /proc/sys); tune the host or namespace that owns these settings" % hostname)
    validation = validate_settings(settings, context, _live_values(check, settings), missing)
    refused_keys = set()
    for item in validation.get("refused") or []:
        refused_keys.add(item.get("key"))
        if item.get("id") in TW_RECYCLE_GUARDS:
            refusals.append(_tw_recycle_refusal(hostname, context, item))
            continue
        message = "%s refused on %s: %s" % (key_label(item.get("key")), hostname, item.get("reason"))
        if item.get("remediation"):
            message += " %s" % item["remediation"]
        refusals.append(message)
    for finding in relevant_findings(check, settings):
        rule_id = finding.get("id")
        rule = _rules.RULES.get(rule_id)
        if rule_id in NOT_A_PROBLEM or rule_id == MISSING_RULE or (rule and rule.blocking):
            continue  # blocking rules were judged above, exactly as sysctl_profile judges them
        if finding.get("key") in refused_keys:
            continue
        if not _rules.gate_reached(finding.get("severity"), fail_on):
            continue
        message = "%s refused on %s (tcp_tuning_fail_on: %s): %s" % (
            key_label(finding.get("key")), hostname, fail_on, finding.get("message") or rule_id)
        if finding.get("remediation"):
            message += " %s" % finding["remediation"]
        refusals.append(message)
    return refusals
