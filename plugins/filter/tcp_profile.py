# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render a tuning profile for one host; documented in the sidecar YAML files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles import plan, render


def tcp_profile(host, profile, group_overrides=None, host_overrides=None):
    """Settings ``{key: value}`` of ``profile`` for the host described by ``host``."""
    try:
        return render(host, profile, group_overrides, host_overrides)
    except NetfleetError as error:
        raise AnsibleFilterError("netfleet.tcp.tcp_profile: %s" % error)


def tcp_profile_plan(host, profile, group_overrides=None, host_overrides=None):
    """Like tcp_profile, as a list of ``{key, value, source, reason, formula}``."""
    try:
        return plan(host, profile, group_overrides, host_overrides)
    except NetfleetError as error:
        raise AnsibleFilterError("netfleet.tcp.tcp_profile_plan: %s" % error)


class FilterModule(object):
    """Tuning profile filters."""

    def filters(self):
        return {
            "tcp_profile": tcp_profile,
            "tcp_profile_plan": tcp_profile_plan,
        }
