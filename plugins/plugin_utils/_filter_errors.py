# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error messages of the collection's filters, with the input they echo kept short.

PRIVATE: internal to the netfleet.tcp collection. Controller-side code shared by every
filter plugin and the plugin_utils behind them.

A filter that names the bad value it was given helps; one that repeats a 200 KB
string (a whole file passed where a key belongs, a registered result where a
number belongs) buries the one line that says what is wrong and fills the log of
every host. ``short_repr`` and ``clip`` cut an echoed value to ``MAX_ECHO``
characters and say how much was left out; ``filter_error`` builds the
AnsibleFilterError, capping the whole message at ``MAX_MESSAGE`` characters as a
last resort for text that comes from deeper down.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

MAX_ECHO = 200
MAX_MESSAGE = 1000
# Longer than an echo clip() already cut (MAX_ECHO characters and "...").
_LONG_WORD = re.compile(r"\S{%d,}" % (MAX_ECHO + 10))


# A whole number written out, as ansible-core before 2.19 passes a templated number.
_WHOLE_NUMBER = re.compile(r"[0-9]+")


def whole_number(value):
    """``value`` as an int when it is the text of a whole number, else ``value`` unchanged.

    Before 2.19, ansible-core templates a variable defined as ``"{{ ... }}"`` (a role's
    internal variables are) to text: a role default of ``5`` reaches a filter as ``'5'``.
    Filters taking a count pass it through here and then check it as they always do, so
    ``'5'`` means 5 on every version while ``'five'``, ``'5.0'``, ``True`` or ``0`` are
    still refused.
    """
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return value


def clip(text, limit=MAX_ECHO):
    """``text`` (made a string) cut to ``limit`` characters, saying how many were left out."""
    text = text if isinstance(text, str) else str(text)
    if len(text) <= limit:
        return text
    return "%s... (%d more characters)" % (text[:limit], len(text) - limit)


def short_repr(value, limit=MAX_ECHO):
    """``repr(value)`` cut to ``limit`` characters, for messages that quote what they were given."""
    try:
        text = repr(value)
    except Exception:  # pylint: disable=broad-except
        text = "<%s>" % type(value).__name__
    return clip(text, limit)


def elide(text, *values):
    """``text`` with every long echo of ``values`` (their repr or text, list items too) cut short.

    For reasons written deeper down (module_utils) that quote the value they judged:
    the explanation around the value stays whole, the value shrinks to ``MAX_ECHO``
    characters, and so does any word longer than that.
    """
    text = text if isinstance(text, str) else str(text)
    pending = list(values)
    seen = 0
    while pending and seen < 1000:
        value = pending.pop()
        seen += 1
        if isinstance(value, (list, tuple)):
            pending.extend(value)
        for form in (repr(value), str(value)):
            if len(form) > MAX_ECHO and form in text:
                text = text.replace(form, clip(form))
    # What remains of a value in another form (normalised, unquoted) is one long word.
    return _LONG_WORD.sub(lambda match: clip(match.group(0)), text)


def filter_error(prefix, message):
    """AnsibleFilterError ``"<prefix>: <message>"``, the message capped at ``MAX_MESSAGE`` characters."""
    return AnsibleFilterError("%s: %s" % (prefix, clip(message, MAX_MESSAGE)))
