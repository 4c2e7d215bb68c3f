# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the reference pages under docs/reference/ from the collection's own data.

    python scripts/gen_reference_docs.py            # write every page
    python scripts/gen_reference_docs.py --check    # exit 1 and name the stale pages
    python scripts/gen_reference_docs.py knobs      # only some pages

Pages and their sources:

* knobs.md     plugins/module_utils/_catalog_data.py (every knob) and _rules/ (every rule)
* profiles.md  plugins/module_utils/_profiles/ (every profile, key, value or formula, reason)
* roles.md     roles/*/meta/argument_specs.yml, with defaults from roles/*/defaults/main.yml
* report_formats.md  plugins/plugin_utils/_audit_report/renderers/ (the audit report's formats)

and blocks inside other files, between ``# BEGIN generated <name>`` and ``# END generated
<name>`` comment lines (see SPLICES): the rule list in sysctl_check's documentation and
the roles' ``choices:`` of profile names and of report formats (audit role, audit_files,
audit_render; from plugins/plugin_utils/_audit_report/renderers/).

The output depends only on those files: no dates, no machine names, stable order.
tests/unit/docs/test_generated_docs.py fails when a committed page differs from
what this script writes.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(REPO, "docs", "reference")
PACKAGE = "ansible_collections.netfleet.tcp"
REGENERATE = "python scripts/gen_reference_docs.py"

NAMESPACE_TEXT = {
    "netns": "per network namespace: each namespace (container) has its own value",
    "init": "initial network namespace only: absent inside containers and other namespaces",
    "global": "one machine-wide value: child namespaces can at most read it",
}
SCOPE_SHORT = {"netns": "per namespace", "init": "initial namespace", "global": "machine-wide"}
SHAPE_TEXT = {
    "int": "integer",
    "enum": "one of a set of values",
    "bitmask": "bit flags",
    "triple": "three integers",
    "pair": "two integers (low, high)",
    "port_list": "list of ports and ranges",
}


# ---------------------------------------------------------------------------
# Importing the collection from the checkout
# ---------------------------------------------------------------------------


