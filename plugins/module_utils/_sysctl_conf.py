# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl.conf and sysctl.d files: parse, render, and resolve what wins at boot.

PRIVATE: internal to the netfleet.tcp collection.

File format (sysctl.d(5)): one ``key = value`` per line; blank lines and lines
whose first non-blank character is ``#`` or ``;`` are comments; a leading ``-``
means "ignore errors when writing this key"; a key may use ``/`` instead of ``.``
as separator (when the first separator is ``/``, dots inside stay part of the
name, as in ``net/ipv4/conf/eth0.100/rp_filter``); a key may be a glob
(``net.ipv4.conf.*.rp_filter``), and ``-pattern`` without ``=`` excludes a key
from the globs. Neither systemd-sysctl nor the kernel removes quotes. A comment
after a value (``= 30  # half a minute``, ``= 30 // ...``) reaches the kernel with
the value; integer handlers (proc_dointvec and friends) read the leading numbers and
stop at the first character they do not expect, so the value applies: ``parse``
keeps the numbers before the comment and the comment in ``comment`` (a string
value, such as kernel.core_pattern, keeps the whole text: the kernel takes it all).

Pasted lists (``form="paste"``) are read the way people publish them as well:
``sysctl -w key=value`` and ``sysctl key=value`` shell lines (shell quoting removed,
as the shell would; several assignments on one line each count, as procps sets each),
``echo value > /proc/sys/net/ipv4/key`` lines and ``key: value`` YAML-style lines.
Every line that is none of these is an ``invalid`` entry naming its line number and
why, so nothing a list says is dropped unseen.

Boot precedence (``resolve``):

* systemd-sysctl reads ``*.conf`` from /etc/sysctl.d, /run/sysctl.d,
  /usr/local/lib/sysctl.d and /usr/lib/sysctl.d. A file in an earlier directory
  masks a file of the same name in a later one (a link to /dev/null masks it
  entirely). All files are sorted by their name regardless of directory; the
  last assignment of a key wins; an explicit key wins over any glob.
  /etc/sysctl.conf is not read, unless a file in those directories links to it
  (Debian and Fedora ship /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf).
* procps ``sysctl --system`` reads the same files the same way and then
  /etc/sysctl.conf last. (It also reads /lib/sysctl.d, the same directory as
  /usr/lib/sysctl.d on merged-/usr systems; not modelled here.)

When the two leave a key with different values, ``resolve`` says so.
Every function takes a ``root`` so tests can point it at a fake tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fnmatch
import os
import re
import shlex

from ansible_collections.netfleet.tcp.plugins.module_utils._host_file import read_regular
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._canonical import as_text, canonical
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._compare import equivalent, normalize_text
from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_value._kernel import KernelReadError

SYSCTL_D_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")
SYSCTL_CONF = "/etc/sysctl.conf"
RUNTIME_DIR = "/run/sysctl.d"
GLOB_CHARS = "*?["
LONG_LINE_MAX = 1024 * 1024  # systemd-sysctl stops reading a file at a longer line
SYSTEMD = "systemd-sysctl"
PROCPS = "sysctl --system"


def dotted_key(raw):
    """A key as written in a file -> the dotted form (``net/ipv4/conf/eth0.100/x`` -> ``net.ipv4.conf.eth0/100.x``)."""
    raw = raw.strip()
    slash, dot = raw.find("/"), raw.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        return ".".join(part.replace(".", "/") for part in raw.strip("/").split("/"))
    return raw


def is_quoted(raw_value):
    """True when a value as written contains quote characters."""
    return '"' in raw_value or "'" in raw_value


# A comment after a value: "#" or "//" after white space.
_TRAILING_COMMENT = re.compile(r"\s+(#|//)(.*)$")
_NUMBERS = re.compile(r"^-?\d+(\s+-?\d+)*$")
# "sysctl [-w|-q|-e ...] key=value": options may be combined ("-qw") or repeated.
_SYSCTL_COMMAND = re.compile(r"^(?:sudo\s+)?(?:/s?bin/|/usr/s?bin/)?sysctl((?:\s+-[a-zA-Z]+)*)\s+(\S.*)$")
# "echo value > /proc/sys/net/ipv4/key", the other way lists set a key from a shell.
_ECHO_COMMAND = re.compile(r"^(?:sudo\s+)?echo\s+(?:-[neE]+\s+)?(.+?)\s*>>?\s*/proc/sys/(\S+)$")
# "key: value" as in a YAML mapping of sysctl settings.
_YAML_LINE = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.*/-]*)\s*:\s+(.*)$")
FORMS = ("file", "paste")


