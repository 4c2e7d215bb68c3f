# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl value model: one reading of a value, the kernel's.

PRIVATE: internal to the netfleet.tcp collection.

* ``_kernel``     how the kernel's proc handlers read text written to /proc/sys
                  (integers with base prefixes, vectors, port bitmaps) and its limits;
* ``_canonical``  a value parsed once per key into a typed form, and the one text
                  form written to /proc/sys and to sysctl.d files;
* ``_compare``    ``equivalent()`` and the ``>=N`` / ``<=N`` bounds, the only
                  comparison sysctl_check, sysctl_profile, the roles and the audit
                  report use.

The package itself imports nothing, so the catalog data can import the kernel's
limits from ``_kernel`` without a cycle.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
