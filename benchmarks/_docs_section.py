# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write one benchmark's section of docs/benchmarks.md.

Each script owns the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
and replaces only that, so several benchmarks share the page without touching
each other's figures.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(REPO, "docs", "benchmarks.md")


def write_section(name, text, doc=DOC):
    """Replace (or append) the section ``name`` of ``doc`` with ``text``."""
    begin = "<!-- BEGIN %s -->" % name
    end = "<!-- END %s -->" % name
    block = "%s\n%s\n%s" % (begin, text.strip("\n"), end)
    current = ""
    if os.path.exists(doc):
        with open(doc) as handle:
            current = handle.read()
    if begin in current and end in current:
        head, _sep, rest = current.partition(begin)
        _old, _sep, tail = rest.partition(end)
        updated = head + block + tail
    else:
        updated = (current.rstrip("\n") + "\n\n" if current else "# Benchmarks\n\n") + block + "\n"
    with open(doc, "w") as handle:
        handle.write(updated)
