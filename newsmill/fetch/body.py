"""Reading a response body within limits: a cap on the bytes on the wire, a cap on what they inflate
to, and the fetch deadline between chunks.

httpx would decompress gzip, deflate and brotli by itself without any bound, so a 1 MB response can
become 1 GB in memory. We ask for ``gzip`` only (``Accept-Encoding``), read the raw bytes and inflate
them ourselves, never producing more than the cap.
"""

from __future__ import annotations

import io
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
    """Inflates a body chunk by chunk into ``out``, never past ``limit`` bytes in all.

    A gzip body may hold several members one after the other (RFC 1952 §2.2; servers that compress
    as they go send one per flush): each member's end starts the next, as ``gzip -d`` does.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._wbits = _INFLATERS[encoding]
        self._zlib = zlib.decompressobj(self._wbits)
        self._multi_member = self._wbits > zlib.MAX_WBITS
        self._limit = limit
        self.produced = 0

    def feed(self, data: bytes, out: io.BytesIO) -> None:
        try:
            while data:
                if self._zlib.eof:
                    if not self._multi_member:
                        break  # a zlib stream has one member; what follows it is ignored
                    # Zero padding after the last member is tolerated, as gzip(1) does; a gzip
                    # member never starts with a zero byte.
                    data = data.lstrip(b"\0")
                    if not data:
                        break
                    self._zlib = zlib.decompressobj(self._wbits)
                # Ask for one byte more than the remaining allowance: getting it proves the overflow
                # without ever holding more than the limit.
                piece = self._zlib.decompress(data, self._limit - self.produced + 1)
                self.produced += len(piece)
                if self.produced > self._limit:
                    raise BodyError(taxonomy.TOO_LARGE, f"body inflates past {self._limit} bytes")
                out.write(piece)
                data = self._zlib.unconsumed_tail or self._zlib.unused_data
        except zlib.error as exc:
            raise BodyError(taxonomy.DECODING_ERROR, f"corrupt compressed body: {exc}") from None


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
    # BytesIO grows its one buffer in place and getvalue() hands that buffer over without a copy: the
    # body costs its own size once (a bytearray would need a second, full copy to become bytes).
    body = io.BytesIO()
    for chunk in response.iter_raw():
        received += len(chunk)
        try:
            if received > max_bytes:
                raise BodyError(taxonomy.TOO_LARGE, f"body exceeds {max_bytes} bytes")
            if inflater is not None:
                inflater.feed(chunk, body)
            else:
                body.write(chunk)
        except BodyError as exc:
            if truncate and exc.code == taxonomy.TOO_LARGE:
                return body.getvalue()  # never more than max_bytes: an overflowing piece is not written
            raise
        if deadline_passed():
            raise BodyError(taxonomy.TIMEOUT, "the fetch deadline passed while reading the body")
    return body.getvalue()


def gunzip_limited(data: bytes, max_bytes: int) -> bytes:
    """A gzip file's content (a ``sitemap.xml.gz`` served as a file, not as a Content-Encoding),
    inflated to at most ``max_bytes``."""
    out = io.BytesIO()
    _Inflater("gzip", max_bytes).feed(data, out)
    return out.getvalue()
