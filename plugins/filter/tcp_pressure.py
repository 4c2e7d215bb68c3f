# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.tcp_pressure: ratios and verdicts from tcp_state facts (docs: tcp_pressure.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import plain
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import filter_error
from ansible_collections.netfleet.tcp.plugins.plugin_utils._tcp_pressure import (
    PressureInputError,
    tcp_pressure as _tcp_pressure,
)


def tcp_pressure_filter(facts, thresholds=None):
    """Judge one host's ansible_facts.tcp_state against the kernel's limits."""
    try:
        return _tcp_pressure(plain(facts), plain(thresholds))
    except PressureInputError as error:
        raise filter_error("tcp_pressure", error)


class FilterModule(object):

    def filters(self):
        return {"tcp_pressure": tcp_pressure_filter}
