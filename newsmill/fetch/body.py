"""Reading a response body within limits: a cap on the bytes on the wire, a cap on what they inflate
to, and the fetch deadline between chunks.

httpx would decompress gzip, deflate and brotli by itself without any bound, so a 1 MB response can
become 1 GB in memory. We ask for ``gzip`` only (``Accept-Encoding``), read the raw bytes and inflate
them ourselves, never producing more than the cap.
"""

from __future__ import annotations

import zlib

import httpx

from newsmill.fetch import taxonomy
from newsmill.fetch.transport import deadline_passed

ACCEPT_ENCODING = "gzip"

_INFLATERS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,  # servers send it unasked; zlib-wrapped, as RFC 9110 says
}


class BodyError(Exception):
    """The body broke a limit; ``code`` is the reason code (``too_large``, ``timeout``, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Inflater:
    def __init__(self, encoding: str, limit: int) -> None:
        self._zlib = zlib.decompressobj(_INFLATERS[encoding])
        self._limit = limit
        self.produced = 0

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        try:
            while data:
                # Ask for one byte more than the remaining allowance: getting it proves the overflow
                # without ever holding more than the limit.
                piece = self._zlib.decompress(data, self._limit - self.produced + 1)
                self.produced += len(piece)
                out += piece
                if self.produced > self._limit:
                    raise BodyError(taxonomy.TOO_LARGE, f"body inflates past {self._limit} bytes")
                data = self._zlib.unconsumed_tail
                if self._zlib.eof:
                    break
        except zlib.error as exc:
            raise BodyError(taxonomy.DECODING_ERROR, f"corrupt compressed body: {exc}") from None
        return bytes(out)


def read_limited(response: httpx.Response, max_bytes: int, *, truncate: bool = False) -> bytes:
    """The decoded body, or :class:`BodyError` as soon as it passes ``max_bytes`` (on the wire or
    inflated) or the fetch deadline passes. ``truncate``: return the first ``max_bytes`` instead of
    failing (robots.txt, sniffing a refusal page)."""
    length = response.headers.get("Content-Length", "")
    if not truncate and length.isdigit() and int(length) > max_bytes:
        raise BodyError(taxonomy.TOO_LARGE, f"Content-Length {length}, limit {max_bytes}")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    inflater: _Inflater | None = None
    if encoding not in ("", "identity"):
        if encoding not in _INFLATERS:
            raise BodyError(taxonomy.DECODING_ERROR, f"unsupported Content-Encoding {encoding!r}")
        inflater = _Inflater(encoding, max_bytes)
    received = 0
    body = bytearray()
    for chunk in response.iter_raw():
        received += len(chunk)
        try:
            if received > max_bytes:
                raise BodyError(taxonomy.TOO_LARGE, f"body exceeds {max_bytes} bytes")
            body += inflater.feed(chunk) if inflater is not None else chunk
        except BodyError as exc:
            if truncate and exc.code == taxonomy.TOO_LARGE:
                return bytes(body[:max_bytes])
            raise
        if deadline_passed():
            raise BodyError(taxonomy.TIMEOUT, "the fetch deadline passed while reading the body")
    return bytes(body)


def gunzip_limited(data: bytes, max_bytes: int) -> bytes:
    """A gzip file's content (a ``sitemap.xml.gz`` served as a file, not as a Content-Encoding),
    inflated to at most ``max_bytes``."""
    return _Inflater("gzip", max_bytes).feed(data)
