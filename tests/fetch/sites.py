"""Loopback web sites for the fetch tests: host names mapped to 127.0.0.1 by an injected resolver,
robots.txt per host, a timed request log, and hostile routes generated on the fly (nothing large is
ever stored: the 1 GiB body and the gzip bomb are produced chunk by chunk while the client reads)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from newsmill.testing.httpserver import HTTPTestServer, Reply, Request, page, redirect

ARTICLE = (
    "<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>The city council voted on Tuesday to extend the tram line to the northern districts, a project "
    "that has been debated for more than a decade and that residents say will cut their commute.</p>"
    "<p>Construction is due to start next spring and to last three years, the council said.</p>"
    "</article></body></html>"
)
RUSSIAN = (
    "<html><head><title>Новости</title></head><body><article><h1>Совещание в правительстве</h1>"
    "<p>Москва. Президент России провёл совещание с членами правительства, на котором обсуждались "
    "вопросы экономики и социальной политики.</p>"
    "<p>Министр финансов доложил о ходе исполнения бюджета за первое полугодие и о планах на следующий "
    "год. По его словам, доходы бюджета оказались выше ожиданий, а расходы на социальные программы будут "
    "увеличены.</p>"
    "<p>Участники совещания также обсудили строительство новых школ и больниц в регионах, а также меры "
    "поддержки малого бизнеса и семей с детьми.</p></article></body></html>"
)
CHALLENGE = (
    "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body>"
    "<div class=\"main-wrapper\"><noscript>Enable JavaScript and cookies to continue</noscript></div>"
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'example.com',cType: 'managed'};}());"
    "</script></body></html>"
)
GIB = 1 << 30
GZIP_MEMBERS_TEXT = "which a fetcher reading one member never sees"
GZIP_MEMBERS = b"".join(gzip.compress(part.encode()) for part in (
    "<!doctype html><html><head><title>Members</title></head><body><article><h1>Three gzip members</h1>",
    "<p>The city council voted on Tuesday to extend the tram line to the northern districts, a project "
    "that has been debated for more than a decade. The first member of the body ends here.</p>",
    f"<p>The last member holds the end of the story, {GZIP_MEMBERS_TEXT}: construction is due to start "
    "next spring and to last three years, the council said.</p></article></body></html>",
))
"""A page sent as three gzip members, as servers that compress while they flush do."""


def article(title: str = "Tram line extended") -> Reply:
    return page(ARTICLE.format(title=title))


@dataclass(frozen=True)
class Hit:
    at: float
    host: str
    path: str


class Site:
    """One loopback server serving many host names; every request is logged with its time and host."""

    def __init__(self, server: HTTPTestServer) -> None:
        self.server = server
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self.robots: dict[str, Reply] = {}
        server.route("/robots.txt", self._robots)

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.server.port}{path}"

    def allow_entry(self) -> str:
        """The allow-list entry that lets the fetcher reach this server, and only this port."""
        return f"127.0.0.1:{self.server.port}"

    def route(self, path: str, reply: Reply | object) -> None:
        def logged(request: Request) -> Reply:
            self._log(request)
            return reply(request) if callable(reply) else reply  # type: ignore[return-value]

        self.server.route(path, logged)

    def hits_for(self, host: str, path_prefix: str = "/") -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.host == host and hit.path.startswith(path_prefix)]

    def _log(self, request: Request) -> None:
        host = request.headers.get("host", "").rsplit(":", 1)[0]
        with self._lock:
            self.hits.append(Hit(time.time(), host, request.path))

    def _robots(self, request: Request) -> Reply:
        self._log(request)
        host = request.headers.get("host", "").rsplit(":", 1)[0]
        return self.robots.get(host, page("not found", content_type="text/plain", status=404))


def dead_port() -> int:
    """A loopback port nothing listens on (the OS picks a free one, we close it): connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def drip(interval: float, count: int) -> Iterator[bytes]:
    """One byte every ``interval`` seconds: each read succeeds, so only a wall-clock deadline ends it."""
    for _ in range(count):
        yield b"<"
        time.sleep(interval)


def endless(total: int = GIB, chunk: int = 1 << 20) -> Iterator[bytes]:
    """``total`` bytes of HTML-ish filler, produced on the fly."""
    block = b"<p>" + b"x" * (chunk - 3)
    for _ in range(total // chunk):
        yield block


def gzip_bomb(inflated: int = 10**9, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A gzip stream of ``inflated`` zero bytes (about 1 MB compressed for 1 GB), compressed lazily."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(chunk)
    for _ in range(inflated // chunk):
        out = compressor.compress(zeros)
        if out:
            yield out
    yield compressor.flush()


def redirect_chain(site: Site, host: str, length: int) -> str:
    """``length`` redirects ending at an article; returns the first URL."""
    for hop in range(length):
        site.route(f"/chain/{hop}", redirect(site.url(host, f"/chain/{hop + 1}")))
    site.route(f"/chain/{length}", article())
    return site.url(host, "/chain/0")


class Flaky:
    """429 with Retry-After the first time, the article afterwards."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.calls = 0

    def __call__(self, request: Request) -> Reply:
        self.calls += 1
        if self.calls == 1:
            return Reply(status=429, headers={"Retry-After": str(self.retry_after)})
        return article("After the rush")


class Versioned:
    """An article with an ETag that answers 304 to a matching If-None-Match."""

    etag = '"v1-7f3a"'

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("if-none-match") == self.etag:
            return Reply(status=304, headers={"ETag": self.etag})
        reply = article("Versioned story")
        return Reply(status=200, body=reply.body, headers={**reply.headers, "ETag": self.etag})
