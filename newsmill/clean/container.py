"""Where each line of the extracted body sits in the page, and the lines that come after the article's
container.

trafilatura's body is text, but its lines come from elements of the page. The deepest element that
holds most of the body's words is the article's container (its ``<article>``, ``entry-content`` or
``main``). The lines trafilatura adds after the container's last line come from elsewhere on the
page: a newsletter box, a "related articles" teaser list, a disclaimer band, the site footer. The
container's own end (a references list, an acknowledgement, a closing section) lies inside it and is
kept.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from newsmill.clean.marks import marked_lines
from newsmill.clean.restore import restore
from newsmill.clean.tree import UNSEEN_TAGS, self_and_ancestors
from newsmill.clean.widgets import widget_lines

MAIN_SHARE = 0.8
"""The article's container is the deepest element holding this share of the body's located words. On
the WCXB dev articles, 0.8 cuts the most boilerplate for the least article text on both halves (at
0.7 whole closing sections of the article are cut; at 0.9 less furniture goes)."""

_KEY_CHARS = 40
"""How much of a line's beginning (whitespace removed) is searched for in the page's text; enough to
be unique on a page, short enough to stay within one text node's run of inline markup."""
_MIN_KEY_CHARS = 4
"""A shorter line ("-", "1.") says nothing about where it came from."""


def _key(paragraph: str) -> str:
    # trafilatura writes a list item as "- item" and a table row with "|" between its cells.
    if paragraph.startswith("- "):
        paragraph = paragraph[2:]
    if paragraph.startswith("|"):
        paragraph = paragraph.replace("|", "")
    return "".join(paragraph.split())[:_KEY_CHARS]


def locate(root: Any, paragraphs: Sequence[str]) -> list[Any | None]:
    """The element each paragraph's first words come from (None where it cannot be told).

    The page's text nodes are joined without whitespace (markup splits words differently from
    trafilatura's text), and each line's beginning is searched for in reading order after the previous
    line's, then anywhere: a heading repeated in a table of contents above is not the heading below.
    """
    owners: list[Any] = []
    starts: list[int] = []
    pieces: list[str] = []
    offset = 0
    # One XPath for all text nodes (in reading order) is cheaper than a walk over the elements; the
    # text inside scripts and styles is filtered here, which is cheaper than in the XPath.
    for node in root.xpath("//body//text()"):
        text = "".join(node.split())
        if not text:
            continue
        owner = node.getparent()
        if node.is_tail:
            owner = owner.getparent()
        elif owner.tag in UNSEEN_TAGS:
            continue
        if owner is None:
            continue
        owners.append(owner)
        starts.append(offset)
        pieces.append(text)
        offset += len(text)
    page = "".join(pieces)
    found: list[Any | None] = []
    cursor = 0
    for paragraph in paragraphs:
        key = _key(paragraph)
        if len(key) < _MIN_KEY_CHARS:
            found.append(None)
            continue
        at = page.find(key, cursor)
        if at < 0:
            at = page.find(key)
        if at < 0:
            found.append(None)
            continue
        cursor = at + len(key)
        found.append(owners[bisect_right(starts, at) - 1])
    return found


def main_container(paragraphs: Sequence[str], elements: Sequence[Any | None]) -> Any | None:
    """The deepest element that holds :data:`MAIN_SHARE` of the located paragraphs' words."""
    words: dict[Any, int] = {}
    depth: dict[Any, int] = {}
    total = 0
    for paragraph, element in zip(paragraphs, elements, strict=True):
        if element is None:
            continue
        count = len(paragraph.split())
        total += count
        chain = self_and_ancestors(element)
        for level, ancestor in enumerate(chain):
            words[ancestor] = words.get(ancestor, 0) + count
            depth[ancestor] = len(chain) - level
    if not total:
        return None
    # The elements holding a share above one half are nested in one another: the deepest is the one.
    holding = [element for element, count in words.items() if count >= MAIN_SHARE * total]
    return max(holding, key=depth.__getitem__, default=None)


def end_of_container(elements: Sequence[Any | None], container: Any) -> int:
    """Where the run of lines at the end that come from outside ``container`` begins (the number of
    lines when there is none). A line whose place in the page cannot be told ends the run: it is kept,
    with everything above it."""
    end = len(elements)
    while end > 0:
        element = elements[end - 1]
        if element is None or any(ancestor is container for ancestor in self_and_ancestors(element)):
            break
        end -= 1
    return end


def revise_by_structure(paragraphs: list[str], root: Any, *, restore_left_out: bool = True,
                        after_container: bool = True, widgets: bool = True, marked: bool = True) -> list[str]:
    """``paragraphs`` with the container's paragraphs trafilatura left out put back
    (``restore_left_out``, see :mod:`newsmill.clean.restore`), without the lines after the article's
    container (``after_container``) and without the lines of page controls (``widgets``, see
    :mod:`newsmill.clean.widgets`) and of small boxes the markup names as furniture (``marked``, see
    :mod:`newsmill.clean.marks`). Unchanged when the page did not parse or no container holds most
    of the body."""
    if root is None or len(paragraphs) < 2 or not (restore_left_out or after_container or widgets or marked):
        return paragraphs
    elements = locate(root, paragraphs)
    container = main_container(paragraphs, elements)
    if container is None:
        return paragraphs
    if restore_left_out:
        paragraphs, elements = restore(paragraphs, elements, container)
    end = end_of_container(elements, container) if after_container else len(paragraphs)
    dropped = widget_lines(root, elements, container) if widgets else set()
    if marked:
        dropped |= marked_lines(paragraphs, elements, container)
    return [paragraph for index, paragraph in enumerate(paragraphs[:end]) if index not in dropped]