def split_comment(raw_value):
    """``(value, comment)``: a value as written, without a trailing ``#``/``//`` comment."""
    match = _TRAILING_COMMENT.search(raw_value)
    # Only after numbers: the kernel stops reading integers there, while a string key
    # (kernel.core_pattern) receives the whole text, "#" included.
    if not match or not _NUMBERS.match(raw_value[:match.start()].strip()):
        return raw_value, None
    return raw_value[:match.start()].rstrip(), match.group(0).strip()


def _unyaml(raw_value):
    """A YAML scalar's text: surrounding quotes removed."""
    if len(raw_value) >= 2 and raw_value[0] == raw_value[-1] and raw_value[0] in "\"'":
        return raw_value[1:-1]
    return raw_value


def _pasted_line(stripped):
    """``(bodies, form, problem)`` for a pasted line: the ``key=value`` texts a shell or YAML line holds."""
    command = _SYSCTL_COMMAND.match(stripped)
    if command:
        try:
            words = shlex.split(command.group(2), comments=True)
        except ValueError as error:
            return [], "sysctl-command", "cannot split it as a shell line (%s)" % error
        strays = [word for word in words if "=" not in word or word.startswith("-")]
        if not words or strays:
            return [], "sysctl-command", (
                "expected key=value words after sysctl, got %s" % (
                    ", ".join(repr(word) for word in strays) if strays else "none"))
        return words, "sysctl-command", None
    echo = _ECHO_COMMAND.match(stripped)
    if echo:
        try:
            words = shlex.split(echo.group(1), comments=False)
        except ValueError as error:
            return [], "echo", "cannot split it as a shell line (%s)" % error
        path = echo.group(2)
        if not words or any(char in path for char in GLOB_CHARS):
            return [], "echo", "expected 'echo VALUE > /proc/sys/KEY/PATH'"
        return ["%s=%s" % (path, " ".join(words))], "echo", None
    yaml_line = _YAML_LINE.match(stripped)
    if yaml_line and "=" not in stripped:
        value, comment = split_comment(yaml_line.group(2))
        return ["%s=%s" % (yaml_line.group(1), _unyaml(value.strip())) + (" " + comment if comment else "")], \
            "yaml", None
    return [stripped], "file", None


def parse(text, source="<string>", form="file"):
    """Parse the text of one sysctl.conf/sysctl.d file.

    Returns a list of entries, one per meaningful line, in file order::

        {"key", "value", "raw_key", "raw_value", "line", "source",
         "ignore_errors", "glob", "quoted", "kind", "reason"}

    ``kind`` is ``assign`` (``key = value``; value whitespace-normalised, may be ""),
    ``exclude`` (``-pattern`` with no ``=``: keeps a key out of the globs; value None)
    or ``invalid`` (not an assignment; ``reason`` says why). Comments and blank lines
    produce nothing. ``comment`` holds a comment written after the value (the value
    is what precedes it). ``form="paste"`` also reads ``sysctl -w key=value``,
    ``echo value > /proc/sys/...`` and ``key: value`` lines (``line_form`` says which
    form a line had; a sysctl line with several assignments gives one entry each).
    """
    if form not in FORMS:
        raise ValueError("form must be one of %s, not %r" % (", ".join(FORMS), form))
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > LONG_LINE_MAX // 4 and len(line.encode("utf-8", "replace")) > LONG_LINE_MAX:
            entries.append({"key": None, "value": None, "raw_key": None, "raw_value": None, "line": number,
                            "source": source, "ignore_errors": False, "glob": False, "quoted": False,
                            "kind": "invalid", "reason": "line %d is longer than 1 MiB: systemd-sysctl "
                                                         "stops reading the file there" % number,
                            "comment": None, "line_form": "file"})
            break
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        ignore = stripped.startswith("-")
        bodies, line_form = [stripped[1:].lstrip() if ignore else stripped], "file"
        if form == "paste" and not ignore:
            bodies, line_form, problem = _pasted_line(stripped)
            if problem:
                entry = _blank_entry(number, source, ignore, line_form)
                entry.update(kind="invalid", reason="line %d: %s: %r" % (number, problem, stripped))
                entries.append(entry)
                continue
        for body in bodies:
            entries.append(_entry_of(body, stripped, _blank_entry(number, source, ignore, line_form)))
    return entries


