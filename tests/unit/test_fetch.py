"""The fetch stage against a real HTTP server on 127.0.0.1: outcomes for pages, errors and limits."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from newsmill.errors import Drop, Failure, Retryable
from newsmill.ids import id_for_url
from newsmill.load import build_http_client, fetch_url, parse_retry_after
from newsmill.record import Document, Source, WorkItem
from newsmill.settings import FetchOptions
from tests.httpserver import HTTPTestServer, Reply, page, redirect, status

OPTIONS = FetchOptions(connect_timeout=2.0, read_timeout=2.0, max_bytes=32 * 1024, max_redirects=3,
                       user_agent="newsmill-test/1.0")
HTML = "<!doctype html><html><head><title>Hello</title></head><body><p>Article text.</p></body></html>"
RUSSIAN = (
    "<html><head><title>Новости</title></head><body><p>Москва. Президент России провёл совещание "
    "с членами правительства, на котором обсуждались вопросы экономики и социальной политики.</p>"
    "</body></html>"
)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as running:
        running.route("/article", page(HTML))
        running.route("/moved", redirect("/article", status=301))
        running.route("/hop1", redirect("/moved"))
        running.route("/loop", redirect("/loop"))
        running.route("/to-ftp", redirect("ftp://127.0.0.1/file"))
        running.route("/missing", page("gone", content_type="text/plain", status=404))
        running.route("/busy", status(503, Retry_After="7"))
        running.route("/limited", status(429))
        running.route("/big", Reply(headers={"Content-Type": "text/html"},
                                    body=(b"<p>" + b"x" * 1024 for _ in range(100))))
        running.route("/big-declared", page("<html>" + "x" * 40_000))
        running.route("/report.pdf", page(b"%PDF-1.7\n...", content_type="application/pdf"))
        running.route("/ru", page(RUSSIAN.encode("cp1251"), content_type="text/html"))
        running.route("/no-type-html", page(HTML, content_type=""))
        running.route("/no-type-binary", page(b"\x89PNG\r\n\x1a\n\0\0\0", content_type=""))
        running.route("/xhtml", page(HTML, content_type="application/xhtml+xml; charset=utf-8"))
        running.route("/slow", Reply(body=HTML.encode(), headers={"Content-Type": "text/html"}, delay=1.0))
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with build_http_client(OPTIONS) as built:
        yield built


def _item(url: str) -> WorkItem:
    return WorkItem(job_id="job", source=Source(kind="url", location=url))


def _fetch(url: str, client: httpx.Client, options: FetchOptions = OPTIONS) -> Document:
    return fetch_url(_item(url), client=client, options=options)


def _raises(exc_type: type[Exception], url: str, client: httpx.Client) -> Exception:
    with pytest.raises(exc_type) as info:
        _fetch(url, client)
    return info.value


def test_html_page(server: HTTPTestServer, client: httpx.Client) -> None:
    """A normal page becomes an html Document with the URL id, our User-Agent sent."""
    url = server.url("/article")
    doc = _fetch(url, client)
    assert (doc.content_kind, doc.body, doc.url, doc.id) == ("html", HTML, url, id_for_url(url))
    assert [run.stage for run in doc.provenance] == ["fetch"]
    assert server.requests[-1].headers["user-agent"] == "newsmill-test/1.0"


def test_redirects_are_followed(server: HTTPTestServer, client: httpx.Client) -> None:
    """Redirects are followed; url is the final URL while the id stays the enqueued URL's."""
    doc = _fetch(server.url("/hop1"), client)
    assert doc.body == HTML
    assert doc.url == server.url("/article")
    assert doc.id == id_for_url(server.url("/hop1"))


def test_redirect_loop(server: HTTPTestServer, client: httpx.Client) -> None:
    """More than max_redirects hops fails as too_many_redirects."""
    error = _raises(Failure, server.url("/loop"), client)
    assert isinstance(error, Failure) and error.code == "too_many_redirects"


def test_redirect_to_other_scheme(server: HTTPTestServer, client: httpx.Client) -> None:
    """A redirect to a non-http scheme is dropped as bad_scheme, not followed."""
    error = _raises(Drop, server.url("/to-ftp"), client)
    assert isinstance(error, Drop) and error.reason == "bad_scheme"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)"])
