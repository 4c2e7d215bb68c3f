# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Old role variable names that keep working for one release, with a deprecation warning.

PRIVATE: internal to the netfleet.tcp collection. Controller-side only (the
netfleet.tcp.role_var_aliases action calls it); plain functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_MISSING = object()


class AliasInputError(ValueError):
    """The aliases table itself is wrong."""


def _check_table(aliases, defaults):
    if not isinstance(aliases, dict):
        raise AliasInputError("aliases must be a mapping of old variable name to new name")
    if not isinstance(defaults, dict):
        raise AliasInputError("defaults must be a mapping of new variable name to its role default")
    for old, new in aliases.items():
        if not isinstance(old, str) or not isinstance(new, str) or not old or not new or old == new:
            raise AliasInputError("aliases: %r -> %r is not a rename from one variable name to another" % (old, new))


def resolve_aliases(aliases, defaults, lookup, role, removed_in):
    """Which new names take their value from an old name, and the warnings to show.

    ``aliases`` maps old name -> new name, ``defaults`` new name -> its role default and
    ``lookup(name)`` returns a variable's value (or raises KeyError when it is not set). An old
    name that is set gives its value to the new name unless the new name was set to something
    other than its default (then the new name wins and the old one is reported as ignored).
    Returns ({new name: value}, [warning, ...]).
    """
    _check_table(aliases, defaults)
    values, warnings = {}, []
    for old in sorted(aliases):
        new = aliases[old]
        try:
            value = lookup(old)
        except KeyError:
            continue
        current = _get(lookup, new)
        default = defaults.get(new, _MISSING)
        if current is _MISSING or (default is not _MISSING and current == default):
            values[new] = value
            warnings.append("%s: the variable %s is deprecated and stops working in netfleet.tcp %s; "
                            "rename it to %s (its value is used this time)" % (role, old, removed_in, new))
        elif current != value:
            warnings.append("%s: the deprecated variable %s is ignored because %s is set too; remove %s"
                            % (role, old, new, old))
        else:
            warnings.append("%s: the variable %s is deprecated and stops working in netfleet.tcp %s; "
                            "remove it, %s holds the same value" % (role, old, removed_in, new))
    return values, warnings


def renamed_role_warning(old_role, role, removed_in):
    """The warning for a play that uses a role's old name."""
    return ("the role %s is deprecated and stops working in netfleet.tcp %s; use %s (its variables, "
            "facts and tags carry the tcp_ prefix; the old names work until then)" % (old_role, removed_in, role))


def _get(lookup, name):
    try:
        return lookup(name)
    except KeyError:
        return _MISSING