def _blank_entry(number, source, ignore, line_form):
    return {
        "key": None, "value": None, "raw_key": None, "raw_value": None, "line": number,
        "source": source, "ignore_errors": ignore, "glob": False, "quoted": False,
        "kind": "assign", "reason": None, "comment": None, "line_form": line_form,
    }


def _entry_of(body, stripped, entry):
    """Fill ``entry`` from one ``key = value`` body (or an exclusion, or why it is neither)."""
    number, ignore = entry["line"], entry["ignore_errors"]
    if "=" not in body:
        raw_key = body.strip()
        if ignore and raw_key and not any(char.isspace() for char in raw_key) and dotted_key(raw_key):
            entry.update(kind="exclude", raw_key=raw_key, key=dotted_key(raw_key),
                         glob=any(char in raw_key for char in GLOB_CHARS))
        else:
            entry.update(kind="invalid", raw_key=raw_key or None,
                         reason="line %d is not a 'key = value' assignment: %r" % (number, stripped))
        return entry
    raw_key, _sep, raw_value = body.partition("=")
    raw_key, raw_value = raw_key.strip(), raw_value.strip()
    raw_value, entry["comment"] = split_comment(raw_value)
    # A key of separators only ("/", "//") names nothing once the separators are dropped.
    if not raw_key or any(char.isspace() for char in raw_key) or not dotted_key(raw_key):
        entry.update(kind="invalid", raw_key=raw_key or None, raw_value=raw_value,
                     reason="line %d has no valid key before '=': %r" % (number, stripped))
        return entry
    entry.update(key=dotted_key(raw_key), raw_key=raw_key, raw_value=raw_value,
                 value=normalize_text(raw_value), quoted=is_quoted(raw_value),
                 glob=any(char in raw_key for char in GLOB_CHARS))
    return entry


def unreadable(entries):
    """The ``invalid`` entries' reasons, one per line that could not be read, in file order."""
    return [entry["reason"] for entry in entries if entry["kind"] == "invalid"]


def _render_value(key, value):
    """The value model's canonical text (``0x1e`` is written as ``30``), or the words as given."""
    if isinstance(value, bool):
        raise ValueError("YAML boolean %r is not a sysctl value; write 1 or 0" % value)
    if value is None or value == "":
        return ""
    try:
        return canonical(key, value)
    except KernelReadError:
        return normalize_text(as_text(key, value))


def render(entries, header=None):
    """Render entries (``parse`` output, or a ``{key: value}`` mapping) as file text.

    One ``key = value`` line per assignment (``-`` prefixed when ``ignore_errors``),
    ``-pattern`` for exclusions; invalid entries are dropped. ``header`` lines are
    written first as ``#`` comments. Values are written in the value model's canonical
    text (``00`` as ``0``, ``0x1e`` as ``30``), so ``parse(render(entries))`` gives back
    the same keys, flags and order, and values the kernel reads alike.
    """
    if isinstance(entries, dict):
        entries = [{"key": key, "value": value, "kind": "assign"} for key, value in sorted(entries.items())]
    lines = []
    for line in (header or "").splitlines() if isinstance(header, str) else (header or []):
        lines.append(("# " + line).rstrip())
    for entry in entries:
        kind = entry.get("kind", "assign")
        prefix = "-" if entry.get("ignore_errors") else ""
        if kind == "exclude":
            lines.append("-%s" % entry["key"])
        elif kind == "assign":
            if not entry.get("key"):
                raise ValueError("entry without a key: %r" % (entry,))
            value = _render_value(entry["key"], entry.get("value"))
            lines.append(("%s%s = %s" % (prefix, entry["key"], value)).rstrip())
    return "\n".join(lines) + "\n" if lines else ""


def parse_file(path, source=None):
    """Parse one file from disk; raises IOError/OSError when it cannot be read.

    Only regular files (links to them included) are read, non-blocking and size-capped
    (_host_file), so a FIFO or a link to /dev/zero named *.conf never hangs a run.
    """
    try:
        data = read_regular(path)
    except OSError as error:
        if error.errno != errno.EFBIG:
            raise
        # systemd-sysctl stops reading at a line over 1 MiB: a larger file is read
        # when such a line ends the reading within the first 2 MiB.
        try:
            data = read_regular(path, limit=2 * LONG_LINE_MAX + 2)
        except OSError:
            raise error
        entries = parse(data.decode("utf-8", "replace"), source or path)
        if not entries or entries[-1]["kind"] != "invalid" or "longer than 1 MiB" not in entries[-1]["reason"]:
            raise error
        return entries
    return parse(data.decode("utf-8", "replace"), source or path)


