# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_check's engine: read the values, judge them with every rule, report.

PRIVATE: internal to the netfleet.tcp collection.

``run_check()`` (in ``_run``) is the whole read-only check; the module gates its
findings with the one ``fail_on`` gate, _rules.should_fail(). The host context comes from _rule_context, the rules
from _rules, the boot configuration from _sysctl_conf.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_check._run import run_check  # noqa: F401
