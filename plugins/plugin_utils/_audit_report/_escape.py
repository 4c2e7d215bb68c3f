# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host and inventory data are untrusted: text for Markdown, HTML and terminals, and file names.

PRIVATE: internal to the netfleet.tcp collection, controller-side only.

Host names come from the inventory, and kernel names, file names, addresses and messages
from the managed hosts; any of them may hold markup, control characters or path
separators. Every renderer passes them through one of these functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import html
import re

# C0/C1 controls, DEL and the Unicode line/paragraph separators: never printed as they are.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Characters with a meaning in CommonMark/GFM inline text or tables; an underscore inside a
# word (tcp_fin_timeout) starts no emphasis in GFM and stays as it is.
_MARKDOWN = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
NAME_MAX = 96


def one_line(value):
    """The text on one line: control characters become spaces, runs of whitespace one space."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def md_text(value):
    """Text for Markdown inline content and table cells, shown literally.

    Markdown's punctuation is escaped with a backslash (so ``|`` cannot end a cell and
    ``*`` cannot start emphasis), ``<``, ``>`` and ``&`` become entities (so no HTML tag
    or entity survives), and the text is put on one line.
    """
    text = _MARKDOWN.sub(r"\\\1", one_line(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_text(value):
    """Text for HTML element content and quoted attribute values."""
    return html.escape(str(value), quote=True)


def safe_file_name(name, suffix=""):
    """A file name made from ``name`` that stays in its folder whatever ``name`` holds.

    Letters, digits, ``_``, ``-`` and ``.`` are kept; any other character becomes ``_``.
    When anything had to change (or the name would be hidden, empty or too long), eight
    hex digits of the name's SHA-256 are added, so two names never share a file.
    """
    text = str(name)
    cleaned = _SAFE_NAME.sub("_", text)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    if cleaned != text or not cleaned or len(cleaned) > NAME_MAX:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cleaned = "%s-%s" % (cleaned[:NAME_MAX], digest)
    return cleaned + suffix
