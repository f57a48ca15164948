"""Small facts about a parsed page's elements that several clean rules ask: which elements hold text a
reader never sees, the chain from an element up to the root, and whether an element holds much text."""

from __future__ import annotations

from typing import Any

UNSEEN_TAGS = frozenset({"script", "style", "noscript", "template"})
"""Elements whose text is never shown as the page's content."""


def self_and_ancestors(element: Any) -> list[Any]:
    """``element`` and every element around it, innermost first."""
    return [element, *element.iterancestors()]


def more_text_than(element: Any, limit: int) -> bool:
    """Whether ``element`` holds more than ``limit`` characters of visible text (whitespace not
    counted); stops reading as soon as it does."""
    total = 0
    for node in element.iter():
        if node is not element and node.tail:
            total += len("".join(node.tail.split()))
        if node.text and isinstance(node.tag, str) and node.tag not in UNSEEN_TAGS:
            total += len("".join(node.text.split()))
        if total > limit:
            return True
    return False
