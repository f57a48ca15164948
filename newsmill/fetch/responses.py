"""Turning HTTP statuses and transport errors into the pipeline's outcomes, with their reason codes."""

from __future__ import annotations

import email.utils
import ssl
from datetime import UTC, datetime
from typing import TypeVar

import h11
import httpx

from newsmill.errors import Drop, Failure, Retryable
from newsmill.fetch import taxonomy
from newsmill.fetch.transport import deadline_passed

_E = TypeVar("_E", bound=BaseException)


def check_status(response: httpx.Response) -> None:
    """2xx passes; 429 and 5xx may pass later (retry); other codes end the article."""
    status = response.status_code
    if 200 <= status < 300:
        return
    label = f"{status} {response.reason_phrase}".strip()
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise Retryable(taxonomy.HTTP_429, label, retry_after=retry_after)
    if status >= 500:
        raise Retryable(taxonomy.HTTP_5XX, label, retry_after=retry_after)
    if status >= 400:
        raise Failure(taxonomy.HTTP_4XX, label)
    # 1xx, an unsolicited 304, or a 3xx without a Location header.
    raise Failure("unexpected_status", label)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or invalid."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def transport_failure(exc: httpx.RequestError) -> Failure | Drop:
    """Translate an httpx error into the pipeline's outcome: what may heal is ``Retryable``."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException) or deadline_passed():
        return Retryable(taxonomy.TIMEOUT, detail)
    if _cause(exc, ssl.SSLError) is not None:
        # A bad certificate or protocol mismatch will not fix itself within our retry window.
        return Failure(taxonomy.TLS_ERROR, detail)
    if _malformed_response(exc):
        return Failure(taxonomy.PROTOCOL_ERROR, detail)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Drop(taxonomy.BAD_SCHEME, detail)
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        # Includes DNS failures, refused connections and servers hanging up without a response.
        return Retryable(taxonomy.CONNECTION_ERROR, detail)
    if isinstance(exc, httpx.DecodingError):
        return Failure(taxonomy.DECODING_ERROR, detail)
    return Failure("request_error", detail)


def _malformed_response(exc: httpx.RequestError) -> bool:
    """The server's bytes broke HTTP/1.1 (h11 refused them), as opposed to the connection ending early.

    h11 reports both as ``RemoteProtocolError``; a connection closed before the body was complete is
    a network failure and may heal, a header too long to buffer (h11's 16 KiB) or a malformed status
    line will be sent again, byte for byte, on every retry.
    """
    cause = _cause(exc, h11.RemoteProtocolError)
    return cause is not None and not str(cause).startswith("peer closed connection")


def _cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first ``kind`` down the cause chain: httpx wraps ssl and h11 errors in its own."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