def test_bad_scheme(client: httpx.Client, url: str) -> None:
    """Only http and https are fetched; other schemes are dropped before any connection."""
    error = _raises(Drop, url, client)
    assert isinstance(error, Drop) and error.reason == "bad_scheme"


def test_404(server: HTTPTestServer, client: httpx.Client) -> None:
    """A 404 fails (no retry) with the status line as message."""
    error = _raises(Failure, server.url("/missing"), client)
    assert type(error) is Failure
    assert (error.code, error.message) == ("http_4xx", "404 Not Found")


def test_503_with_retry_after(server: HTTPTestServer, client: httpx.Client) -> None:
    """A 503 is retryable and carries the server's Retry-After in seconds."""
    error = _raises(Retryable, server.url("/busy"), client)
    assert isinstance(error, Retryable)
    assert (error.code, error.retry_after) == ("http_5xx", 7.0)


def test_429_without_retry_after(server: HTTPTestServer, client: httpx.Client) -> None:
    """A 429 is retryable; no Retry-After header means retry_after is None."""
    error = _raises(Retryable, server.url("/limited"), client)
    assert isinstance(error, Retryable)
    assert (error.code, error.retry_after) == ("http_429", None)


def test_parse_retry_after_http_date() -> None:
    """Retry-After as an HTTP-date becomes seconds from now; garbage becomes None."""
    in_30s = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = parse_retry_after(in_30s)
    assert seconds is not None and 27 <= seconds <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(email.utils.formatdate(time.time() - 60, usegmt=True)) == 0.0


def test_streamed_body_too_large(server: HTTPTestServer, client: httpx.Client) -> None:
    """A chunked body without Content-Length is cut off at max_bytes and fails as too_large."""
    error = _raises(Failure, server.url("/big"), client)
    assert isinstance(error, Failure) and error.code == "too_large"


def test_declared_length_too_large(server: HTTPTestServer, client: httpx.Client) -> None:
    """A Content-Length over max_bytes fails as too_large before the body is read."""
    error = _raises(Failure, server.url("/big-declared"), client)
    assert isinstance(error, Failure) and error.code == "too_large"


def test_pdf_is_not_html(server: HTTPTestServer, client: httpx.Client) -> None:
    """A PDF content-type is dropped as not_html."""
    error = _raises(Drop, server.url("/report.pdf"), client)
    assert isinstance(error, Drop) and error.reason == "not_html"


def test_windows_1251_without_charset(server: HTTPTestServer, client: httpx.Client) -> None:
    """A windows-1251 page with no charset in header or markup is still decoded correctly."""
    assert "Москва" in _fetch(server.url("/ru"), client).body


def test_xhtml_is_accepted(server: HTTPTestServer, client: httpx.Client) -> None:
    """application/xhtml+xml counts as HTML."""
    assert _fetch(server.url("/xhtml"), client).body == HTML


def test_missing_content_type_is_sniffed(server: HTTPTestServer, client: httpx.Client) -> None:
    """Without a Content-Type, HTML-looking bodies are kept and binary ones dropped."""
    assert _fetch(server.url("/no-type-html"), client).body == HTML
    error = _raises(Drop, server.url("/no-type-binary"), client)
    assert isinstance(error, Drop) and error.reason == "not_html"


def test_slow_server_times_out(server: HTTPTestServer) -> None:
    """A server slower than the read timeout gives a retryable timeout."""
    options = FetchOptions(connect_timeout=1.0, read_timeout=0.2, max_bytes=OPTIONS.max_bytes)
    with build_http_client(options) as quick, pytest.raises(Retryable) as info:
        _fetch(server.url("/slow"), quick, options)
    assert info.value.code == "timeout"


def test_connection_refused(client: httpx.Client) -> None:
    """Nothing listening on the port is a retryable connection_error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = _raises(Retryable, f"http://127.0.0.1:{port}/", client)
    assert isinstance(error, Retryable) and error.code == "connection_error"


def test_tls_error(server: HTTPTestServer, client: httpx.Client) -> None:
    """Speaking TLS to a plain-HTTP port fails as tls_error, not retried."""
    error = _raises(Failure, f"https://127.0.0.1:{server.port}/article", client)
    assert type(error) is Failure and error.code == "tls_error"
