"""Small facts about a parsed page's elements that several clean rules ask: which elements hold text a
reader never sees, and the chain from an element up to the root."""

from __future__ import annotations

from typing import Any

UNSEEN_TAGS = frozenset({"script", "style", "noscript", "template"})
"""Elements whose text is never shown as the page's content."""


def self_and_ancestors(element: Any) -> list[Any]:
    """``element`` and every element around it, innermost first."""
    return [element, *element.iterancestors()]
