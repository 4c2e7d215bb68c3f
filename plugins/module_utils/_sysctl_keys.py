# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sysctl key names and values: validation, normalisation and /proc/sys access.

PRIVATE: internal to the netfleet.tcp collection.

Everything that turns user input into a /proc/sys path or into a line of a
sysctl.d file goes through this module, so the rules that keep a key name from
becoming a path and a value from becoming a second line live in one place.
Every reader and writer takes a ``root`` so tests can point it at a fake tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import (
    SysctlInputError,
    SysctlReadError,
    SysctlWriteError,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import as_text, canonical
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import normalize_text
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import (
    LONG_MIN,
    ULONG_MAX,
    KernelReadError,
)

PROC_SYS = "/proc/sys"
MAX_KEY_LENGTH = 255
MAX_VALUE_LENGTH = 4096

# \Z, not $: "$" also matches before a trailing newline ("tcp_fin_timeout\n").
_COMPONENT = re.compile(r"^[a-z0-9_-]+\Z")
# An interface name as the kernel shows it under conf/ and neigh/; a dot in the
# interface name is written as "/" in the dotted key (eth0.100 -> eth0/100).
_INTERFACE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\Z")
# Prefixes whose next component is an interface name.
_INTERFACE_PARENTS = (
    ("net", "ipv4", "conf"),
    ("net", "ipv6", "conf"),
    ("net", "ipv4", "neigh"),
    ("net", "ipv6", "neigh"),
    ("net", "mpls", "conf"),
)
_FORBIDDEN_VALUE_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f=#'\"\\]")
_BOOLEAN_WORDS = frozenset(["yes", "no", "on", "off", "true", "false", "y", "n"])


def key_problem(key):
    """Return why ``key`` is not an acceptable sysctl name, or None if it is."""
    if not isinstance(key, str):
        return "key must be a string, got %s" % type(key).__name__
    if not key:
        return "key is empty"
    if len(key) > MAX_KEY_LENGTH:
        return "key is longer than %d characters" % MAX_KEY_LENGTH
    if key.startswith("/") or key.startswith("."):
        return "key must be a dotted sysctl name such as net.ipv4.tcp_fin_timeout, not a path"
    if key.startswith("-"):
        return "key must not start with '-': in a sysctl.d file that means 'ignore errors', not part of the name"
    parts = key.split(".")
    for index, part in enumerate(parts):
        if part == "":
            return "key has an empty component ('..' or a trailing dot)"
        is_interface = index == 3 and tuple(parts[:3]) in _INTERFACE_PARENTS
        if is_interface:
            if not _INTERFACE.match(part):
                return "interface component %r has characters a sysctl name cannot have" % part
        elif "/" in part:
            return "'/' is only allowed in an interface name under net.*.conf or net.*.neigh"
        elif not _COMPONENT.match(part):
            return "component %r may only hold lowercase letters, digits, '_' and '-'" % part
    if len(parts) < 2:
        return "key must have at least two dotted components"
    return None


def validate_key(key):
    """Return ``key`` unchanged when valid, else raise SysctlInputError."""
    problem = key_problem(key)
    if problem:
        raise SysctlInputError([(key if isinstance(key, str) else repr(key), problem)])
    return key


def key_to_path(key, root=PROC_SYS):
    """Map a validated dotted key to its file under ``root``.

    Raises SysctlInputError if the key is invalid or the resolved path leaves ``root``
    (for example through a symbolic link planted in a fake tree).
    """
    validate_key(key)
    relative = [part.replace("/", ".") for part in key.split(".")]
    path = os.path.join(root, *relative)
    real_root = os.path.realpath(root)
    real_path = os.path.realpath(path)
    if not real_path.startswith(real_root.rstrip("/") + "/"):
        raise SysctlInputError([(key, "resolves outside %s" % root)])
    return path


def path_to_key(relative_path):
    """Map a path relative to /proc/sys (net/ipv4/conf/eth0.1/rp_filter) to its dotted key."""
    return ".".join(part.replace(".", "/") for part in relative_path.strip("/").split("/"))


def value_problem(value):
    """Return why ``value`` cannot be written as a sysctl value, or None.

    Accepted: an int, a str, or a non-empty list of ints and strs (multi-value keys).
    """
    if isinstance(value, bool):
        return "YAML boolean %r is not a sysctl value; write 1 or 0 explicitly" % value
    if value is None:
        return "value is empty (null)"
    if isinstance(value, float):
        return "float %r is not a sysctl value; sysctls take integers or strings" % value
    if isinstance(value, int):
        if value < LONG_MIN or value > ULONG_MAX:
            return "integer %d does not fit in a kernel integer" % value
        return None
    if isinstance(value, (list, tuple)):
        if not value:
            return "list value is empty"
        for item in value:
            if isinstance(item, (list, tuple, dict)):
                return "list items must be integers or strings, not %s" % type(item).__name__
            problem = value_problem(item)
            if problem:
                return "list item %r: %s" % (item, problem)
        return None
    if not isinstance(value, str):
        return "value must be an integer, a string or a list, not %s" % type(value).__name__
    if len(value) > MAX_VALUE_LENGTH:
        return "value is longer than %d characters" % MAX_VALUE_LENGTH
    bad = _FORBIDDEN_VALUE_CHARS.search(value)
    if bad:
        return "value contains %r, which a sysctl value must never contain" % bad.group(0)
    stripped = normalize_text(value)
    if not stripped:
        return "value is empty"
    if stripped.lower() in _BOOLEAN_WORDS:
        return "%r reads as a boolean; write 1 or 0 explicitly" % value
    for token in stripped.split(" "):
        if re.match(r"^-?[0-9]+$", token):
            number = int(token)
            if number < LONG_MIN or number > ULONG_MAX:
                return "integer %s does not fit in a kernel integer" % token
    return None


def normalize_value(value, key=None):
    """The text written and persisted for a validated value: the value model's canonical form.

    ``[4096, "87380", 6291456]`` and ``"4096\\t87380  6291456"`` both become
    ``"4096 87380 6291456"``; ``0x1e`` becomes ``30``; a port list of ``key`` is printed
    as the kernel prints it. Text the kernel would refuse keeps its words, white space
    collapsed (the catalog's shape check reports it). Raises SysctlInputError for
    unacceptable values.
    """
    problem = value_problem(value)
    if problem:
        raise SysctlInputError([("<value>", problem)])
    try:
        return canonical(key, value)
    except KernelReadError:
        return normalize_text(as_text(key, value))


def read_value(key, root=PROC_SYS):
    """Read a sysctl's live value, normalised; None when the key does not exist here.

    A key can be absent on this kernel (tcp_tw_recycle since 4.12) or in this network
    namespace (tcp_mem outside the initial one). Unreadable keys raise SysctlReadError.
    """
    path = key_to_path(key, root)
    try:
        with open(path, "r") as handle:
            return normalize_text(handle.read())
    except (IOError, OSError) as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise SysctlReadError("cannot read %s (%s): %s" % (key, path, error.strerror or error))


def write_value(key, text, root=PROC_SYS):
    """Write one normalised value to /proc/sys in a single write call.

    Raises SysctlWriteError carrying the kernel's errno (EINVAL for a value out of
    range, EROFS for a read-only /proc/sys, ENOENT for a missing key).
    """
    path = key_to_path(key, root)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    except (IOError, OSError) as error:
        raise SysctlWriteError(key, text, error)
    try:
        os.write(fd, (text + "\n").encode("ascii"))
    except (IOError, OSError) as error:
        raise SysctlWriteError(key, text, error)
    finally:
        os.close(fd)
