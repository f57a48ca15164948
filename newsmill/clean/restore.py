"""Paragraphs of the article's container that trafilatura left out.

trafilatura discards elements by their class and id, and some of those words mark real article text
on some sites: a ``slide`` of a listicle, an ``expand``-able accordion panel holding half the guide, a
``widget`` that is a page builder's text block. The article's container then holds much more text than
the extracted body. Its paragraphs that are marked up like the paragraphs trafilatura did keep (the
same class, or a parent of the same kind), read as prose (a sentence's length, few links) and sit
outside figures, asides, navigation, forms, quotes and tables are the same article's, and go back in
at their place in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MIN_CONTAINER_SHARE = 1.3
"""Paragraphs are looked for only when the container holds at least this many times the extracted
body's characters (whitespace not counted): when trafilatura left out a quarter of it or more. On the
WCXB dev articles 1.3 restores the most article text for the least furniture on both halves; at 1.2
and below, captions and teasers that the markup does not tell from prose come back on more pages."""
MIN_WORDS = 12
"""A restored paragraph has at least this many words: a sentence, not a label or a button."""
MAX_LINK_SHARE = 0.3
"""At most this share of a restored paragraph's characters are link text: prose, not a teaser."""

_NOT_PROSE = frozenset({"figure", "figcaption", "aside", "nav", "footer", "form", "button", "blockquote",
                        "table", "script", "style", "noscript", "template"})
# A paragraph's text as a reader sees it: an inline <script> or <style> (tracking code, CSS-in-JS)
# inside a <p> is not part of it.
_VISIBLE_TEXT = ".//text()[not(parent::script or parent::style or parent::noscript or parent::template)]"


def _squashed(text: str) -> str:
    return "".join(text.split())


def _signature(element: Any) -> tuple[str, str]:
    return element.tag, " ".join((element.get("class") or "").split())


def _paragraph_of(element: Any) -> Any | None:
    """The ``<p>`` a line's first words come from (the element itself, or the ``<p>`` around an inline)."""
    for node in (element, *element.iterancestors()):
        if node.tag == "p":
            return node
        if node.tag in {"div", "section", "article", "main", "body", "li", "td"}:
            return None
    return None


def _prose(paragraph: Any, container: Any) -> str | None:
    """The paragraph's text when it reads as prose outside figures, asides and the like."""
    for node in paragraph.iterancestors():
        if node is container:
            break
        if node.tag in _NOT_PROSE:
            return None
    text = " ".join("".join(paragraph.xpath(_VISIBLE_TEXT)).split())
    if len(text.split()) < MIN_WORDS:
        return None
    links = sum(len(" ".join(link.text_content().split())) for link in paragraph.iter("a"))
    return None if links > MAX_LINK_SHARE * len(text) else text


def restore(paragraphs: Sequence[str], elements: Sequence[Any | None],
            container: Any) -> tuple[list[str], list[Any | None]]:
    """``paragraphs`` (located at ``elements``) with the container's left-out paragraphs put back in
    reading order, and the elements of the result."""
    body = _squashed("".join(paragraphs))
    if len(_squashed(container.text_content())) < MIN_CONTAINER_SHARE * len(body):
        return list(paragraphs), list(elements)
    kept = [paragraph for paragraph in (_paragraph_of(element) for element in elements if element is not None)
            if paragraph is not None]
    classes = {_signature(paragraph)[1] for paragraph in kept} - {""}
    parents = {_signature(paragraph.getparent()) for paragraph in kept if paragraph.getparent() is not None}
    restored: list[tuple[Any, str]] = []
    seen: set[str] = set()
    for paragraph in container.iter("p"):
        parent = paragraph.getparent()
        if not (_signature(paragraph)[1] in classes or (parent is not None and _signature(parent) in parents)):
            continue
        text = _prose(paragraph, container)
        if text is None:
            continue
        key = _squashed(text)[:60]
        if key in body or key in seen:
            continue
        seen.add(key)
        restored.append((paragraph, text))
    if not restored:
        return list(paragraphs), list(elements)
    order = {node: index for index, node in enumerate(container.iter())}
    merged: list[str] = []
    merged_elements: list[Any | None] = []
    pending = iter(restored)
    upcoming = next(pending, None)
    position = -1
    for paragraph, element in zip(paragraphs, elements, strict=True):
        # A line from outside the container (or from nowhere known) keeps the place of the line before it.
        position = order.get(element, position)
        while upcoming is not None and order[upcoming[0]] < position:
            merged.append(upcoming[1])
            merged_elements.append(upcoming[0])
            upcoming = next(pending, None)
        merged.append(paragraph)
        merged_elements.append(element)
    while upcoming is not None:
        merged.append(upcoming[1])
        merged_elements.append(upcoming[0])
        upcoming = next(pending, None)
    return merged, merged_elements
