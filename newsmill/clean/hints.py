"""Metadata the input supplied itself (``Document.hints``): it overrides what the cleaners extract.

A JSONL line's ``title`` was written by whoever produced the data set and beats any guess made from
the page, so each usable hint becomes a record field and its provenance says ``input``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INPUT = "input"
"""Provenance of a field that came from the hints."""

_TEXT_FIELDS: dict[str, str] = {
    "title": "title",
    "published": "published",
    "modified": "modified",
    "description": "description",
    "site_name": "site_name",
    "sitename": "site_name",
    "language": "language",
    "url": "url",
}
_LIST_FIELDS: dict[str, str] = {
    "authors": "authors",
    "author": "authors",
    "categories": "categories",
    "tags": "tags",
}


def split_names(value: str) -> tuple[str, ...]:
    """``"A; B"`` → ``("A", "B")``: the list form trafilatura and many feeds use, blanks and repeats
    removed. Commas are left alone because ``"Smith, John"`` is one name."""
    names: list[str] = []
    for part in value.split(";"):
        name = " ".join(part.split())
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        text = " ".join(value.split())
        return text or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _as_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return split_names(value) or None
    if isinstance(value, list | tuple):
        items: list[str] = []
        for element in value:
            text = _as_text(element)
            if text and text not in items:
                items.append(text)
        return tuple(items) or None
    return None


def hint_overrides(hints: Mapping[str, Any]) -> dict[str, Any]:
    """Record field → value for every hint that is present and usable; empty hints override nothing."""
    overrides: dict[str, Any] = {}
    for key, value in hints.items():
        if key in _TEXT_FIELDS:
            text = _as_text(value)
            if text is not None:
                overrides.setdefault(_TEXT_FIELDS[key], text)
        elif key in _LIST_FIELDS:
            items = _as_list(value)
            if items is not None:
                overrides.setdefault(_LIST_FIELDS[key], items)
    return overrides
