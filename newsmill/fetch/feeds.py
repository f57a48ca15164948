"""Feed entries: each article link of an RSS, Atom or JSON Feed with the date the feed gives it.

RSS and Atom are read by feedparser, which parses the XML once for both links and dates and knows
their many dialects (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, ``dc:date``, ``xml:base``). feedparser has no JSON
Feed reader, and JSON Feed is plain JSON with two keys that matter, so that is read here.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser  # type: ignore[import-untyped]

# A DOCTYPE with an internal subset, where entities are declared. Feeds have no use for one, and
# expat expands declared entities up to its amplification limit (megabytes) before it gives up,
# which feedparser's Python handlers then take tens of seconds to consume.
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class FeedEntry:
    link: str
    """Absolute (resolved against the feed's URL)."""
    published: datetime | None
    """When the entry appeared (UTC), or None when the feed gives no date it can be read from."""


def feed_entries(text: str, feed_url: str = "") -> list[FeedEntry]:
    """The entries of an RSS, Atom or JSON feed that link somewhere, in feed order; [] for anything else."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return _json_feed_entries(stripped, feed_url)
    return _xml_feed_entries(stripped, feed_url)


def _xml_feed_entries(text: str, feed_url: str) -> list[FeedEntry]:
    # A stream, never the string: feedparser fetches a string that looks like a URL and opens one
    # that names a local file. The text is already decoded, so the header says it is UTF-8 now.
    parsed = feedparser.parse(
        io.BytesIO(_DOCTYPE.sub("", text, count=1).encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": feed_url},
        sanitize_html=False,  # only links and dates are read: no point cleaning summaries
        resolve_relative_uris=False,
    )
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if isinstance(link, str) and link.strip():
            # Atom's published says when the article appeared; updated (and RSS's dc:date, which
            # feedparser files under it) is the fallback, a later edit being later than the article.
            when = entry.get("published_parsed") or entry.get("updated_parsed")
            entries.append(FeedEntry(urljoin(feed_url, link.strip()), _utc(when)))
    return entries


def _utc(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _json_feed_entries(text: str, feed_url: str) -> list[FeedEntry]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return []
    items = data.get("items") if isinstance(data, dict) else None
    entries = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url") or _url_id(item.get("id"))
        if isinstance(link, str) and link.strip():
            when = _iso_date(item.get("date_published") or item.get("date_modified"))
            entries.append(FeedEntry(urljoin(feed_url, link.strip()), when))
    return entries


def _url_id(value: Any) -> str | None:
    # Many JSON feeds leave out ``url`` and give the permalink as the item's ``id``.
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _iso_date(value: Any) -> datetime | None:
    """JSON Feed dates are RFC 3339; a value without a zone is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
