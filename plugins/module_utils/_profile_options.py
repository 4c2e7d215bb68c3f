# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of every module that applies a sysctl profile: one argument-spec piece.

PRIVATE: internal to the netfleet.tcp collection. sysctl_profile and tcp_tuning both
build their argument spec with ``profile_options()``; their documentation is the
``netfleet.tcp.profile_apply`` doc fragment (plugins/doc_fragments/profile_apply.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

NAMES = ("state", "persist", "path", "missing", "take_over", "nat_facing", "fail_on", "state_dir", "lock_timeout")


def profile_options(missing="fail"):
    """The shared options as argument-spec entries; ``missing`` is the default of O(missing)."""
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        persist=dict(type="bool", default=True),
        path=dict(type="str"),
        missing=dict(type="str", choices=["fail", "skip"], default=missing),
        take_over=dict(type="list", elements="str", default=[]),
        nat_facing=dict(type="str", choices=["auto", "true", "false"], default="auto"),
        fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
        state_dir=dict(type="str", default="/var/lib/netfleet-tcp"),
        lock_timeout=dict(type="int", default=60),
    )
