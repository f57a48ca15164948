"""The fetch stage: GET one URL over HTTP(S) and return the decoded page as a :class:`Document`.

Each concern is one small function (scheme, redirects, status, content type, body size, transport
errors) so that hardening (SSRF guard, robots.txt, per-host politeness) can slot in as more of them.
Redirects are followed here, one hop at a time, rather than by httpx, so every hop can be checked.
"""

from __future__ import annotations

import email.utils
import ssl
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from newsmill import __version__
from newsmill.errors import Drop, Failure, Retryable
from newsmill.ids import id_for_url
from newsmill.load.decode import decode_html, looks_binary, looks_html
from newsmill.record import Document, StageRun, WorkItem
from newsmill.settings import FetchOptions

VERSION = f"newsmill-fetch {__version__}"

HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


def build_http_client(options: FetchOptions) -> httpx.Client:
    """The client one worker process shares across its fetches (connection pooling needs one)."""
    return httpx.Client(
        timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0),
        headers={"User-Agent": options.user_agent, "Accept": _ACCEPT},
        follow_redirects=False,
        # Proxies and CA bundles come from our settings, never from whatever a worker's env holds.
        trust_env=False,
    )


def fetch_url(item: WorkItem, *, client: httpx.Client, options: FetchOptions) -> Document:
    """Fetch ``item``'s URL; raises ``Drop``, ``Failure`` or ``Retryable`` with a reason code."""
    started = time.perf_counter()
    url = item.source.location
    check_scheme(url)
    try:
        response = _send_following_redirects(client, url, options.max_redirects)
        try:
            check_status(response)
            declared_html = check_content_type(response)
            body = read_body(response, options.max_bytes)
        finally:
            response.close()
    except httpx.RequestError as exc:
        raise transport_failure(exc) from exc
    _check_body(body, declared_html=declared_html)
    text = decode_html(body, declared_charset=response.charset_encoding)
    run = StageRun(stage="fetch", version=VERSION, duration_ms=(time.perf_counter() - started) * 1000)
    return Document(
        item=item,
        # The id comes from the URL as enqueued, so the producer knows it before anything is fetched.
        id=id_for_url(url),
        content_kind="html",
        body=text,
        url=str(response.url),
        provenance=(run,),
    )


def check_scheme(url: str) -> None:
    """Only http and https are fetched; everything else (file:, ftp:, data:) is dropped."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise Drop("invalid_url", str(exc)) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise Drop("bad_scheme", f"scheme {parts.scheme or '(none)'!r} in {url}")
    if not parts.hostname:
        raise Drop("invalid_url", f"no host in {url}")


def _send_following_redirects(client: httpx.Client, url: str, max_redirects: int) -> httpx.Response:
    """Send the GET and follow up to ``max_redirects`` redirects, checking each hop's scheme."""
    try:
        request = client.build_request("GET", url)
    except httpx.InvalidURL as exc:
        raise Drop("invalid_url", str(exc)) from None
    response = client.send(request, stream=True, follow_redirects=False)
    hops = 0
    # httpx builds the next request (relative Location, 303 → GET, headers) but leaves sending to us.
    while response.next_request is not None:
        response.close()
        hops += 1
        if hops > max_redirects:
            raise Failure("too_many_redirects", f"more than {max_redirects} redirects from {url}")
        request = response.next_request
        check_scheme(str(request.url))
        response = client.send(request, stream=True, follow_redirects=False)
    return response


def check_status(response: httpx.Response) -> None:
    """2xx passes; 429 and 5xx may pass later (retry); other codes end the article."""
    status = response.status_code
    if 200 <= status < 300:
        return
    label = f"{status} {response.reason_phrase}".strip()
    if status == 429:
        raise Retryable("http_429", label, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        raise Retryable("http_5xx", label, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 400:
        raise Failure("http_4xx", label)
    # 1xx, 304 (we never send a conditional request), or a 3xx without a Location header.
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


def check_content_type(response: httpx.Response) -> bool:
    """True if the server says HTML, False if it says nothing (sniff later); ``Drop`` for anything else.

    Checked before the body is read, so a PDF or video is never downloaded.
    """
    header = response.headers.get("Content-Type", "").strip()
    if not header:
        return False
    media_type = header.split(";", 1)[0].strip().lower()
    if media_type not in HTML_MEDIA_TYPES:
        raise Drop("not_html", f"content-type {media_type}")
    return True


def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The (content-decoded) body, streamed and abandoned as soon as it passes ``max_bytes``."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise Failure("too_large", f"Content-Length {length}, limit {max_bytes}")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise Failure("too_large", f"body exceeds {max_bytes} bytes")
    return bytes(body)


def _check_body(body: bytes, *, declared_html: bool) -> None:
    if not body.strip():
        raise Drop("empty")
    if looks_binary(body):
        raise Drop("not_html", "the body is binary")
    if not declared_html and not looks_html(body):
        raise Drop("not_html", "no content-type, and the body does not look like HTML")


def transport_failure(exc: httpx.RequestError) -> Failure | Drop:
    """Translate an httpx error into the pipeline's outcome: what may heal is ``Retryable``."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return Retryable("timeout", detail)
    if _caused_by_tls(exc):
        # A bad certificate or protocol mismatch will not fix itself within our retry window.
        return Failure("tls_error", detail)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Drop("bad_scheme", detail)
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        # Includes DNS failures, refused connections and servers hanging up without a response.
        return Retryable("connection_error", detail)
    if isinstance(exc, httpx.DecodingError):
        return Failure("decoding_error", detail)
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
