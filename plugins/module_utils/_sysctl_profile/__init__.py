# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_profile's engine: apply or remove a whole profile, validated, planned, then one guarded block.

PRIVATE: internal to the netfleet.tcp collection.

The order is fixed and each step only runs when the one before succeeded:

1. validate every input (the profile id, the drop-in path, each key and value,
   its scope, the guards) with the rules shared with sysctl_check, and gate the
   findings at ``fail_on`` as sysctl_check does; any refusal means nothing is
   written, and the error names every offending key;
2. under the host lock, read the live values, the record and the drop-in and
   build the plan (``_plan``, pure functions of those); check mode stops here and
   reports the plan;
3. one guarded block (``_apply``): update the record of original values, write each
   live value to /proc/sys and read it back; on the first failure restore every key
   already changed (verified by reading again) and fail; once the live values
   stuck, write the drop-in atomically; if that fails, roll the live values back too.

SIGHUP, SIGTERM and SIGINT are held back during step 3 (a dropped SSH connection
delivers SIGHUP), so a host ends fully old or fully new. ``_present`` and ``_absent``
run the two states; a ``Job`` carries a run's arguments, roots and injected I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _dropin, _rules, _state_record
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    NetfleetError,
    ProfileError,
    SysctlInputError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import read_value, write_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._absent import run_absent
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._apply import (  # noqa: F401
    LiveApplyError,
    apply_live,
    rollback,
    signals_deferred,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._job import Job
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._plan import (  # noqa: F401
    CHANGED,
    REFUSED,
    SKIPPED,
    UNCHANGED,
    file_plan,
    persisted_entries,
    plan_steps,
    read_only_problem,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_profile._present import run_present


def _validate_common(params):
    problems = []
    name = params.get("name")
    problem = _dropin.name_problem(name)
    if problem:
        problems.append(("name", problem))
    path = params.get("path")
    if path is None and not problem:
        path = _dropin.default_path(name)
    elif path is not None:
        problem = _dropin.path_problem(path)
        if problem:
            problems.append(("path", problem))
    fail_on = params.get("fail_on") or "error"
    if fail_on not in _rules.FAIL_ON:
        problems.append(("fail_on", "must be one of %s, got %r" % (", ".join(_rules.FAIL_ON), fail_on)))
    state_dir = params.get("state_dir") or _state_record.DEFAULT_STATE_DIR
    problem = _state_record.state_dir_problem(state_dir)
    if problem:
        problems.append(("state_dir", problem))
    return name, path, state_dir, problems


def _empty_result(name, path, state):
    return {
        "changed": False,
        "profile": name,
        "state": state,
        "keys": {},
        "file": path,
        "file_changed": False,
        "record": None,
        "warnings": [],
        "shadowed": [],
        "findings": [],
    }


def run(params, *, proc="/proc", root="/", check_mode=False, diff=False,
        writer=write_value, reader=read_value, run_command=None, which=None):
    """Apply (state=present) or remove (state=absent) a profile; returns the result dict.

    ``params`` holds the module options; ``run_command(argv) -> (rc, out, err)`` and
    ``which(name)`` are used for NAT detection only. Raises ProfileError, whose ``result`` is the
    partial result, when the profile is refused or cannot be applied.
    """
    state = params.get("state") or "present"
    name, path, state_dir, problems = _validate_common(params)
    result = _empty_result(name, path, state)
    if problems:
        raise ProfileError(str(SysctlInputError(problems)), result)
    job = Job(params, result, name=name, path=path, state_dir=_dropin.host_path(state_dir, root), proc=proc,
              root=root, check_mode=check_mode, diff=diff, writer=writer, reader=reader,
              run_command=run_command, which=which)
    try:
        if state == "absent":
            return run_absent(job)
        return run_present(job)
    except ProfileError:
        raise
    except NetfleetError as error:
        # Lock timeouts, unusable records, drop-ins that are not ours; the partial result says what changed.
        raise ProfileError(str(error), result)
