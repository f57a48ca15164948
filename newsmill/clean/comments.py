"""Whether a name appears on a page only inside its comments.

trafilatura's last-resort author search takes any element whose class says "author"; WordPress marks
each commenter with ``comment-author`` inside ``<ol class="comment-list">``, a list trafilatura's
discard rules (``comments``, ``commentlist``, ``comments-list``) miss. A name the page prints nowhere
but in its comments is a reader's, not the writer's.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from newsmill.clean.tree import self_and_ancestors

_COMMENT = "comment"
# How much markup before a name is searched for a comment mark: a commenter's name sits a few tags
# inside ``<li class="comment">``, after the avatar's markup.
_NEAR_CHARS = 2_000


def _in_comment(element: Any) -> bool:
    for node in self_and_ancestors(element):
        if node.tag in {"body", "html"}:
            return False  # a page-wide class ("comments-open") says nothing about where the name is
        marks = f"{node.get('class') or ''} {node.get('id') or ''}".casefold()
        if _COMMENT in marks:
            return True
    return False


def _near_comment_markup(name: str, html: str) -> bool:
    """Whether each place the markup spells ``name`` has "comment" in the markup just before it: the
    cheap test that spares most pages the parse."""
    pattern = re.compile(r"\s+".join(re.escape(word) for word in name.split()), re.IGNORECASE)
    found = False
    for match in pattern.finditer(html):
        if _COMMENT not in html[max(0, match.start() - _NEAR_CHARS): match.start()].casefold():
            return False
        found = True
    return found


def only_in_comments(name: str, html: str) -> bool:
    """Whether every place the page's text shows ``name`` lies inside an element whose class or id says
    "comment" (and it shows it at least once)."""
    if not name.split() or not _near_comment_markup(name, html):
        return False
    folded = name.casefold()
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, etree.ParserError):
        return False  # an XML declaration in a str, or nothing to parse: no evidence either way
    found = False
    for text in tree.xpath("//body//text()"):
        if folded not in " ".join(text.split()).casefold():
            continue
        holder = text.getparent()
        if holder is None or not isinstance(holder.tag, str) or holder.tag in {"script", "style"}:
            continue
        if not _in_comment(holder):
            return False
        found = True
    return found
