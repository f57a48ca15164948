"""Every way a fetch can end, as one stable reason code, and which record status each code gives.

``dropped``: the input was refused by policy before anything was fetched, or what came back is not an
article. ``failed``: the source could not be read (these also go to the dead-letter stream).
Retryable codes are retried with back-off first and end ``failed`` when the attempts run out.
"""

from __future__ import annotations

from newsmill.errors import Drop, Failure, Retryable

# Refused before any connection (policy), or not an article: status dropped.
BAD_SCHEME = "bad_scheme"
BLOCKED_ADDRESS = "blocked_address"
ROBOTS_DISALLOWED = "robots_disallowed"
NOT_HTML = "not_html"
EMPTY = "empty"
INVALID_URL = "invalid_url"

# The source could not be read: status failed.
TIMEOUT = "timeout"
TOO_LARGE = "too_large"
TOO_MANY_REDIRECTS = "too_many_redirects"
TLS_ERROR = "tls_error"
PROTOCOL_ERROR = "protocol_error"
"""A response that breaks HTTP/1.1 (a 1 MiB header, a malformed status line): it will not heal."""
CONNECTION_ERROR = "connection_error"
CHALLENGE = "challenge"
HTTP_4XX = "http_4xx"
HTTP_5XX = "http_5xx"
HTTP_429 = "http_429"
DECODING_ERROR = "decoding_error"
"""A Content-Encoding we did not ask for, or a corrupt gzip stream."""

DROPPED = frozenset({BAD_SCHEME, BLOCKED_ADDRESS, ROBOTS_DISALLOWED, NOT_HTML, EMPTY, INVALID_URL})
RETRYABLE = frozenset({TIMEOUT, CONNECTION_ERROR, HTTP_429, HTTP_5XX})
CODES = DROPPED | RETRYABLE | {TOO_LARGE, TOO_MANY_REDIRECTS, TLS_ERROR, PROTOCOL_ERROR, CHALLENGE, HTTP_4XX,
                               DECODING_ERROR}


def outcome(code: str, message: str = "", *, retry_after: float | None = None) -> Drop | Failure:
    """The exception that ends a fetch with ``code``: Drop, Retryable or Failure, by the table above."""
    if code in DROPPED:
        return Drop(code, message)
    if code in RETRYABLE:
        return Retryable(code, message, retry_after=retry_after)
    return Failure(code, message)
