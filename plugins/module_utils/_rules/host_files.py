# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host file rule: a file in a sysctl.d directory that is not read (not a regular file, too large, no access).

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import Rule, finding, register

register(Rule(
    "persisted-unreadable", "warning", "A sysctl.d file that is not read",
    "A *.conf file in a sysctl.d directory (or /etc/sysctl.conf) that is not a regular file or a link to one "
    "(a FIFO, a device such as /dev/zero, a socket), is larger than the read limit, or cannot be opened. "
    "Such files are never read, so no run waits on a FIFO or reads a device without end; systemd-sysctl "
    "skips or fails on them at boot too, so whatever they were meant to set is not set.",
    family="persisted",
    remediation="Replace the file with a regular file holding 'key = value' lines, or remove it."))


def unreadable_findings(resolution):
    """One finding per file of the boot configuration that could not be read, naming the file."""
    return [finding("persisted-unreadable", None, None, "%s could not be read: %s." % (item["file"], item["error"]))
            for item in resolution.get("unreadable") or []]
