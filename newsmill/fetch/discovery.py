"""Discovery on the producer: article URLs from feeds (RSS, Atom, JSON Feed) and sitemaps (indexes,
news sitemaps, text sitemaps, gzipped ones), every download through the safe, polite fetcher.

Feeds are read by feedparser (see :mod:`newsmill.fetch.feeds`), links and dates in one pass. Sitemaps
are parsed here, with a non-resolving, non-networking lxml parser, because trafilatura's ``sitemaps``
module keeps only ``<loc>`` and the ``--since`` filter needs ``<lastmod>`` and
``<news:publication_date>``. Every URL is checked and canonicalised with courlan, and a URL this job
(or, within the window, any job) already enqueued is skipped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import courlan
import redis
import structlog
from lxml import etree  # type: ignore[import-untyped]

from newsmill.decode import decode_html
from newsmill.errors import Deferred, Drop, Failure, Retryable
from newsmill.fetch.body import BodyError, gunzip_limited
from newsmill.fetch.feeds import feed_entries
from newsmill.fetch.fetcher import FetchDeferred, Fetched, Fetcher, Kind
from newsmill.fetch.options import FetchOptions
from newsmill.fetch.state import Resume, SeenUrls
from newsmill.ids import canonical_url
from newsmill.record import Source
from newsmill.retry import RetryPolicy

log = structlog.get_logger("newsmill.discovery")

MAX_SITEMAPS = 1000
"""Sitemap files followed from one input at most (indexes can nest and loop)."""
MAX_ATTEMPTS = 3
_RETRIES = RetryPolicy(max_retries=MAX_ATTEMPTS - 1, cap=30.0)
_GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class DiscoveryOptions:
    since: datetime | None = None
    """Skip feed entries, sitemap entries and child sitemaps dated before this (undated ones are kept)."""
    max_sitemaps: int = MAX_SITEMAPS


class DiscoveryError(Exception):
    """A feed or sitemap named by the user could not be read."""


def fetch_patiently(fetcher: Fetcher, url: str, kind: Kind, *, sleep: Callable[[float], None] = time.sleep
                    ) -> Fetched:
    """Fetch on the producer, where waiting is fine: deferrals are slept off, retryable failures
    retried a few times with back-off; anything else raises :class:`DiscoveryError`."""
    resume: Resume | None = None
    attempt = 0
    while True:
        try:
            return fetcher.fetch(url, kind=kind, resume=resume)
        except FetchDeferred as deferred:
            resume = deferred.resume
            sleep(deferred.delay)
        except Deferred as deferred:
            sleep(deferred.delay)
        except Retryable as exc:
            if _RETRIES.exhausted(attempt):
                raise DiscoveryError(f"{url}: {exc.code} {exc.message}") from None
            resume = None
            sleep(_RETRIES.delay(attempt, exc.retry_after))
            attempt += 1
        except Drop as exc:
            raise DiscoveryError(f"{url}: {exc.reason} {exc.message}") from None
        except Failure as exc:
            raise DiscoveryError(f"{url}: {exc.code} {exc.message}") from None


@dataclass(frozen=True)
class SitemapEntries:
    pages: list[tuple[str, datetime | None]]
    sitemaps: list[tuple[str, datetime | None]]


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _date(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_xml(data: bytes) -> Any:
    """The root element of a feed or sitemap, or None: entities are not expanded, nothing is fetched,
    and broken markup is read as far as it goes."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def parse_sitemap(data: bytes) -> SitemapEntries:
    """Pages and child sitemaps of an XML sitemap (urlset or sitemapindex) or a text sitemap, each with
    its date: ``news:publication_date`` if present, else ``lastmod``."""
    pages: list[tuple[str, datetime | None]] = []
    sitemaps: list[tuple[str, datetime | None]] = []
    if data.lstrip()[:1] != b"<":
        for line in data.decode("utf-8", errors="replace").splitlines():
            if line.strip().startswith(("http://", "https://")):
                pages.append((line.strip(), None))
        return SitemapEntries(pages, sitemaps)
    root = _parse_xml(data)
    if root is None:
        return SitemapEntries(pages, sitemaps)
    for entry in root:
        kind = _local(entry.tag)
        if kind not in ("url", "sitemap"):
            continue
        loc, lastmod, published = None, None, None
        for child in entry.iter():
            name = _local(child.tag)
            if name == "loc" and loc is None and child.text:
                loc = child.text.strip()
            elif name == "lastmod":
                lastmod = _date(child.text)
            elif name == "publication_date":
                published = _date(child.text)
        if loc:
            (pages if kind == "url" else sitemaps).append((loc, published or lastmod))
    return SitemapEntries(pages, sitemaps)


def _recent(when: datetime | None, since: datetime | None) -> bool:
    # An entry without a date is kept: it may well be new, and a feed or sitemap is asked for on purpose.
    return since is None or when is None or when >= since


def sitemap_links(fetcher: Fetcher, sitemap_url: str, options: DiscoveryOptions) -> Iterator[str]:
    """Page URLs of a sitemap, following indexes breadth-first; child sitemaps that fail are logged and
    skipped, the one the user named must work."""
    queue = [sitemap_url]
    seen: set[str] = set()
    while queue and len(seen) < options.max_sitemaps:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            fetched = fetch_patiently(fetcher, url, "sitemap")
            data = fetched.body
            if data.startswith(_GZIP):
                data = gunzip_limited(data, fetcher.options.max_bytes)
        except (DiscoveryError, BodyError) as exc:
            if url == sitemap_url:
                raise DiscoveryError(str(exc)) from None
            log.warning("discovery.sitemap_failed", url=url, error=str(exc))
            continue
        entries = parse_sitemap(data)
        queue.extend(child for child, when in entries.sitemaps if _recent(when, options.since))
        yield from (page for page, when in entries.pages if _recent(when, options.since))