# ---------------------------------------------------------------------------
# Precedence

def _host(root, path):
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def _display(root, path):
    if root in ("", "/"):
        return path
    real_root = os.path.abspath(root).rstrip("/")
    absolute = os.path.abspath(path)
    if absolute.startswith(real_root + "/"):
        return absolute[len(real_root):]
    return path


def _is_dev_null(path):
    try:
        return os.path.realpath(path) == "/dev/null" or (os.path.islink(path) and os.readlink(path) == "/dev/null")
    except OSError:
        return False


def _link_target_in_root(root, path):
    """Where ``path`` points, as a path on the managed host (links resolved inside ``root``)."""
    current = path
    for _hop in range(20):
        if not os.path.islink(current):
            return _display(root, current)
        target = os.readlink(current)
        if target.startswith("/"):
            current = _host(root, target)
        else:
            current = os.path.normpath(os.path.join(os.path.dirname(current), target))
    return _display(root, current)


def list_files(root="/", dirs=SYSCTL_D_DIRS):
    """``(files, masked)``: the sysctl.d files systemd-sysctl reads, in boot order.

    ``files`` is ``[{"path", "host_path", "name", "dev_null"}]`` sorted by name;
    ``masked`` is ``[{"file", "masked_by"}]`` for same-named files in later directories.
    """
    chosen = {}
    masked = []
    for directory in dirs:
        real = _host(root, directory)
        try:
            names = sorted(os.listdir(real))
        except (IOError, OSError):
            continue
        for name in names:
            if not name.endswith(".conf") or name.startswith("."):
                continue  # hidden files are skipped, as systemd's conf-files.c does
            host_path = os.path.join(real, name)
            if os.path.isdir(host_path) and not os.path.islink(host_path):
                continue
            path = os.path.join(directory, name)
            if name in chosen:
                masked.append({"file": path, "masked_by": chosen[name]["path"]})
                continue
            chosen[name] = {"path": path, "host_path": host_path, "name": name, "dev_null": _is_dev_null(host_path)}
    files = [chosen[name] for name in sorted(chosen)]
    return files, masked


def _apply(entries, effective, assignments, globs, excluded, systemd=False):
    for entry in entries:
        if entry["kind"] == "exclude":
            excluded.append(entry)
            if systemd:  # systemd-sysctl drops an earlier assignment of the key; procps has written it
                effective.pop(entry["key"], None)
            continue
        if entry["kind"] != "assign":
            continue
        record = {"value": entry["value"], "file": entry["source"], "line": entry["line"],
                  "ignore_errors": entry["ignore_errors"], "quoted": entry["quoted"]}
        if entry["glob"]:
            same = [item for item in globs if item["pattern"] == entry["key"]]
            if systemd and same and same[-1]["value"] == entry["value"]:
                continue  # systemd-sysctl keeps the glob where it first was
            if systemd:
                globs[:] = [item for item in globs if item["pattern"] != entry["key"]]
            globs.append(dict(record, pattern=entry["key"]))
            continue
        if assignments is not None:
            assignments.setdefault(entry["key"], []).append(record)
        effective[entry["key"]] = record


