# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tcp.sysctl_diff, to_sysctl_conf and from_sysctl_conf (docs: one sidecar YAML each)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils import _catalog, _sysctl_conf
from ansible_collections.netfleet.tcp.plugins.module_utils._errors import SysctlInputError
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import key_problem, normalize_value
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import (
    bound_satisfied,
    bound_text,
    equivalent,
    normalize_text,
    parse_bound,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._validate import value_refusal
from ansible_collections.netfleet.tcp.plugins.plugin_utils._filter_errors import clip, elide, filter_error, short_repr

# One problem's share of an error message: every reason the validation words fits (the
# longest is about 250 characters); a huge value echoed in it does not.
MAX_PROBLEM = 500


def _plain(value):
    """Ansible's tagged and unsafe strings, lists and dicts as plain Python values."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "items"):
        return dict((_plain(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _mapping(value, name, what):
    value = _plain(value)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise filter_error(name, "%s must be a mapping of sysctl keys to values, not %s"
                           % (what, type(value).__name__))
    return value


def _current_values(current):
    """Accept ``{key: value}`` or a sysctl_check result (its ``keys[*].live``)."""
    if isinstance(current.get("keys"), dict) and isinstance(current.get("findings"), list):
        return dict((key, (info or {}).get("live")) for key, info in current["keys"].items())
    return current


def _label(key):
    """A key as a message names it: the text itself, cut short when it is huge."""
    return clip(key) if isinstance(key, str) else short_repr(key)


def _file_key_problem(key):
    """key_problem, allowing the glob characters a sysctl.d file may use in a key."""
    if isinstance(key, str) and any(char in key for char in "*?[]"):
        key = "".join("x" if char in "*?[]" else char for char in key)
    return key_problem(key)


def _text(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " ".join(normalize_text(str(item)) for item in value)
    return normalize_text(str(value))


def sysctl_diff(current, desired):
    """What would change to bring ``current`` to ``desired``, after normalising whitespace."""
    current = _current_values(_mapping(current, "sysctl_diff", "the input (current values)"))
    desired = _mapping(desired, "sysctl_diff", "desired")
    problems = []
    changes, unchanged, absent = {}, [], []
    for key in sorted(desired, key=str):
        value = desired[key]
        problem = key_problem(key)
        if problem:
            problems.append("%s: %s" % (_label(key), problem))
            continue
        bound = parse_bound(value)
        if bound is None:
            refusal = value_refusal(key, value)
            if refusal:
                problems.append("%s: %s" % (_label(key), clip(elide(refusal[1], value), MAX_PROBLEM)))
                continue
        now = _text(current.get(key))
        if now is None:
            absent.append(key)
        if bound is not None:
            wanted = bound_text(bound)
            same = now is not None and bound_satisfied(bound[0], bound[1], now)
        else:
            wanted = normalize_value(value, key)
            same = equivalent(key, now, wanted)
        if same:
            unchanged.append(key)
        else:
            changes[key] = {"current": now, "desired": wanted}
    if problems:
        raise filter_error("sysctl_diff", "; ".join(problems))
    return {"differs": bool(changes), "changes": changes, "unchanged": unchanged, "absent": absent}


def to_sysctl_conf(settings, header=None):
    """Render ``{key: value}`` (or from_sysctl_conf entries) as sysctl.d file text."""
    settings = _plain(settings)
    header = _plain(header)
    if isinstance(settings, list):
        entries = settings
    else:
        settings = _mapping(settings, "to_sysctl_conf", "the input")
        entries = [{"key": key, "value": settings[key], "kind": "assign"} for key in sorted(settings, key=str)]
    problems = []
    for entry in entries:
        if not isinstance(entry, dict):
            problems.append("entry %s is not a mapping" % short_repr(entry))
            continue
        key, value, kind = entry.get("key"), entry.get("value"), entry.get("kind", "assign")
        if kind == "invalid":
            continue
        problem = _file_key_problem(key) if kind == "assign" else None
        if problem:
            problems.append("%s: %s" % (_label(key), problem))
            continue
        if kind != "assign":
            continue
        if parse_bound(value) is not None:
            problems.append("%s: a bound (%s) cannot be written to a file; give the value itself"
                            % (_label(key), clip(value)))
            continue
        if value == "":
            # A blank value is valid file syntax (it clears ip_local_reserved_ports).
            problem = _catalog.shape_problem(key, "")
            if problem:
                problems.append("%s: %s" % (_label(key), problem))
            continue
        refusal = value_refusal(key, value)
        if refusal:
            problems.append("%s: %s" % (_label(key), clip(elide(refusal[1], value), MAX_PROBLEM)))
    if problems:
        raise filter_error("to_sysctl_conf", "; ".join(problems))
    if header is not None and not isinstance(header, (str, list)) or \
            isinstance(header, list) and not all(isinstance(line, str) for line in header):
        raise filter_error("to_sysctl_conf", "header must be a string or a list of lines (strings)")
    try:
        return _sysctl_conf.render(entries, header=header)
    except (ValueError, SysctlInputError) as error:
        raise filter_error("to_sysctl_conf", error)


# Room for the unreadable lines in one error message; the rest are counted, not dropped.
MAX_UNREADABLE_TEXT = 800


def _unreadable_message(problems):
    shown, used = [], 0
    for problem in problems:
        text = clip(problem, 200)
        if shown and used + len(text) > MAX_UNREADABLE_TEXT:
            break
        shown.append(text)
        used += len(text) + 2
    more = len(problems) - len(shown)
    return "%d line%s cannot be read as a sysctl setting: %s%s. Fix or delete %s, or pass entries=true to get " \
        "every line with its reason" % (
            len(problems), "" if len(problems) == 1 else "s", "; ".join(shown),
            "; and %d more" % more if more else "", "it" if len(problems) == 1 else "them")


def from_sysctl_conf(text, entries=False, form="file"):
    """Parse sysctl.conf text (or a pasted list) into ``{key: value}`` (last assignment wins) or its entries.

    A line that cannot be read is never dropped: the mapping form refuses the text, naming
    every such line; ``entries=true`` returns it as an ``invalid`` entry with its reason.
    """
    text = _plain(text)
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise filter_error("from_sysctl_conf", "the input must be the text of a file, not %s"
                           % type(text).__name__)
    form = _plain(form)
    if form not in _sysctl_conf.FORMS:
        raise filter_error("from_sysctl_conf", "form must be one of %s, not %s"
                           % (", ".join(_sysctl_conf.FORMS), short_repr(form)))
    parsed = _sysctl_conf.parse(text, "<input>", form=form)
    if entries:
        return [dict((name, item) for name, item in entry.items() if name != "source") for entry in parsed]
    problems = _sysctl_conf.unreadable(parsed)
    if problems:
        raise filter_error("from_sysctl_conf", _unreadable_message(problems))
    result = {}
    for entry in parsed:
        if entry["kind"] == "assign":
            result.pop(entry["key"], None)
            result[entry["key"]] = entry["value"]
    return result


class FilterModule(object):

    def filters(self):
        return {
            "sysctl_diff": sysctl_diff,
            "to_sysctl_conf": to_sysctl_conf,
            "from_sysctl_conf": from_sysctl_conf,
        }
