# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render a tuning profile for one host, guard it and report on it.

Documented in one sidecar YAML file per filter. Glue only: rendering is
module_utils/_profiles, the guard, report and verify are module_utils/_tcp_tuning
(which the tcp_tuning module runs on the host);
this file turns their errors into AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import plan, render_profile
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import clip, filter_error
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_tuning import guard, report, verify


def _error(name, error):
    return filter_error("netfleet.tcp.%s" % name, error)


def _edge(name, function):
    """``function`` as a filter: anything a malformed input makes Python raise becomes one AnsibleFilterError."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except AnsibleFilterError:
            raise
        except NetfleetError as error:
            raise _error(name, error)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as error:
            raise _error(name, "malformed input (%s: %s); pass the registered results and "
                               "values this filter documents" % (type(error).__name__, clip(error)))
    wrapper.__name__ = name
    return wrapper


tcp_profile = _edge("tcp_profile", render_profile)
tcp_profile_plan = _edge("tcp_profile_plan", plan)
tcp_profile_findings = _edge("tcp_profile_findings", guard.findings_lines)
tcp_profile_guard = _edge("tcp_profile_guard", guard.guard)
tcp_profile_report = _edge("tcp_profile_report", report.report)
tcp_profile_verify = _edge("tcp_profile_verify", verify.verify)


class FilterModule(object):
    """Tuning profile filters."""

    def filters(self):
        return {
            "tcp_profile": tcp_profile,
            "tcp_profile_plan": tcp_profile_plan,
            "tcp_profile_findings": tcp_profile_findings,
            "tcp_profile_guard": tcp_profile_guard,
            "tcp_profile_report": tcp_profile_report,
            "tcp_profile_verify": tcp_profile_verify,
        }