def resolve(root="/", dirs=SYSCTL_D_DIRS, sysctl_conf=SYSCTL_CONF, overlay=None):
    """Work out what each loader applies at boot.

    ``overlay`` maps host paths to file text (or parsed entries) that replace or add
    files before resolving: how a caller asks "what if my drop-in were there?".

    Returns::

        sources           files systemd-sysctl applies, in order (masked and /dev/null ones left out)
        procps_sources    the same plus /etc/sysctl.conf last, as 'sysctl --system' applies them
        effective         {key: {value, file, line, ignore_errors, quoted}} systemd-sysctl's result
        procps_effective  the same for 'sysctl --system'
        assignments       {key: [every assignment in systemd-sysctl's order]}
        globs             [{pattern, value, file, line, ...}] glob assignments (explicit keys win over them)
        excluded          [{key, file, line}] '-pattern' exclusions
        masked            [{file, masked_by}]
        sysctl_conf       {path, exists, linked_as}
        disagreements     {key: {"systemd-sysctl": {value, file} or None, "sysctl --system": ...}}
        invalid           [{file, line, text, reason}] lines that are not assignments
        quoted            [{file, line, key, value}]
        unreadable        [{file, error}]
        notes             [str] what a reader should know, in words
    """
    overlay = dict(overlay or {})
    files, masked = _overlaid_files(root, dirs, overlay)
    conf_host = _host(root, sysctl_conf)
    conf_exists = os.path.isfile(conf_host) or sysctl_conf in overlay
    result = {
        "sources": [], "procps_sources": [], "effective": {}, "procps_effective": {}, "assignments": {},
        "globs": [], "excluded": [], "masked": masked, "invalid": [], "quoted": [], "unreadable": [],
        "disagreements": {}, "notes": [],
        "sysctl_conf": {"path": sysctl_conf, "exists": bool(conf_exists), "linked_as": None},
    }
    parsed, linked_as = _parse_sources(files, overlay, result, root, sysctl_conf if conf_exists else None)

    globs, excluded = [], []
    for path, entries in parsed:
        result["sources"].append(path)
        _apply(entries, result["effective"], result["assignments"], globs, excluded, systemd=True)
        _collect_problems(entries, result)
    result["globs"] = globs
    result["excluded"] = [{"key": entry["key"], "file": entry["source"], "line": entry["line"]} for entry in excluded]
    _resolve_procps(parsed, result, overlay, (sysctl_conf, conf_host) if conf_exists else None, linked_as)
    result["sysctl_conf"]["linked_as"] = linked_as
    _conf_notes(result, sysctl_conf, conf_exists, linked_as)
    _disagreements(result)
    return result


def _overlaid_files(root, dirs, overlay):
    """The files in ``dirs`` with the ``overlay`` laid over them, in boot order; and the masked ones."""
    files, masked = list_files(root, dirs)
    known = set(item["path"] for item in files)
    for item in files:
        if item["path"] in overlay:
            item["dev_null"] = False
    for path in sorted(overlay):
        directory = os.path.dirname(path)
        if path in known or directory not in dirs or not path.endswith(".conf"):
            continue
        name = os.path.basename(path)
        same = [item for item in files if item["name"] == name]
        if same:
            existing = same[0]
            if dirs.index(directory) > dirs.index(os.path.dirname(existing["path"])):
                masked.append({"file": path, "masked_by": existing["path"]})
                continue
            files.remove(existing)
            masked.append({"file": existing["path"], "masked_by": path})
        files.append({"path": path, "host_path": _host(root, path), "name": name, "dev_null": False})
    files.sort(key=lambda item: item["name"])
    return files, masked


def _parse_sources(files, overlay, result, root, sysctl_conf):
    """``([(path, entries)], linked_as)``: every file parsed, and the link that pulls in sysctl.conf."""
    linked_as = None
    parsed = []
    for item in files:
        if item["dev_null"]:
            result["notes"].append("%s is a link to /dev/null: it masks any file of that name and applies nothing"
                                   % item["path"] + _volatile(item["path"]))
            continue
        entries = _load(item["path"], item["host_path"], overlay, result)
        if entries is None:
            continue
        if sysctl_conf and os.path.islink(item["host_path"]) and \
                _link_target_in_root(root, item["host_path"]) == sysctl_conf:
            linked_as = item["path"]
        parsed.append((item["path"], entries))
    for entry in result["masked"]:
        result["notes"].append("%s is masked by %s, which has the same name in a higher-priority directory"
                               % (entry["file"], entry["masked_by"]) + _volatile(entry["masked_by"]))
    for path, _entries in parsed:
        if _volatile(path):
            result["notes"].append(_volatile(path)[2:])
    return parsed, linked_as


def _volatile(path):
    """What a reader must know about a file under /run, which is a tmpfs ("" for other files)."""
    if not path.startswith(RUNTIME_DIR + "/"):
        return ""
    return ("; %s is on a tmpfs (/run is emptied at every boot): systemd-sysctl finds it at the next boot "
            "only if a generator or a unit ordered before systemd-sysctl.service creates it again" % path)


def _resolve_procps(parsed, result, overlay, conf, linked_as):
    """What 'sysctl --system' leaves: the same files, then /etc/sysctl.conf (``conf``: path, host path) last."""
    procps_effective = {}
    procps_globs = []
    for path, entries in parsed:
        result["procps_sources"].append(path)
        _apply(entries, procps_effective, None, procps_globs, [])
    if conf:
        entries = _load(conf[0], conf[1], overlay, result)
        if entries is not None:
            result["procps_sources"].append(conf[0])
            _apply(entries, procps_effective, None, procps_globs, [])
            if linked_as is None:
                _collect_problems(entries, result)
    result["procps_effective"] = procps_effective


