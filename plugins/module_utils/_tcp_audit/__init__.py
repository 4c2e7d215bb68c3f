# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcp_audit's engine: what the audit role collects on one host, in one module execution.

PRIVATE: internal to the netfleet.tcp collection.

``run_audit()`` calls the existing engines in turn: the TCP state census
(``_tcp_state.gather``), the judgement of the live values and the persisted
configuration (``_sysctl_check.run_check``) and, when a profile is named, the
profile rendered from that host's context (``_profiles.render_profile``) and
judged the same way. The report is still built once, on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check import run_check
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import (  # noqa: F401
    DETAILS,
    NAMESPACES,
    SOURCES,
    GatherError,
    gather,
    gather_namespaces,
)

# The profile renderer is imported only when a profile is judged: a module execution compiles
# every module it imports from the AnsiballZ zip again, and most audits judge no profile.

NO_PROFILE = "none"


def _wants_profile(profile):
    if profile is None:
        return False
    names = profile if isinstance(profile, (list, tuple)) else [profile]
    return bool(names) and list(names) != [NO_PROFILE]


def _census(params, census, namespaces):
    detail, top, source = params.get("detail") or [], params.get("top") or 10, params.get("source") or "auto"
    facts = census(detail=detail, top=top, source=source)
    if params.get("namespaces") == "all":
        facts["namespaces"], facts["namespace_scan"] = namespaces(detail=detail, top=top, source=source,
                                                                  current_facts=facts)
    return facts


def run_audit(params, *, proc="/proc", root="/", run_command=None, which=None, census=gather,
              namespaces=gather_namespaces):
    """``{tcp_state, check, profile_check, settings}`` for one host.

    ``profile_check`` is ``{"skipped": True}`` without a profile, so the report reads
    it as the role's registered results always read. Raises GatherError (with the
    partial census) or NetfleetError.
    """
    if params.get("top") is not None and params["top"] < 1:
        raise NetfleetError("top must be 1 or more, got %d" % params["top"])
    facts = _census(params, census, namespaces)
    nat_facing = params.get("nat_facing") or "auto"
    check = run_check(None, proc=proc, root=root, nat_facing=nat_facing, run=run_command, which=which)
    result = {"tcp_state": facts, "check": check, "profile_check": {"skipped": True}, "settings": {}}
    profile = params.get("profile")
    if _wants_profile(profile):
        from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import render_profile
        settings = render_profile(check, list(profile), params.get("group_overrides"), params.get("host_overrides"))
        result["settings"] = settings
        result["profile_check"] = run_check(settings, proc=proc, root=root, nat_facing=nat_facing,
                                            run=run_command, which=which, missing=params.get("missing") or "skip")
    return result
