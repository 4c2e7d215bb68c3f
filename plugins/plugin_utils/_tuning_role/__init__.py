# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuning role's decisions on the controller: guard, report, verify.

PRIVATE: internal to the netfleet.tcp collection. Controller-only (plugin_utils);
the tcp_profile_* filters call these and add nothing but error handling.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