def _conf_notes(result, sysctl_conf, conf_exists, linked_as):
    if conf_exists and linked_as is None:
        result["notes"].append(
            "%s is not linked into the sysctl.d directories (no 99-sysctl.conf link): systemd-sysctl skips it "
            "at boot, while 'sysctl --system' applies it last" % sysctl_conf)
    elif conf_exists:
        later = [path for path in result["sources"] if os.path.basename(path) > os.path.basename(linked_as)]
        if later:
            result["notes"].append(
                "%s is applied through %s by systemd-sysctl, before %s; 'sysctl --system' applies it again last"
                % (sysctl_conf, linked_as, ", ".join(later)))


def _disagreements(result):
    procps_effective = result["procps_effective"]
    for key in sorted(set(result["effective"]) | set(procps_effective)):
        first, second = result["effective"].get(key), procps_effective.get(key)
        if first is not None and second is not None and equivalent(key, first["value"], second["value"]):
            continue
        if first is None and second is None:
            continue
        result["disagreements"][key] = {
            SYSTEMD: {"value": first["value"], "file": first["file"]} if first else None,
            PROCPS: {"value": second["value"], "file": second["file"]} if second else None,
        }
        result["notes"].append(
            "%s: systemd-sysctl leaves %s, 'sysctl --system' leaves %s" % (
                key, describe_record(first), describe_record(second)))


def describe_record(record):
    if not record:
        return "the kernel's value (no file sets it)"
    return "%s (from %s)" % (record["value"], record["file"])


def _load(path, host_path, overlay, result):
    if path in overlay:
        content = overlay[path]
        if isinstance(content, list):
            return [dict(entry, source=path) for entry in content]
        return parse(content, path)
    try:
        return parse_file(host_path, path)
    except (IOError, OSError) as error:
        reason = (error.strerror or str(error)).replace(host_path, path)
        result["unreadable"].append({"file": path, "error": reason})
        result["notes"].append("%s could not be read: %s" % (path, reason))
        return None


def _collect_problems(entries, result):
    for entry in entries:
        if entry["kind"] == "invalid":
            result["invalid"].append({"file": entry["source"], "line": entry["line"],
                                      "text": entry["raw_key"], "reason": entry["reason"]})
        elif entry["kind"] == "assign" and entry["quoted"]:
            result["quoted"].append({"file": entry["source"], "line": entry["line"],
                                     "key": entry["key"], "value": entry["raw_value"]})


def effective_for(resolution, key, loader=SYSTEMD):
    """The record that sets ``key`` at boot for ``loader``, globs included, or None.

    Explicit assignments win over globs; among globs the last matching one wins,
    unless a ``-key`` exclusion names the key (systemd-sysctl only).
    """
    table = resolution["effective"] if loader == SYSTEMD else resolution["procps_effective"]
    if key in table:
        return table[key]
    if loader == SYSTEMD and any(item["key"] == key for item in resolution.get("excluded", [])):
        return None
    found = None
    for glob in resolution.get("globs", []):
        parts, wanted = key.split("."), glob["pattern"].split(".")
        if len(parts) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted)):
            found = dict(glob)  # glob(3) on /proc/sys paths: a wildcard stays inside one level
    return found


def shadows(path, settings, root="/", dirs=SYSCTL_D_DIRS, sysctl_conf=SYSCTL_CONF):
    """Keys of ``settings`` that another file overrides at boot if ``path`` holds them.

    ``settings`` is ``{key: value}`` as it would be written to ``path``. Returns
    ``[{key, value, ours, file, line, loader}]``: for each loader (systemd-sysctl,
    'sysctl --system') whose boot result for a key comes from another file with
    another value.
    """
    ours = dict((key, _render_value(key, value)) for key, value in settings.items())
    overlay = {path: [{"key": key, "value": value, "kind": "assign", "line": index + 1, "ignore_errors": False,
                       "glob": False, "quoted": False}
                      for index, (key, value) in enumerate(sorted(ours.items()))]}
    resolution = resolve(root, dirs, sysctl_conf, overlay)
    found = []
    for key in sorted(ours):
        for loader in (SYSTEMD, PROCPS):
            record = effective_for(resolution, key, loader)
            if record and record["file"] != path and not equivalent(key, record["value"], ours[key]):
                found.append({"key": key, "value": record["value"], "ours": ours[key], "file": record["file"],
                              "line": record["line"], "loader": loader})
    return found
