# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Old role variable names and tags that keep working for one release, with a deprecation warning.

PRIVATE: internal to the netfleet.tcp collection. Controller-side only (the
netfleet.tcp.role_var_aliases lookup calls it); plain functions.
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


def find_aliases(names, new_prefix, old_prefix, also=None):
    """``{old name: new name}`` for the old names among ``names`` (the variables that are set).

    A new name is ``new_prefix`` + suffix and its old name ``old_prefix`` + the same suffix;
    only new names present in ``names`` (a role's defaults always are) count, so unrelated
    variables that merely share the old prefix are left alone. ``also`` adds explicit
    ``{old: new}`` pairs (for names that are not role variables, such as a playbook's).
    """
    names = set(names)
    found = {}
    for name in names:
        if name.startswith(new_prefix) and len(name) > len(new_prefix):
            old = old_prefix + name[len(new_prefix):]
            if old in names and old != name:
                found[old] = name
    for old, new in (also or {}).items():
        if old in names:
            found[old] = new
    return found


def resolve_aliases(aliases, defaults, lookup, role, removed_in):
    """Which new names take their value from an old name, and the warnings to show.

    ``aliases`` maps old name -> new name, ``defaults`` new name -> its role default and
    ``lookup(name)`` returns a variable's value (or raises KeyError when it is not set). An old
    name that is set gives its value to the new name unless the new name was set to something
    other than its default and the old value (then the new name wins and the old one is
    reported as ignored). Returns ({new name: value}, [warning, ...]).
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
        if current is _MISSING or (default is not _MISSING and current == default) or current == value:
            values[new] = value
            warnings.append("%s: the variable %s is deprecated and works until netfleet.tcp %s; rename it to %s"
                            % (role, old, removed_in, new))
        else:
            warnings.append("%s: the deprecated variable %s is ignored because %s is set too; remove %s"
                            % (role, old, new, old))
    return values, warnings


def tag_warnings(run_tags, skip_tags, tags, role, removed_in):
    """Warnings for the old tags (keys of ``tags``, old -> new) that a run selects or skips."""
    used = set(run_tags or []) | set(skip_tags or [])
    return ["%s: the tag %s is deprecated and works until netfleet.tcp %s; use %s"
            % (role, old, removed_in, tags[old]) for old in sorted(tags) if old in used]


def renamed_role_warning(old_role, role, removed_in):
    """The warning for a play that uses a role's old name."""
    return ("the role %s is deprecated and works until netfleet.tcp %s; use %s, whose variables, facts and tags "
            "carry the tcp_ prefix (the old names work until then, each with a warning)" % (old_role, removed_in, role))


def _get(lookup, name):
    try:
        return lookup(name)
    except KeyError:
        return _MISSING