def _make_importable():
    """Make the checkout importable as ansible_collections.netfleet.tcp (as tests/conftest.py does)."""
    collections = os.path.join(REPO, ".tmp", "collections")
    link = os.path.join(collections, "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link) and not os.path.isdir(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(REPO, link)
        except FileExistsError:
            pass
    if collections not in sys.path:
        sys.path.insert(0, collections)


def _module_utils(name, required=True):
    _make_importable()
    try:
        return importlib.import_module("%s.plugins.module_utils.%s" % (PACKAGE, name))
    except ImportError:
        if required:
            raise
        return None


# ---------------------------------------------------------------------------
# Markdown helpers
# ---------------------------------------------------------------------------


def anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def cell(text):
    """Text safe inside a Markdown table cell."""
    if text is None:
        return ""
    text = " ".join(str(text).split())
    return text.replace("|", "\\|")


def code(text):
    return "`%s`" % text if text not in (None, "") else ""


def _table(header, rows):
    lines = ["| %s |" % " | ".join(header), "| %s |" % " | ".join("---" for _column in header)]
    for row in rows:
        lines.append("| %s |" % " | ".join(cell(item) for item in row))
    return lines


_SEMANTIC = re.compile(r"\b([ICBVOPMLU])\(([^()]*)\)")


def plain(text):
    """Ansible doc markup (C(x), V(x), M(x), O(x), I(x), B(x), U(x), L(t,u)) as Markdown."""
    def replace(match):
        kind, body = match.group(1), match.group(2)
        if kind in ("M", "P") and "#" in body:
            name, _sep, plugin_type = body.partition("#")
            return "`%s` %s" % (name, plugin_type)
        if kind in ("C", "V", "O", "M", "P"):
            return "`%s`" % body
        if kind == "I":
            return "*%s*" % body
        if kind == "B":
            return "**%s**" % body
        if kind == "U":
            return "<%s>" % body
        if kind == "L":
            label, _sep, url = body.partition(",")
            return "[%s](%s)" % (label.strip(), url.strip())
        return body
    return _SEMANTIC.sub(replace, str(text))


def _paragraphs(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [plain(value)]
    return [plain(item) for item in value]


HEADER = (
    "<!-- Generated by %s from %s. Do not edit by hand: change the source and run the script. -->"
)


# ---------------------------------------------------------------------------
# knobs.md
# ---------------------------------------------------------------------------


def _default_text(entry):
    if entry["default"] is not None:
        return code(entry["default"]) if entry["default"] != "" else "empty"
    note = entry.get("default_note") or "computed at boot"
    example = entry.get("default_example")
    if example:
        return "%s (for example %s)" % (note, code(example))
    return note


def _range_text(entry):
    shape = entry["shape"]
    if shape == "enum":
        return None
    if shape == "bitmask":
        return None
    low, high = entry["minimum"], entry["maximum"]
    if low is None and high is None:
        return "no bound of its own"
    if low is None:
        return "at most %s" % high
    if high is None:
        return "at least %s" % low
    if entry.get("minimum_note"):
        return "%s to %s (%s)" % (low, high, entry["minimum_note"])
    return "%s to %s" % (low, high)


def _kernel_text(entry):
    parts = []
    if entry.get("added"):
        parts.append("added in %s" % entry["added"])
    if entry.get("removed"):
        parts.append("removed in %s" % entry["removed"])
    if not parts:
        parts.append("present in every kernel judged here (3.10 on)")
    return "; ".join(parts)


def _rule_catalog():
    """The rules as plain dicts in _rules.describe() order, or None while there is no rule registry."""
    rules = _module_utils("_rules", required=False)
    if rules is None or not hasattr(rules, "describe"):
        return None
    return [dict(rule) for rule in rules.describe()]


FAMILY_TEXT = [
    ("input", "Input rules",
     "Raised while a desired value or a persisted line is read: the value cannot be used as it "
     "is, or a guard refuses it. A **blocking** rule makes `netfleet.tcp.sysctl_profile` refuse "
     "the whole profile before anything is written."),
    ("value", "Value rules",
     "Judge the values as a whole (the live values with the desired ones laid over them) "
     "against the host: memory, kernel, namespace, listeners, connection counts."),
    ("persisted", "Persisted rules",
     "Compare the boot configuration (`/etc/sysctl.conf` and the `sysctl.d` directories, in boot "
     "order) with the live and desired values. A persisted value is also judged by the input and "
     "value rules: the finding has the same id and severity as for a setting, plus `file` and `line`."),
    ("pressure", "Pressure rules",
     "Raised by the audit report from the `tcp_state_facts` census and the `tcp_pressure` "
     "thresholds: a limit filling up right now."),
]


def _kernels_text(kernels):
    since, before = (list(kernels or ()) + [None, None])[:2]
    if since and before:
        return "from Linux %s, before %s" % (since, before)
    if since:
        return "Linux %s and later" % since
    if before:
        return "before Linux %s" % before
    return ""


def _rule_keys(rule):
    return [key for key in rule.get("keys") or () if key]


def _profile_users():
    profiles = _module_utils("_profiles", required=False)
    users = {}
    if profiles is None:
        return users
    for profile in profiles.describe_profiles():
        for row in profile["settings"]:
            users.setdefault(row["key"], []).append(profile["name"])
    return users


def render_knobs():
    catalog = _module_utils("_catalog")
    scope_module = _module_utils("_catalog_scope")
    entries = catalog.entries()
    rules = _rule_catalog()
    users = _profile_users()
    rules_by_key = {}
    for rule in rules or ():
        for key in _rule_keys(rule):
            rules_by_key.setdefault(key, []).append(rule["id"])

    out = [HEADER % (REGENERATE, "plugins/module_utils/_catalog_data.py and _rules/"), ""]
    out += [
        "# Knob reference",
        "",
        "Every sysctl the collection knows, as its knob catalog describes it. The modules",
        "validate against the same catalog: `netfleet.tcp.sysctl_check` judges values with it,",
        "`netfleet.tcp.sysctl_profile` refuses what it rejects, and the tuning profiles are built",
        "on it. Keys outside the catalog are checked for existence and syntax only.",
        "",
        "For why these knobs matter, read the [TCP teardown guide](../guide/tcp-teardown.md).",
        "The [rules](#rules) that judge them are listed after the knobs.",
        "",
        "Reading an entry:",
        "",
        "* **Default** is what a freshly booted mainline kernel prints. Defaults the kernel",
        "  computes at boot say from what; the example is one machine's value.",
        "* **Kernel** gives the versions that added or removed the key; **Changes** the versions",
        "  that changed its meaning or default.",
        "* **Scope** tells whether a container or network namespace has its own copy, and since",
        "  which release: before it, a container has no file for the key and the host's value applies.",
        "",
        "## Summary",
        "",
    ]
    rows = []
    for entry in entries:
        rows.append([
            "[`%s`](#%s)" % (entry["key"], anchor(entry["key"])),
            entry["unit"],
            _default_text(entry) if entry["default"] is not None else "computed at boot",
            SCOPE_SHORT.get(entry["namespace"], entry["namespace"]),
            entry["summary"],
        ])
    out += _table(["Key", "Unit", "Default", "Scope", "What it does"], rows)
    out += ["", "## Knobs", ""]

    for entry in entries:
        out += ["### %s" % entry["key"], "", entry["summary"], ""]
        facts = [
            ("Value", SHAPE_TEXT.get(entry["shape"], entry["shape"])),
            ("Unit", entry["unit"]),
        ]
        value_range = _range_text(entry)
        if value_range:
            facts.append(("Range", value_range))
        facts.append(("Default", _default_text(entry)))
        facts.append(("Kernel", _kernel_text(entry)))
        scope = NAMESPACE_TEXT.get(entry["namespace"], entry["namespace"])
        history = scope_module.scope_history(entry["key"])
        facts.append(("Scope", "%s; %s" % (scope, history) if history else scope))
        out += _table(["", ""], [["**%s**" % name, text] for name, text in facts])
        out.append("")
        if entry.get("values"):
            out += _table(["Value", "Meaning"],
                          [[code(number), meaning] for number, meaning in sorted(entry["values"].items())])
            out.append("")
        if entry.get("flags"):
            out += _table(["Flag", "Meaning"],
                          [["%s (`0x%x`)" % (code(flag), flag), meaning]
                           for flag, meaning in sorted(entry["flags"].items())])
            out.append("")
        if entry.get("changes"):
            out.append("Changes:")
            out.append("")
            for version, what in entry["changes"]:
                out.append("* %s: %s" % (version, what))
            out.append("")
        out += [entry["description"], "", "**Trade-off.** %s" % entry["tradeoff"], ""]
        related = []
        if entry["key"] in users:
            related.append("set by the profiles %s" % ", ".join(
                "[`%s`](profiles.md#%s)" % (name, anchor(name)) for name in users[entry["key"]]))
        if entry["key"] in rules_by_key:
            related.append("judged by the rules %s" % ", ".join(
                "[`%s`](#rule-%s)" % (rule_id, rule_id) for rule_id in rules_by_key[entry["key"]]))
        if related:
            out += ["Related: %s." % "; ".join(related), ""]

    out += ["## Rules", ""]
    # (sources: plugins/module_utils/_rules/, one module per family)
    if rules is None:
        out += [
            "The rule list is generated from `plugins/module_utils/_rules/`, which does not",
            "list its rules yet.",
            "",
        ]
        return "\n".join(out).rstrip() + "\n"
    out += [
        "Every finding `netfleet.tcp.sysctl_check` can return, by its stable `id`. A finding",
        "carries `id`, `severity`, `key`, `value`, `message` (what is wrong here, with this",
        "host's numbers) and `remediation` (what to change). The audit report groups findings",
        "by `id`; `fail_on` (module) and `tcp_audit_fail_on` (tcp_audit role) decide which severities",
        "fail a run.",
        "",
    ]
    families = [item[0] for item in FAMILY_TEXT]
    groups = [(title, intro, [rule for rule in rules if rule.get("family") == family])
              for family, title, intro in FAMILY_TEXT]
    groups.append(("Other rules", "", [rule for rule in rules if rule.get("family") not in families]))
    for title, intro, members in groups:
        if not members:
            continue
        out += ["### %s" % title, ""]
        if intro:
            out += [intro, ""]
        out += _table(["Rule", "Severity", "Finds"], [
            ["[`%s`](#%s)" % (rule["id"], anchor("rule: " + rule["id"])),
             rule["severity"] + (", blocking" if rule.get("blocking") else ""),
             rule["title"]]
            for rule in members])
        out.append("")
        for rule in members:
            out += ["#### rule: %s" % rule["id"], "", "**%s.**" % rule["title"].rstrip("."), ""]
            out.append("Severity: %s%s." % (rule["severity"], ", blocking" if rule.get("blocking") else ""))
            kernels = _kernels_text(rule.get("kernels"))
            if kernels:
                out.append("Kernels: %s." % kernels)
            keys = _rule_keys(rule)
            out.append("Keys: %s." % (", ".join(
                "[`%s`](#%s)" % (key, anchor(key)) if catalog.knob(key) else code(key)
                for key in keys) if keys else "any key"))
            out += ["", rule["description"], ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------
# profiles.md
# ---------------------------------------------------------------------------

# A host to show computed values on: 16 GiB, 4 KiB pages, a recent kernel, and a few
# listeners, one of them inside the ephemeral range outbound_heavy widens to.
EXAMPLE_CONTEXT = {
    "kernel": "6.1.0",
    "kernel_version": [6, 1, 0],
    "initial_netns": True,
    "proc_sys_net_writable": True,
    "mem_total_bytes": 16 * 1024 ** 3,
    "page_size": 4096,
    "listen_ports": [22, 443, 8080, 11211],
    "nat_facing": False,
}


def _example_values(profiles, name):
    """``{key: value}`` the profile gives EXAMPLE_CONTEXT, or {} when it cannot be rendered."""
    try:
        rows = profiles.plan({"context": dict(EXAMPLE_CONTEXT)}, name)
    except Exception:  # the example is an illustration; a failure must not hide the reference
        return {}
    return dict((row["key"], str(row["value"])) for row in rows)


def render_profiles():
    profiles = _module_utils("_profiles")
    catalog = _module_utils("_catalog")
    described = profiles.describe_profiles()
    out = [HEADER % (REGENERATE, "plugins/module_utils/_profiles/_data.py"), ""]
    out += [
        "# Profile reference",
        "",
        "The tuning profiles the `netfleet.tcp.tcp_tuning` role applies and the",
        "`netfleet.tcp.tcp_profile` filter renders, every key with its value and the reason it",
        "is there. Values that depend on the host (memory, page size, listening ports, kernel",
        "version) are computed per host by a formula and never hard-coded. For those, the",
        "column *Example host* shows what a host with 16 GiB of memory, 4 KiB pages, Linux 6.1",
        "and listeners on ports 22, 443, 8080 and 11211 gets.",
        "",
        "A value written `>=N` is a bound: a live value already at or above `N` is kept, a",
        "smaller one is raised to `N`.",
        "",
        "Settings are merged in this order, later wins: **profile < group overrides < host",
        "overrides**. An override whose value is `null` removes the key from the profile and",
        "leaves it as it is on the host. Every value, from a profile or an override, is",
        "validated against the [knob catalog](knobs.md) before anything is written, and the",
        "guards (such as `tcp_tw_recycle=1` on a NAT-facing host) apply whatever the profile",
        "says.",
        "",
    ]
    out += _table(["Profile", "For"], [
        ["[`%s`](#%s)" % (profile["name"], anchor(profile["name"])), profile["summary"]]
        for profile in described])
    out.append("")
    formulas_used = {}
    for profile in described:
        example = _example_values(profiles, profile["name"])
        out += ["## %s" % profile["name"], "", profile["summary"], ""]
        if not profile["settings"]:
            out += ["This profile sets nothing by itself: only the group and host overrides apply.", ""]
            continue
        rows = []
        for row in profile["settings"]:
            key_link = ("[`%s`](knobs.md#%s)" % (row["key"], anchor(row["key"]))
                        if catalog.knob(row["key"]) else code(row["key"]))
            if row["host_dependent"]:
                value = "computed: [%s](#formula-%s)" % (row["formula"], anchor(row["formula"]))
                formulas_used[row["formula"]] = row["formula_text"]
            else:
                value = code(row["value"])
            if row["host_dependent"]:
                shown = example.get(row["key"])
                shown = code(shown) if shown is not None else "nothing to set"
            else:
                shown = ""
            rows.append([key_link, value, shown, row["reason"]])
        out += _table(["Key", "Value", "Example host", "Why"], rows)
        out.append("")
    if formulas_used:
        out += ["## Formulas", "", "How host-dependent values are computed.", ""]
        for name in sorted(formulas_used):
            text = formulas_used[name].strip()
            text = text[:1].upper() + text[1:]
            if not text.endswith("."):
                text += "."
            out += ["### formula: %s" % name, "", text, ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------
# roles.md
# ---------------------------------------------------------------------------


class SourceError(Exception):
    """A source file the pages are generated from cannot be read."""


def _load_yaml(path, text=None):
    try:
        if text is None:
            with open(path) as handle:
                text = handle.read()
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SourceError("%s: not valid YAML: %s" % (os.path.relpath(path, REPO), error))


def _role_defaults(role_dir):
    path = os.path.join(role_dir, "defaults", "main.yml")
    if not os.path.exists(path):
        return {}
    return _load_yaml(path) or {}


def _type_text(spec):
    kind = spec.get("type", "str")
    if kind == "list" and spec.get("elements"):
        return "list of %s" % spec["elements"]
    return kind


def _default_cell(name, spec, defaults):
    if "default" in spec:
        value = spec["default"]
    elif name in defaults:
        value = defaults[name]
    else:
        return "required" if spec.get("required") else ""
    if isinstance(value, str) and "{{" in value:
        return code(value)
    return code(yaml.safe_dump(value, default_flow_style=True, width=10 ** 6).strip()
                .replace("\n...", "").strip())


def _option_rows(options, defaults, prefix=""):
    rows = []
    for name in sorted(options or {}):
        spec = options[name] or {}
        full = prefix + name
        details = []
        if spec.get("choices"):
            details.append("Choices: %s." % ", ".join(code(choice) for choice in spec["choices"]))
        description = " ".join(_paragraphs(spec.get("description")))
        rows.append([code(full), _type_text(spec),
                     _default_cell(name, spec, defaults if not prefix else {}),
                     " ".join([description] + details).strip()])
        if spec.get("options"):
            rows += _option_rows(spec["options"], {}, prefix=full + ".")
    return rows


def render_roles():
    roles_dir = os.path.join(REPO, "roles")
    names = sorted(name for name in os.listdir(roles_dir)
                   if os.path.exists(os.path.join(roles_dir, name, "meta", "argument_specs.yml"))) \
        if os.path.isdir(roles_dir) else []
    out = [HEADER % (REGENERATE, "roles/*/meta/argument_specs.yml and roles/*/defaults/main.yml"), ""]
    out += [
        "# Role reference",
        "",
        "The variables of every role in the collection, from each role's",
        "`meta/argument_specs.yml` (which Ansible validates when the role starts) and the",
        "defaults in its `defaults/main.yml`. `ansible-doc -t role netfleet.tcp.<role>` shows",
        "the same.",
        "",
    ]
    if not names:
        out += ["No role in this collection has a `meta/argument_specs.yml` yet.", ""]
        return "\n".join(out).rstrip() + "\n"
    out += _table(["Role", "Entry points"], [
        ["[`netfleet.tcp.%s`](#%s)" % (name, anchor("netfleet.tcp." + name)),
         ", ".join(code(point) for point in sorted(
             (_load_yaml(os.path.join(roles_dir, name, "meta", "argument_specs.yml")) or {})
             .get("argument_specs") or {}))]
        for name in names])
    out.append("")
    for name in names:
        role_dir = os.path.join(roles_dir, name)
        specs = (_load_yaml(os.path.join(role_dir, "meta", "argument_specs.yml")) or {}).get(
            "argument_specs") or {}
        defaults = _role_defaults(role_dir)
        out += ["## netfleet.tcp.%s" % name, ""]
        for point in sorted(specs, key=lambda item: (item != "main", item)):
            spec = specs[point] or {}
            title = "Entry point `%s`" % point
            out += ["### %s" % title, ""]
            if spec.get("short_description"):
                out += [plain(spec["short_description"]), ""]
            for paragraph in _paragraphs(spec.get("description")):
                out += [paragraph, ""]
            options = spec.get("options") or {}
            if not options:
                out += ["No variables.", ""]
                continue
            out += _table(["Variable", "Type", "Default", "Description"],
                          _option_rows(options, defaults))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------
# Generated blocks inside other files
# ---------------------------------------------------------------------------


def _wrap(text, indent, width=100):
    lines, line = [], indent
    for word in text.split(" "):
        if len(line) + len(word) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = indent + "  "
        line += word + " "
    lines.append(line.rstrip())
    return lines


def render_rule_list(indent):
    """sysctl_check's documentation line that names every rule, family by family."""
    rules = _rule_catalog() or []
    parts = []
    for family, title, _intro in FAMILY_TEXT:
        members = [rule["id"] for rule in rules if rule.get("family") == family]
        if members:
            label = title[0].lower() + title[1:]
            if family == "pressure":
                label += " (raised by the audit report)"
            parts.append("%s %s" % (label, ", ".join("C(%s)" % member for member in members)))
    return _wrap('- "The rules: %s. The collection\'s rule reference describes each one."' % "; ".join(parts), indent)


def render_profile_choices(indent):
    """A role's ``choices:`` of profile names, from the profiles registry."""
    names = _module_utils("_profiles").profile_names()
    return ["%schoices: [%s]" % (indent, ", ".join(names))]


def _report_formats():
    _make_importable()
    return importlib.import_module("%s.plugins.plugin_utils._audit_report.renderers" % PACKAGE)


def render_report_format_choices(indent):
    """The ``choices:`` of report files (audit role, audit_files module), from the formats registry."""
    return ["%schoices: [%s]" % (indent, ", ".join(_report_formats().file_formats()))]


def render_report_render_choices(indent):
    """audit_render's ``choices:``: every format of the registry."""
    return ["%schoices: [%s]" % (indent, ", ".join(_report_formats().names()))]


SPLICES = {
    "rule list": render_rule_list,
    "profile choices": render_profile_choices,
    "report format choices": render_report_format_choices,
    "report render choices": render_report_render_choices,
}
SPLICED_FILES = (
    "plugins/modules/sysctl_check.py",
    "roles/tcp_tuning/meta/argument_specs.yml",
    "roles/tcp_audit/meta/argument_specs.yml",
    "plugins/modules/audit_files.py",
    "plugins/filter/audit_render.yml",
)
_BEGIN = re.compile(r"^(\s*)# BEGIN generated (.+?)(?: \(.*\))?$")


def splice(text):
    """``text`` with every generated block rendered anew (blocks without a registry kept)."""
    out, lines, index = [], text.split("\n"), 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        match = _BEGIN.match(line)
        index += 1
        if not match or match.group(2) not in SPLICES:
            continue
        indent, name = match.group(1), match.group(2)
        end = index
        while end < len(lines) and lines[end].strip() != "# END generated %s" % name:
            end += 1
        if end == len(lines):
            raise SourceError("'# BEGIN generated %s' has no matching END line" % name)
        rendered = SPLICES[name](indent)
        out.extend(rendered if rendered is not None else lines[index:end])
        index = end
    return "\n".join(out)


def _render_spliced(relative):
    def render_file():
        with open(os.path.join(REPO, relative)) as handle:
            return splice(handle.read())
    return render_file


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def render_report_formats():
    """report_formats.md: the audit report's formats registry writes its own page."""
    _make_importable()
    registry = importlib.import_module("%s.plugins.plugin_utils._audit_report.renderers" % PACKAGE)
    return registry.reference_page(HEADER % (REGENERATE, "plugins/plugin_utils/_audit_report/renderers/"))


PAGES = {
    "knobs": ("knobs.md", render_knobs),
    "profiles": ("profiles.md", render_profiles),
    "roles": ("roles.md", render_roles),
    "report_formats": ("report_formats.md", render_report_formats),
}
for _relative in SPLICED_FILES:
    PAGES[_relative] = (os.path.join(REPO, _relative), _render_spliced(_relative))


def page_path(name):
    return os.path.join(REFERENCE, PAGES[name][0])


def render(name):
    return PAGES[name][1]()


def stale_pages(names=None):
    """``[(name, path)]`` of the pages whose committed text differs from a fresh render."""
    stale = []
    for name in names or sorted(PAGES):
        path = page_path(name)
        try:
            with open(path) as handle:
                current = handle.read()
        except (IOError, OSError):
            current = None
        if current != render(name):
            stale.append((name, path))
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("pages", nargs="*", choices=sorted(PAGES) + [[]], default=[],
                        help="pages to generate (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a committed page is stale")
    args = parser.parse_args(argv)
    names = args.pages or sorted(PAGES)
    try:
        return _run(names, args.check)
    except SourceError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2


def _run(names, check):
    if check:
        stale = stale_pages(names)
        for name, path in stale:
            print("stale: %s (run: %s %s)" % (os.path.relpath(path, REPO), REGENERATE, name))
        return 1 if stale else 0
    os.makedirs(REFERENCE, exist_ok=True)
    # Blocks in the roles' argument specs first: roles.md is rendered from them.
    for name in sorted(names, key=lambda item: item not in SPLICED_FILES):
        text = render(name)
        path = page_path(name)
        try:
            with open(path) as handle:
                unchanged = handle.read() == text
        except (IOError, OSError):
            unchanged = False
        if not unchanged:
            with open(path, "w") as handle:
                handle.write(text)
        print("%s %s" % ("unchanged" if unchanged else "wrote", os.path.relpath(path, REPO)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