def feed_entry_dates(text: str, feed_url: str = "") -> dict[str, datetime]:
    """Each dated entry's link and date in an RSS, Atom or JSON feed."""
    return {entry.link: entry.published for entry in feed_entries(text, feed_url) if entry.published is not None}


def feed_article_links(fetcher: Fetcher, feed_url: str, since: datetime | None = None) -> list[str]:
    """Article links of a feed; with ``since``, entries dated before it are left out (undated ones stay)."""
    fetched = fetch_patiently(fetcher, feed_url, "feed")
    entries = feed_entries(decode_html(fetched.body, declared_charset=fetched.charset), feed_url)
    if since is None:
        return [entry.link for entry in entries]
    newest: dict[str | None, datetime] = {}
    for entry in entries:
        if entry.published is not None:
            # The same article listed twice (an update, a #comments link) counts from its newest entry.
            key = canonical_article_url(entry.link)
            newest[key] = max(entry.published, newest.get(key, entry.published))
    return [entry.link for entry in entries if _recent(newest.get(canonical_article_url(entry.link)), since)]


def listing_links(fetcher: Fetcher, fetched: Fetched, options: DiscoveryOptions | None = None) -> list[str]:
    """The article URLs of a fetched feed or sitemap, told apart by its content (a watched source may be
    either), canonical and each once, in listing order. A sitemap index's children are fetched (each
    that fails is logged and skipped)."""
    options = options or DiscoveryOptions()
    data = fetched.body
    if data.startswith(_GZIP):
        data = gunzip_limited(data, fetcher.options.max_bytes)
    head = data.lstrip()[:1]
    raw: list[str] = []
    if head not in (b"<", b"{") or _root_name(data) in ("urlset", "sitemapindex"):
        entries = parse_sitemap(data)
        raw = [page for page, when in entries.pages if _recent(when, options.since)]
        for child, when in entries.sitemaps[:options.max_sitemaps]:
            if not _recent(when, options.since):
                continue
            try:
                raw += sitemap_links(fetcher, child, options)
            except DiscoveryError as exc:
                log.warning("discovery.sitemap_failed", url=child, error=str(exc))
    else:
        text = decode_html(data, declared_charset=fetched.charset)
        raw = [entry.link for entry in feed_entries(text, fetched.url) if _recent(entry.published, options.since)]
    links = (canonical_article_url(url) for url in raw)
    return list(dict.fromkeys(link for link in links if link is not None))


_ROOT = re.compile(rb"<!--.*?-->|<[?!][^>]*>|<([A-Za-z_][\w.:-]*)", re.S)


def _root_name(data: bytes) -> str:
    """The local name of the first element (without parsing the document: feedparser does that once)."""
    for match in _ROOT.finditer(data, 0, 8192):
        if match.group(1):
            return match.group(1).decode("ascii", "replace").rsplit(":", 1)[-1].lower()
    return ""


def canonical_article_url(url: str) -> str | None:
    """courlan's verdict: the cleaned, normalised URL, or None for what is not a web page link."""
    checked = courlan.check_url(url, strict=False)
    # courlan keeps fragments; ids.canonical_url drops them (a fragment never names another article).
    return canonical_url(str(checked[0])) if checked else None


def discover(fetcher: Fetcher, job_id: str, *, feeds: Iterable[str], sitemaps: Iterable[str],
             seen: SeenUrls, options: DiscoveryOptions) -> Iterator[str]:
    """Every new article URL from ``feeds`` and ``sitemaps``, each once per job and window."""

    def found() -> Iterator[str]:
        for feed in feeds:
            yield from feed_article_links(fetcher, feed, options.since)
        for sitemap in sitemaps:
            yield from sitemap_links(fetcher, sitemap, options)

    for raw in found():
        url = canonical_article_url(raw)
        if url is not None and seen.first_sight(job_id, url):
            yield url


@dataclass(frozen=True)
class DiscoveryRequest:
    """What ``newsmill enqueue --feed … --sitemap … --since …`` asked for."""

    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    since: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.feeds or self.sitemaps)


def discovered_sources(request: DiscoveryRequest, job_id: str, *, options: FetchOptions,
                       client: redis.Redis, prefix: str) -> Iterator[Source]:
    """One ``url`` Source per new article URL, fetched on the producer with its own fetcher (same guard,
    same Redis politeness as the workers)."""
    fetcher = Fetcher(options, redis_client=client, prefix=prefix)
    seen = SeenUrls(client, prefix, window=options.seen_window)
    try:
        for url in discover(fetcher, job_id, feeds=request.feeds, sitemaps=request.sitemaps, seen=seen,
                            options=DiscoveryOptions(since=request.since)):
            yield Source(kind="url", location=url)
    finally:
        fetcher.close()


_AGO = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_AGO_UNITS = {"d": 86400, "h": 3600, "m": 60}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """``2024-05-01``, an ISO 8601 date-time (a value without a zone is UTC), or a time ago: ``2d``,
    ``12h``, ``30m``."""
    ago = _AGO.match(text)
    if ago:
        moment = now or datetime.now(UTC)
        return moment - timedelta(seconds=int(ago.group(1)) * _AGO_UNITS[ago.group(2)])
    value = _date(text)
    if value is None:
        raise ValueError(f"not an ISO 8601 date or a time ago like 2d, 12h, 30m: {text!r}")
    return value
