"""A real HTTP server on 127.0.0.1 for tests and benchmarks, so fetch code runs over real sockets, not
mocks.

Routes are plain functions ``Request -> Reply`` (or a fixed :class:`Reply`), registered in one line::

    with HTTPTestServer() as server:
        server.route("/article", page("<html>...</html>"))
        server.route("/old", redirect("/article"))
        server.route("/slow", lambda request: Reply(body=b"late", delay=2.0))
        fetch(server.url("/article"))

A body given as an iterable of byte chunks is sent with chunked transfer-encoding, which is how a test
streams an endless or oversized body without a Content-Length.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """What a route sees of the request; header names are lowercase."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before sending anything: makes the client's read timeout fire."""


Route = Callable[[Request], Reply]


def page(body: str | bytes, *, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Reply:
    """An HTML (or any ``content_type``) response; a str body is sent as UTF-8."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Reply(status=status, body=data, headers={"Content-Type": content_type} if content_type else {})


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


def status(code: int, **headers: str) -> Reply:
    """An empty response with ``code``; keyword headers use underscores (``Retry_After="5"``)."""
    return Reply(status=code, headers={name.replace("_", "-"): value for name, value in headers.items()})


class HTTPTestServer:
    """A threaded server on an ephemeral loopback port; a context manager that starts and stops it."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        """Every request received, in order, for assertions on what the client sent."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="http-test-server", daemon=True)

    def route(self, path: str, handler: Route | Reply) -> None:
        """Serve ``path`` (query string ignored) with a handler function or a fixed reply."""
        self.routes[path] = handler if callable(handler) else (lambda _request: handler)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    # Handler threads are daemons and not joined on close: a deliberately slow route must not make
    # the test wait for it after the client has given up.
    daemon_threads = True
    block_on_close = False
    owner: HTTPTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on purpose (too-large bodies, timeouts); that is not a test failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_GET
    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        request = Request(method=self.command, path=parts.path, query=parts.query,
                          headers={name.lower(): value for name, value in self.headers.items()})
        owner = self.server.owner
        owner.requests.append(request)
        handler = owner.routes.get(parts.path)
        reply = handler(request) if handler else page("not found", content_type="text/plain", status=404)
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        given = {name.lower() for name in reply.headers}
        if isinstance(reply.body, bytes):
            if "content-length" not in given:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in reply.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")
