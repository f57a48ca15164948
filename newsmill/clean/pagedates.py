"""The dates a page states in its metadata: when it was published and when it was last modified.

trafilatura (htmldate) reports one day, the publication day it prefers (``original_date``), from the
metadata or, where that is silent, from an extensive search of the page. The record keeps that as
``published`` and adds ``modified`` from the metadata that says so: JSON-LD ``dateModified``,
``article:modified_time``, ``og:updated_time`` or microdata ``itemprop="dateModified"``. Each value
is reported with the source it came from, for the record's provenance; ``published`` is matched back
to the metadata that states its day, or else credited to htmldate's search.

Read by pattern: the page's JSON-LD may not parse, and the clean stage has no tree of its own.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import NamedTuple

_VALUE = r'["\']([^"\']{10,40})["\']'


def _meta(key: str) -> tuple[re.Pattern[str], ...]:
    """A ``<meta>`` tag naming ``key``, with its ``content`` after or before the name."""
    name = rf'(?:property|name|itemprop)=["\']{re.escape(key)}["\']'
    return (re.compile(rf"<meta[^>]+{name}[^>]*?content={_VALUE}", re.IGNORECASE),
            re.compile(rf"<meta[^>]+content={_VALUE}[^>]*?{name}", re.IGNORECASE))


_PUBLISHED_SOURCES: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("JSON-LD datePublished", (re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"'),)),
    ("article:published_time", _meta("article:published_time")),
    ("microdata datePublished", (re.compile(r'itemprop=["\']datePublished["\'][^>]*?(?:content|datetime)='
                                            + _VALUE, re.IGNORECASE),)),
)
_MODIFIED_SOURCES: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("JSON-LD dateModified", (re.compile(r'"dateModified"\s*:\s*"([^"]{10,40})"'),)),
    ("article:modified_time", _meta("article:modified_time")),
    ("og:updated_time", _meta("og:updated_time")),
    ("microdata dateModified", (re.compile(r'itemprop=["\']dateModified["\'][^>]*?(?:content|datetime)='
                                           + _VALUE, re.IGNORECASE),)),
)


class Stated(NamedTuple):
    """A date or date-time the page states, as ISO 8601, and where it says it."""

    value: str
    source: str


def _iso(raw: str) -> str | None:
    """``raw`` as ISO 8601 (a date-time when it has a time, else a date); None when it is not ISO."""
    text = raw.strip()
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp.isoformat() if ("T" in text or " " in text) else stamp.date().isoformat()


def _stated(html: str, sources: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]) -> list[Stated]:
    found: list[Stated] = []
    for source, patterns in sources:
        for pattern in patterns:
            for match in pattern.finditer(html):
                value = _iso(match.group(1))
                if value is not None:
                    found.append(Stated(value, source))
    return found


def published_source(html: str, published: str | None) -> str | None:
    """Which metadata states the day of ``published`` (``JSON-LD datePublished``…), or None when none
    does (htmldate found it in the page's text or address)."""
    if not published:
        return None
    day = published[:10]
    return next((stated.source for stated in _stated(html, _PUBLISHED_SOURCES) if stated.value[:10] == day), None)


def modified(html: str, published: str | None) -> Stated | None:
    """The last-modified date the metadata states, when it is not before ``published``'s day."""
    try:
        floor = date.fromisoformat(published[:10]) if published else None
    except ValueError:
        floor = None
    for stated in _stated(html, _MODIFIED_SOURCES):
        if floor is None or date.fromisoformat(stated.value[:10]) >= floor:
            return stated
    return None
