# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tuning profiles as data: which keys each profile sets, to what, and why.

PRIVATE: internal to the netfleet.tcp collection.

Data beside logic: ``_data`` holds the profiles, ``_formulas`` the host-dependent
values, ``_render`` the merge and the descriptions.

A profile is a list of entries ``{key, value | formula, reason}``. ``value`` is a
literal (an integer, a multi-value string, or a bound such as ``">=8192"`` that keeps
a live value already beyond it). ``formula`` names a function of the host context
(memory, page size, listening ports, kernel version) that computes the value per
host, so nothing that depends on the host is ever hard-coded.

``render()`` turns a profile plus group and host overrides into the settings one
host should get; ``describe_profiles()`` lists every profile with its keys, values
or formulas and reasons for the documentation.

Keys that only exist in the initial network namespace (tcp_mem, tcp_max_orphans,
netdev_max_backlog) stay in the rendered settings: whether an absent key is skipped
or fails the run is the caller's missing-key policy, never the profile's choice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import ProfileError  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles._data import NO_PROFILE, PROFILES  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles._formulas import (  # noqa: F401
    FORMULAS,
    kernel_ehash_entries,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._profiles._render import (  # noqa: F401
    describe_profiles,
    get_profile,
    plan,
    profile_names,
    render_profile,
    split_host,
)
