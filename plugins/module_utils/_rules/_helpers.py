# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers the rules' checks share: values read through the value model, message text.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules import _boot
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import INTEGERS, parse_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError


def short(key):
    """``net.ipv4.tcp_fin_timeout`` -> ``tcp_fin_timeout`` for messages."""
    return key.rsplit(".", 1)[-1]


def human_bytes(number):
    """``25283886080`` -> ``"23.5 GiB"``."""
    value = float(number)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            if unit == "bytes":
                return "%d bytes" % number
            return "%.1f %s" % (value, unit)
        value /= 1024.0
    return "%d bytes" % number  # pragma: no cover


def parsed(key, text):
    if text is None:
        return None
    try:
        return parse_value(key, text)
    except KernelReadError:
        return None


def ints(values, key, size=None):
    value = parsed(key, values.get(key))
    if value is None or value.kind != INTEGERS or (size is not None and len(value.items) != size):
        return None
    return list(value.items)


def integer(values, key):
    numbers = ints(values, key, 1)
    return numbers[0] if numbers else None


def positive_int(context, field):
    value = (context or {}).get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def count(context, field):
    value = (context or {}).get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def unprivileged_start(values, context):
    """``(port, where)``: the first unprivileged port the kernel enforces here, and where it comes from.

    The value the list or the host gives net.ipv4.ip_unprivileged_port_start (4548b683b781,
    4.11); ``(None, ...)`` on an older kernel, which has no such check (PROT_SOCK, 1024, only
    guards bind()). A host whose value cannot be read counts as the default 1024.
    """
    number = integer(values, "net.ipv4.ip_unprivileged_port_start")
    if number is not None:
        return number, "ip_unprivileged_port_start is %d here" % number
    kernel = _boot.version(context)
    if kernel and not _boot.at_least(kernel, 4, 11):
        return None, "Linux %d.%d has no ip_unprivileged_port_start (added in 4.11)" % kernel
    return 1024, "ip_unprivileged_port_start is 1024 (its default)"
