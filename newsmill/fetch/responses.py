"""Turning HTTP statuses and transport errors into the pipeline's outcomes, with their reason codes."""

from __future__ import annotations

import email.utils
import ssl
from datetime import UTC, datetime

import httpx

from newsmill.errors import Drop, Failure, Retryable
from newsmill.fetch import taxonomy
from newsmill.fetch.transport import deadline_passed


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
    if _caused_by_tls(exc):
        # A bad certificate or protocol mismatch will not fix itself within our retry window.
        return Failure(taxonomy.TLS_ERROR, detail)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Drop(taxonomy.BAD_SCHEME, detail)
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        # Includes DNS failures, refused connections and servers hanging up without a response.
        return Retryable(taxonomy.CONNECTION_ERROR, detail)
    if isinstance(exc, httpx.DecodingError):
        return Failure(taxonomy.DECODING_ERROR, detail)
    return Failure("request_error", detail)


def _caused_by_tls(exc: BaseException) -> bool:
    """httpx wraps ssl errors in ConnectError; look down the cause chain for the original."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
