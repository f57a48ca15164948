"""WARC files (web archives, as crawlers and Common Crawl's news crawl write them), read with warcio.

Discovery walks the archive once and yields one ``warc`` Source per captured HTML page: a ``response``
record with a 2xx HTTP status and an HTML content type (or a ``resource`` record of HTML), located by
its byte offset. Requests, metadata, revisits, redirects, error pages and non-HTML captures (images,
scripts, robots.txt) are not articles and are not enqueued, as a directory walk skips unknown files.
The load stage seeks to the offset and reads that one record: a ``.warc.gz`` is a series of gzip
members, one per record, so a worker never decompresses the archive from its start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsmill.decode import decode_html, looks_binary
from newsmill.errors import Drop, Failure
from newsmill.ids import id_for_content, id_for_url
from newsmill.mediatypes import HTML_TYPES, charset, media_type
from newsmill.record import Document, Source, WorkItem

_GZIP_START = b"\x1f\x8b"
_WARC_START = b"WARC/"


def _page_content_type(record: Any) -> str | None:
    """The captured page's Content-Type if ``record`` holds an HTML page worth loading, else None."""
    if record.rec_type == "response" and record.http_headers is not None:
        status = record.http_headers.get_statuscode() or ""
        content_type = record.http_headers.get_header("Content-Type")
        if status.startswith("2") and media_type(content_type) in HTML_TYPES:
            return str(content_type)
    elif record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type")
        if media_type(content_type) in HTML_TYPES:
            return str(content_type)
    return None


def warc_sources(path: Path) -> Iterator[Source]:
    """One Source per captured HTML page in the archive at ``path`` (``line`` is the record's 1-based
    position among all records, ``offset`` its byte offset). A damaged archive ends the walk there:
    what was found before the damage is still enqueued."""
    location = str(path)
    with path.open("rb") as file:
        records = ArchiveIterator(file, no_record_parse=False)
        try:
            for number, record in enumerate(records, start=1):
                if _page_content_type(record) is not None:
                    yield Source(kind="warc", location=location, line=number, offset=records.get_record_offset())
        except ArchiveLoadFailed:
            return


def load_warc_record(item: WorkItem, *, max_bytes: int) -> Document:
    """The page captured in the record at ``item.source.offset``; raises ``Drop`` or ``Failure``."""
    source = item.source
    try:
        with open(source.location, "rb") as file:
            file.seek(source.offset or 0)
            # A record starts with its gzip member or with "WARC/". Elsewhere warcio would skip ahead
            # to the next record it can read, which is another page, not this input (the file changed,
            # or the offset is wrong).
            if not file.read(len(_WARC_START)).startswith((_GZIP_START, _WARC_START)):
                raise Failure("unreadable", f"no WARC record starts at offset {source.offset} of {source.location}")
            file.seek(source.offset or 0)
            record = next(iter(ArchiveIterator(file)), None)
            if record is None:
                raise Failure("unreadable", f"no WARC record at offset {source.offset} of {source.location}")
            content_type = _page_content_type(record)
            if content_type is None:
                raise Drop("not_html", f"the record at offset {source.offset} is not a captured HTML page")
            # content_stream() undoes chunking and gzip/deflate content-encoding as it reads, so reading
            # one byte past the limit bounds the inflated size too.
            raw = record.content_stream().read(max_bytes + 1)
            url = record.rec_headers.get_header("WARC-Target-URI")
    except FileNotFoundError:
        raise Failure("unreadable", f"file vanished: {source.location}") from None
    except (OSError, ArchiveLoadFailed, ValueError) as exc:
        raise Failure("unreadable", f"damaged WARC record at offset {source.offset}: {exc}") from None
    if len(raw) > max_bytes:
        raise Failure("too_large", f"the captured page inflates to more than {max_bytes} bytes")
    if not raw.strip():
        raise Drop("empty")
    if looks_binary(raw):
        raise Drop("binary")
    body = decode_html(raw, declared_charset=charset(content_type))
    doc_id = id_for_url(url) if url else id_for_content(raw)
    return Document(item=item, id=doc_id, content_kind="html", body=body, url=url or None)
