"""Whether a name appears on a page only inside its comments.

trafilatura's last-resort author search takes any element whose class says "author"; WordPress marks
each commenter with ``comment-author`` inside ``<ol class="comment-list">``, a list trafilatura's
discard rules (``comments``, ``commentlist``, ``comments-list``) miss. A name the page prints nowhere
but in its comments is a reader's, not the writer's.
"""

from __future__ import annotations

from typing import Any

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

_COMMENT = "comment"


def _in_comment(element: Any) -> bool:
    for node in (element, *element.iterancestors()):
        marks = f"{node.get('class') or ''} {node.get('id') or ''}".casefold()
        if _COMMENT in marks:
            return True
    return False


def only_in_comments(name: str, html: str) -> bool:
    """Whether every place the page's text shows ``name`` lies inside an element whose class or id says
    "comment" (and it shows it at least once)."""
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
