# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcp_tuning's engine: a whole tuning run on the host, in one module execution.

PRIVATE: internal to the netfleet.tcp collection.

``run_tuning()`` (in ``_run``) orchestrates the existing engines in the order the
tuning role promises, each phase only when asked and only after the one before passed:

1. read the host's context with the sysctl_check engine and render the profile here,
   where the facts are (memory, page size, listening ports, kernel, namespace);
2. validate: judge the wanted settings with the shared rules (``guard.findings_lines``);
3. guard: refuse what the guards forbid (``guard.guard``); a refusal ends the run
   before anything changes;
4. apply: one call of the sysctl_profile engine (a prediction under check mode);
5. verify: re-read the values with the sysctl_check engine (``verify.verify``);

and returns what the role prints: the findings, the refusals, the per-key report
(``report.report``), the mismatches and one summary line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning._run import PHASES, Host, run_tuning  # noqa: F401
