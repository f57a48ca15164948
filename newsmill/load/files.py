"""The load stage: read a local file, one line of a JSONL file or one WARC record into a :class:`Document`.

Every read is bounded by ``max_bytes`` (also after gzip decompression), because a worker shares its
memory with other tasks and one huge or hostile file must not take it down.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import stat
import zlib
from typing import Any, BinaryIO

from newsmill import __version__
from newsmill.decode import decode_html, decode_text, looks_binary, looks_html
from newsmill.errors import Drop, Failure
from newsmill.ids import id_for_content, id_for_url
from newsmill.load.inputs import file_format, is_http_url
from newsmill.record import ContentKind, Document, StageRun, WorkItem

VERSION = f"newsmill-load {__version__}"

_HINT_FIELDS = ("title", "published", "description", "language", "site_name")
_CONTENT_FIELDS: tuple[tuple[str, ContentKind], ...] = (("html", "html"), ("text", "text"))
_SKIP_CHUNK = 64 * 1024


def load_file(item: WorkItem, *, max_bytes: int) -> Document:
    """Load a ``file``, ``jsonl`` or ``warc`` source; raises ``Drop`` or ``Failure`` with a reason code."""
    if item.source.kind == "file":
        document = _load_whole_file(item, max_bytes)
    elif item.source.kind == "jsonl":
        document = _load_jsonl_line(item, max_bytes)
    elif item.source.kind == "unsupported":
        raise Drop("unsupported_type", f"{os.path.basename(item.source.location)}: not a type newsmill reads "
                   "(.html .htm .xhtml .txt .json .jsonl .warc, optionally .gz); name the file on its own to "
                   "have its content sniffed")
    elif item.source.kind == "warc":
        from newsmill.load.warc import load_warc_record  # imports warcio only when a WARC is loaded

        document = load_warc_record(item, max_bytes=max_bytes)
    else:
        raise ValueError(f"load_file cannot load a {item.source.kind!r} source; fetch it instead")
    run = StageRun(stage="load", version=VERSION)
    return dataclasses.replace(document, provenance=(*document.provenance, run))


def _load_whole_file(item: WorkItem, max_bytes: int) -> Document:
    path = item.source.location
    raw = _read_gzip(path, max_bytes) if path.lower().endswith(".gz") else _read_plain(path, max_bytes)
    if not raw.strip():
        raise Drop("empty")
    if looks_binary(raw):
        raise Drop("binary")
    kind: ContentKind = "html" if file_format(os.path.basename(path)) == "html" or looks_html(raw) \
        else "text"
    body = decode_html(raw) if kind == "html" else decode_text(raw)
    if not body.strip():
        raise Drop("empty")
    return Document(item=item, id=id_for_content(raw), content_kind=kind, body=body)


def _open_regular(path: str) -> int:
    """Open ``path`` for reading, refusing FIFOs and devices (reading one could block forever)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise Failure("unreadable", f"not a regular file: {path}")
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise Failure("unreadable", f"file vanished: {path}") from None
    except OSError as exc:
        raise Failure("unreadable", f"{exc.strerror or exc}: {path}") from None


def _read_plain(path: str, max_bytes: int) -> bytes:
    fd = _open_regular(path)
    try:
        with os.fdopen(fd, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                raise Failure("too_large", f"{size} bytes, limit {max_bytes}")
            # Read one byte past the limit: the file may have grown since fstat.
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise Failure("unreadable", f"{exc.strerror or exc}: {path}") from None
    if len(data) > max_bytes:
        raise Failure("too_large", f"more than {max_bytes} bytes")
    return data


def _read_gzip(path: str, max_bytes: int) -> bytes:
    """Decompress at most ``max_bytes + 1`` bytes: GzipFile.read(n) never inflates more than n."""
    fd = _open_regular(path)
    try:
        with os.fdopen(fd, "rb") as compressed, gzip.GzipFile(fileobj=compressed, mode="rb") as file:
            data = file.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Failure("unreadable", f"not a valid gzip file ({exc}): {path}") from None
    if len(data) > max_bytes:
        raise Failure("too_large", f"decompresses to more than {max_bytes} bytes")
    return data


def _load_jsonl_line(item: WorkItem, max_bytes: int) -> Document:
    raw = _read_line(item.source.location, item.source.offset, item.source.line, max_bytes)
    if not raw.strip():
        raise Drop("empty")
    text = decode_text(raw)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Drop("invalid_json", str(exc)) from None
    if not isinstance(data, dict):
        raise Drop("invalid_json", f"expected a JSON object, got {type(data).__name__}")
    kind, body = _content(data)
    hints = _hints(data)
    url = hints.get("url")
    doc_id = id_for_url(url) if isinstance(url, str) else id_for_content(body)
    return Document(item=item, id=doc_id, content_kind=kind, body=body,
                    url=url if isinstance(url, str) else None, hints=hints)


def _read_line(path: str, offset: int | None, line: int | None, max_bytes: int) -> bytes:
    """The line at ``offset`` (or, without one, line number ``line``), at most ``max_bytes`` long."""
    fd = _open_regular(path)
    try:
        with os.fdopen(fd, "rb") as file:
            if offset is not None:
                file.seek(offset)
            else:
                _skip_lines(file, (line or 1) - 1)
            data = file.readline(max_bytes + 1)
    except OSError as exc:
        raise Failure("unreadable", f"{exc.strerror or exc}: {path}") from None
    if not data:
        raise Failure("unreadable", f"line {line} not found in {path}; was the file changed?")
    if len(data) > max_bytes and not data.endswith(b"\n"):
        raise Failure("too_large", f"line {line} is longer than {max_bytes} bytes")
    return data


def _skip_lines(file: BinaryIO, count: int) -> None:
    for _ in range(count):
        while (piece := file.readline(_SKIP_CHUNK)) and not piece.endswith(b"\n"):
            pass


def _content(data: dict[str, Any]) -> tuple[ContentKind, str]:
    """The article body of a JSON object: ``html`` preferred (it still carries metadata), else ``text``."""
    for field, kind in _CONTENT_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise Drop("no_content", f"{field!r} is a {type(value).__name__}, not a string")
        if not value.strip():
            raise Drop("empty", f"{field!r} is blank")
        return kind, value
    raise Drop("no_content", "the object has neither 'html' nor 'text'")


def _hints(data: dict[str, Any]) -> dict[str, Any]:
    """Metadata the input supplies itself; values of the wrong type are ignored, not fatal."""
    hints: dict[str, Any] = {}
    url = data.get("url")
    if isinstance(url, str) and is_http_url(url.strip()):
        hints["url"] = url.strip()
    for name in _HINT_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            hints[name] = value.strip()
    authors = data.get("authors")
    if isinstance(authors, str):
        authors = [authors]
    if isinstance(authors, list):
        names = [name.strip() for name in authors if isinstance(name, str) and name.strip()]
        if names:
            hints["authors"] = names
    return hints
