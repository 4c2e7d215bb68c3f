# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions raised by netfleet.tcp's module_utils.

PRIVATE: this module is internal to the netfleet.tcp collection and may change
without notice. Modules catch NetfleetError at their edge and turn it into one
fail_json call; nothing below raises anything else on purpose.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class NetfleetError(Exception):
    """Base class of every error this collection raises on purpose."""


class SysctlInputError(NetfleetError, ValueError):
    """One or more sysctl keys or values given by the user are invalid.

    ``problems`` is a list of ``(key, reason)`` pairs so that the message can name
    every offending key at once, not just the first one met.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        lines = ["%s: %s" % (key, reason) for key, reason in self.problems]
        super(SysctlInputError, self).__init__(
            "invalid sysctl input (%d problem%s): %s"
            % (len(lines), "" if len(lines) == 1 else "s", "; ".join(lines))
        )


class SysctlReadError(NetfleetError):
    """A sysctl exists but could not be read (permission, I/O error)."""


class SysctlWriteError(NetfleetError):
    """The kernel refused a value written to /proc/sys."""

    def __init__(self, key, value, error):
        self.key = key
        self.value = value
        self.errno = getattr(error, "errno", None)
        self.strerror = getattr(error, "strerror", None) or str(error)
        super(SysctlWriteError, self).__init__(
            "the kernel refused %s=%r: %s" % (key, value, self.strerror)
        )


class ParseError(NetfleetError, ValueError):
    """Input read from a host (a /proc file, a netlink reply, a sysctl.conf) is malformed."""

    def __init__(self, source, reason):
        self.source = source
        self.reason = reason
        super(ParseError, self).__init__("%s: %s" % (source, reason))


class ProfileError(NetfleetError, ValueError):
    """A profile cannot be rendered, or was refused or could not be applied.

    ``result`` is sysctl_profile's partial result (what happened before the failure);
    None when a profile could not even be rendered.
    """

    def __init__(self, message, result=None):
        self.result = result
        super(ProfileError, self).__init__(message)
