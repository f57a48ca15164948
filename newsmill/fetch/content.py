"""What a response may contain: the media types allowed for each kind of fetch, checked against the
header before the body is read and against the first bytes after."""

from __future__ import annotations

from newsmill.decode import looks_binary, looks_html
from newsmill.errors import Drop
from newsmill.fetch import taxonomy

FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/feed+json", "application/json", "text/plain",
    # Servers label feeds as HTML often enough: the first bytes decide.
    "text/html",
})
SITEMAP_TYPES = frozenset({"application/xml", "text/xml", "text/plain", "application/x-gzip",
                           "application/gzip", "application/octet-stream"})


def check_media_type(declared: str | None, allowed: frozenset[str]) -> None:
    """``Drop(not_html)`` when the server names a type outside ``allowed``; no header passes (sniffed)."""
    if declared is not None and declared not in allowed:
        raise Drop(taxonomy.NOT_HTML, f"content-type {declared}")


def check_body(body: bytes, *, declared: str | None, html: bool) -> None:
    """The first bytes must agree with the kind of fetch: HTML pages look like HTML, never binary."""
    if not body or body.isspace():  # not strip(): that would copy the whole body
        raise Drop(taxonomy.EMPTY)
    if html:
        if looks_binary(body):
            raise Drop(taxonomy.NOT_HTML, "the body is binary")
        if declared is None and not looks_html(body):
            raise Drop(taxonomy.NOT_HTML, "no content-type, and the body does not look like HTML")
