"""The fetcher in-process against a real loopback server and the real Redis: every hostile case ends
with its reason code, and politeness state (robots.txt, rate slots, validators) lands in Redis."""

from __future__ import annotations

import gzip
import itertools
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
import redis

from newsmill.errors import Drop, Failure, Retryable, Unchanged
from newsmill.fetch.fetcher import FetchDeferred, Fetcher
from newsmill.fetch.options import FetchOptions
from newsmill.fetch.robots import UNREACHABLE_HOLD_SECONDS as ROBOTS_HOLD
from newsmill.testing.httpserver import HTTPTestServer, Reply, page, redirect
from tests.fetch.sites import (
    CHALLENGE,
    GZIP_MEMBERS,
    GZIP_MEMBERS_TEXT,
    RUSSIAN,
    Flaky,
    Site,
    Versioned,
    article,
    dead_port,
    drip,
    endless,
    gzip_bomb,
    redirect_chain,
)

HOSTS = ("news.test", "disallow.test", "robots503.test", "slowrobots.test", "other.test", "refused.test",
         "tlsrobots.test", "crowd.test", "held.test")
DEAD_PORT = dead_port()
NINE_MIB = b"<!doctype html><html><body>" + b"<p>The council voted to extend the tram line.</p>\n" * 190_000


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with HTTPTestServer() as server:
        site = Site(server)
        site.route("/article", article())
        site.route("/gz-article", Reply(body=_gzip(article().body), headers={
            "Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}))
        site.route("/drip", lambda _r: Reply(body=drip(1.0, 60), headers={"Content-Type": "text/html"}))
        site.route("/huge", lambda _r: Reply(body=endless(), headers={"Content-Type": "text/html"}))
        site.route("/bomb", lambda _r: Reply(body=gzip_bomb(), headers={"Content-Type": "text/html",
                                                             "Content-Encoding": "gzip"}))
        site.route("/brotli", Reply(body=b"\x0b\x02\x80hello\x03", headers={"Content-Type": "text/html",
                                                                          "Content-Encoding": "br"}))
        site.route("/to-metadata", redirect("http://169.254.169.254/latest/meta-data/"))
        site.route("/to-redis", redirect("http://127.0.0.1:6379/"))
        site.route("/to-gopher", redirect("gopher://127.0.0.1:70/"))
        site.route("/report.pdf", page(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", content_type="application/pdf"))
        site.route("/ru", page(RUSSIAN.encode("cp1251"), content_type="text/html"))
        site.route("/challenge", page(CHALLENGE, status=403))
        site.route("/cf-header", Reply(status=503, body=b"<html></html>",
                                       headers={"Content-Type": "text/html", "cf-mitigated": "challenge"}))
        site.route("/empty", page(""))
        site.route("/gone", page("gone", content_type="text/plain", status=404))
        site.route("/versioned", Versioned())
        site.route("/private/secret", article("Secret"))
        site.robots["disallow.test"] = page("User-agent: *\nDisallow: /private\n", content_type="text/plain")
        site.robots["robots503.test"] = Reply(status=503)
        site.robots["slowrobots.test"] = page("User-agent: *\nCrawl-delay: 2\n", content_type="text/plain")
        site.robots["refused.test"] = redirect(f"http://refused.test:{DEAD_PORT}/robots.txt")
        site.robots["tlsrobots.test"] = redirect(f"https://tlsrobots.test:{server.port}/robots.txt")
        site.robots["crowd.test"] = Reply(body=b"User-agent: *\nDisallow: /private\n",
                                          headers={"Content-Type": "text/plain"}, delay=0.5)
        site.route("/nine-mib", page(NINE_MIB))
        site.route("/gzip-members", Reply(body=GZIP_MEMBERS, headers={
            "Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}))
        site.route("/big-header", Reply(body=article().body,  # type: ignore[arg-type]
                                        headers={"Content-Type": "text/html", "X-Padding": "a" * (1 << 20)}))
        yield site


def _gzip(data: bytes | object) -> bytes:
    import gzip

    assert isinstance(data, bytes)
    return gzip.compress(data)


def options(site: Site, **changes: object) -> FetchOptions:
    base: dict[str, object] = {
        "connect_timeout": 2.0, "read_timeout": 5.0, "deadline": 3.0, "max_bytes": 2 * 1024 * 1024,
        "user_agent": "newsmill-test/1.0 (+http://example.org/contact)", "rate": 1000.0,
        "allow_addresses": (site.allow_entry(), f"127.0.0.1:{DEAD_PORT}"),
        "resolve": tuple(f"{h}=127.0.0.1" for h in HOSTS),
    }
    base.update(changes)
    return FetchOptions(**base)  # type: ignore[arg-type]


@pytest.fixture()
def fetcher(site: Site, redis_client: redis.Redis, prefix: str) -> Iterator[Fetcher]:
    built = Fetcher(options(site), redis_client=redis_client, prefix=prefix)
    yield built
    built.close()


def _fails(fetcher: Fetcher, url: str, exc_type: type[Exception] = Failure) -> Exception:
    with pytest.raises(exc_type) as info:
        fetcher.fetch(url)
    return info.value


def _code(error: Exception) -> str:
    return error.reason if isinstance(error, Drop) else error.code  # type: ignore[attr-defined,no-any-return]


def test_article_is_fetched_with_our_user_agent(site: Site, fetcher: Fetcher) -> None:
    """A normal page comes back with its body; the request carried the configured User-Agent."""
    fetched = fetcher.fetch(site.url("news.test", "/article"))
    assert b"Tram line extended" in fetched.body and fetched.media_type == "text/html"
    sent = [r for r in site.server.requests if r.path == "/article"][-1]
    assert sent.headers["user-agent"].startswith("newsmill-test/1.0 (+http://example.org/contact)")
    assert sent.headers["accept-encoding"] == "gzip"


def test_gzip_body_is_inflated(site: Site, fetcher: Fetcher) -> None:
    """A gzip Content-Encoding is inflated by our bounded inflater."""
    assert b"Tram line extended" in fetcher.fetch(site.url("news.test", "/gz-article")).body


def test_drip_hits_the_wall_clock_deadline(site: Site, fetcher: Fetcher) -> None:
    """A byte every second never trips the 5 s read timeout; the 3 s deadline ends it as timeout."""
    started = time.monotonic()
    error = _fails(fetcher, site.url("news.test", "/drip"), Retryable)
    assert _code(error) == "timeout"
    assert time.monotonic() - started < 4.5


def test_endless_body_is_cut_at_the_cap(site: Site, fetcher: Fetcher) -> None:
    """A 1 GiB chunked body stops at max_bytes as too_large."""
    assert _code(_fails(fetcher, site.url("news.test", "/huge"))) == "too_large"


def test_gzip_bomb_is_capped(site: Site, fetcher: Fetcher) -> None:
    """A gzip stream inflating to 1 GB fails as too_large once it inflates past max_bytes."""
    assert _code(_fails(fetcher, site.url("news.test", "/bomb"))) == "too_large"


def test_unrequested_encoding_is_refused(site: Site, fetcher: Fetcher) -> None:
    """A Content-Encoding we did not ask for (brotli) is not decoded by anyone: decoding_error."""
    assert _code(_fails(fetcher, site.url("news.test", "/brotli"))) == "decoding_error"


def test_redirect_chain_of_ten(site: Site, fetcher: Fetcher) -> None:
    """Ten redirects exceed the five allowed: too_many_redirects."""
    first = redirect_chain(site, "news.test", 10)
    assert _code(_fails(fetcher, first)) == "too_many_redirects"


@pytest.mark.parametrize(("path", "code"), [("/to-metadata", "blocked_address"), ("/to-redis", "blocked_address"),
                                            ("/to-gopher", "bad_scheme")])
def test_redirects_into_the_inside_are_refused(site: Site, fetcher: Fetcher, path: str, code: str) -> None:
    """Redirects to the metadata service, to the broker's port or to gopher are refused at that hop."""
    assert _code(_fails(fetcher, site.url("news.test", path), Drop)) == code


def test_robots_disallow(site: Site, fetcher: Fetcher, redis_client: redis.Redis, prefix: str) -> None:
    """A disallowed path is dropped as robots_disallowed; an allowed one on the host is fetched; the
    rules are cached in Redis with a TTL of at most a day."""
    assert _code(_fails(fetcher, site.url("disallow.test", "/private/secret"), Drop)) == "robots_disallowed"
    assert b"Tram" in fetcher.fetch(site.url("disallow.test", "/article")).body
    key = f"{prefix}:robots:http://disallow.test:{site.server.port}"
    assert 0 < redis_client.ttl(key) <= 24 * 3600
    assert len(site.hits_for("disallow.test", "/robots.txt")) == 1


def test_robots_503_fails_the_page_while_it_lasts(site: Site, fetcher: Fetcher) -> None:
    """robots.txt answering 503 disallows the host only while it does (RFC 9309): the page is not fetched
    and fails as a retryable http_5xx; that answer is held for a moment (no second robots.txt request),
    then robots.txt is asked again."""
    url = site.url("robots503.test", "/article")
    before = len(site.hits_for("robots503.test", "/robots.txt"))
    error = _fails(fetcher, url, Retryable)
    assert _code(error) == "http_5xx" and "robots.txt of http://robots503.test" in str(error)
    assert _code(_fails(fetcher, url, Retryable)) == "http_5xx"
    assert len(site.hits_for("robots503.test", "/robots.txt")) == before + 1
    time.sleep(ROBOTS_HOLD + 0.2)
    assert _code(_fails(fetcher, url, Retryable)) == "http_5xx"
    assert len(site.hits_for("robots503.test", "/robots.txt")) == before + 2
    assert site.hits_for("robots503.test", "/article") == []


def test_refused_robots_is_a_connection_error(site: Site, fetcher: Fetcher) -> None:
    """robots.txt redirected to a port where nothing listens: connection_error (retryable), not a
    robots.txt refusal."""
    error = _fails(fetcher, site.url("refused.test", "/article"), Retryable)
    assert _code(error) == "connection_error" and "robots.txt of http://refused.test" in str(error)


def test_tls_on_a_plain_port_is_a_tls_error(site: Site, fetcher: Fetcher) -> None:
    """robots.txt redirected to https:// on a plain-HTTP port: tls_error, not robots_disallowed."""
    error = _fails(fetcher, site.url("tlsrobots.test", "/article"))
    assert _code(error) == "tls_error" and not isinstance(error, Retryable)


def test_multi_member_gzip_gives_the_whole_page(site: Site, fetcher: Fetcher) -> None:
    """A gzip body of three members inflates to all three, not the first."""
    body = fetcher.fetch(site.url("news.test", "/gzip-members")).body
    assert body == gzip.decompress(GZIP_MEMBERS) and GZIP_MEMBERS_TEXT.encode() in body


def test_a_large_body_is_held_once(site: Site, redis_client: redis.Redis, prefix: str) -> None:
    """Reading a 9 MiB page allocates about the page once (traced by tracemalloc, so exact): not a buffer
    and then its bytes() copy, nor a stripped copy for the emptiness check (issue 11 measured ~4 x)."""
    large = Fetcher(options(site, max_bytes=10 * 1024 * 1024), redis_client=redis_client, prefix=prefix)
    try:
        url = site.url("news.test", "/nine-mib")
        large.fetch(url)  # robots.txt, the connection and the rate slot are in place
        tracemalloc.start()
        try:
            body = large.fetch(url).body
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        large.close()
    assert body == NINE_MIB
    assert peak < 1.25 * len(NINE_MIB), f"{peak / len(NINE_MIB):.2f} x the body"


def test_oversized_header_is_a_protocol_error(site: Site, fetcher: Fetcher) -> None:
    """A 1 MiB response header breaks HTTP/1.1 for good: protocol_error, a Failure that is not retried."""
    error = _fails(fetcher, site.url("news.test", "/big-header"))
    assert _code(error) == "protocol_error" and not isinstance(error, Retryable)


def test_fifty_concurrent_fetches_ask_robots_once(site: Site, fetcher: Fetcher) -> None:
    """50 threads fetching pages of one origin whose robots.txt takes 0.5 s: one robots.txt request, and
    its rules apply to all (the disallowed ones are dropped)."""
    outcomes: list[str] = []

    def fetch(index: int) -> None:
        url = site.url("crowd.test", "/private/secret" if index % 10 == 0 else "/article")
        resume = None
        while True:
            try:
                fetcher.fetch(url, resume=resume)
                outcomes.append("ok")
            except FetchDeferred as deferred:  # over the rate for a moment: resumed, as a runner would
                time.sleep(deferred.delay)
                resume = deferred.resume
                continue
            except Exception as exc:
                outcomes.append(_code(exc))
            return

    threads = [threading.Thread(target=fetch, args=(index,)) for index in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(site.hits_for("crowd.test", "/robots.txt")) == 1
    assert sorted(outcomes) == ["ok"] * 45 + ["robots_disallowed"] * 5


def test_robots_404_allows_everything(site: Site, fetcher: Fetcher) -> None:
    """No robots.txt (404) means everything is allowed."""
    assert b"Tram" in fetcher.fetch(site.url("other.test", "/article")).body


def test_crawl_delay_spaces_requests(site: Site, fetcher: Fetcher) -> None:
    """Crawl-delay: 2 makes the next request to that host wait about 2 s, as a deferral not a sleep."""
    url = site.url("slowrobots.test", "/article")
    with pytest.raises(FetchDeferred) as info:
        fetcher.fetch(url)  # robots.txt took the host's first slot; the page must wait for the next
    assert 0.5 < info.value.delay <= 2.0 + 0.1
    time.sleep(info.value.delay)
    assert b"Tram" in fetcher.fetch(url, resume=info.value.resume).body
    with pytest.raises(FetchDeferred) as again:
        fetcher.fetch(url)
    assert 1.5 < again.value.delay <= 2.1


def test_429_honours_retry_after_for_every_worker(site: Site, fetcher: Fetcher) -> None:
    """A 429 is retryable with the server's Retry-After, and the host's next slot moves past it."""
    site.route("/busy", Flaky(retry_after=3))
    error = _fails(fetcher, site.url("news.test", "/busy"), Retryable)
    assert isinstance(error, Retryable) and (error.code, error.retry_after) == ("http_429", 3.0)
    with pytest.raises(FetchDeferred) as info:
        fetcher.fetch(site.url("news.test", "/article"))
    assert 2.0 < info.value.delay <= 3.0


def test_pdf_is_not_html(site: Site, fetcher: Fetcher) -> None:
    """A PDF is refused on its content type, before its body is read: not_html."""
    assert _code(_fails(fetcher, site.url("news.test", "/report.pdf"), Drop)) == "not_html"


def test_windows_1251_body_is_returned_raw_with_no_charset(site: Site, fetcher: Fetcher) -> None:
    """The cp1251 page comes back byte for byte, with no charset claimed (the stage detects it)."""
    fetched = fetcher.fetch(site.url("news.test", "/ru"))
    assert fetched.body == RUSSIAN.encode("cp1251") and fetched.charset is None


@pytest.mark.parametrize("path", ["/challenge", "/cf-header"])
def test_anti_bot_interstitial_is_a_challenge(site: Site, fetcher: Fetcher, path: str) -> None:
    """Cloudflare's interstitial (by its page or by its cf-mitigated header) fails as challenge."""
    assert _code(_fails(fetcher, site.url("news.test", path))) == "challenge"


def test_empty_and_404(site: Site, fetcher: Fetcher) -> None:
    """An empty 200 is dropped as empty; a 404 fails as http_4xx."""
    assert _code(_fails(fetcher, site.url("news.test", "/empty"), Drop)) == "empty"
    assert _code(_fails(fetcher, site.url("news.test", "/gone"))) == "http_4xx"


def test_conditional_get_gives_unchanged(site: Site, fetcher: Fetcher) -> None:
    """The ETag of a first fetch is sent back on the next; the server's 304 raises Unchanged."""
    url = site.url("news.test", "/versioned")
    assert b"Versioned story" in fetcher.fetch(url, conditional=True).body
    with pytest.raises(Unchanged):
        fetcher.fetch(url, conditional=True)
    assert [r.headers.get("if-none-match") for r in site.server.requests if r.path == "/versioned"][-1] \
        == Versioned.etag


def test_a_retry_after_during_a_committed_wait_holds_the_request(site: Site, redis_client: redis.Redis,
                                                                  prefix: str) -> None:
    """At 10 requests/s the page's slot, 0.1 s after its robots.txt request, is committed and slept off in
    the thread. A Retry-After for the host (a 429 another worker got) arriving during that sleep holds it:
    the page is not requested at its moment but deferred past the Retry-After."""
    fetcher = Fetcher(options(site, rate=10.0), redis_client=redis_client, prefix=prefix)
    pusher = threading.Timer(0.03, fetcher.limiter.push_back, args=("held.test", 1.0))
    try:
        pusher.start()
        started = time.monotonic()
        with pytest.raises(FetchDeferred) as deferred:
            fetcher.fetch(site.url("held.test", "/article"))
        assert time.monotonic() - started < 0.5  # woke at its moment, found the hold, did not wait it out
        assert 0.8 <= deferred.value.delay <= 1.1
        assert [hit.path for hit in site.hits_for("held.test")] == ["/robots.txt"]
    finally:
        pusher.cancel()
        fetcher.close()


def test_rate_limit_defers_instead_of_waiting(site: Site, redis_client: redis.Redis, prefix: str) -> None:
    """At 1.5 requests/s a burst of fetches gets slots 0.68 s apart (the rate's interval, 2 % wider),
    further ahead than a committed wait: later ones are deferred with reservations, and claiming a
    reservation early defers again for the remainder."""
    slow = Fetcher(options(site, rate=1.5), redis_client=redis_client, prefix=prefix)
    try:
        url = site.url("other.test", "/article")
        delays = []
        for _ in range(3):  # the first fetch's robots.txt took the slot at 0 s
            with pytest.raises(FetchDeferred) as info:
                slow.fetch(url)
            delays.append(info.value.delay)
        assert [b - a for a, b in itertools.pairwise(delays)] == [pytest.approx(0.68, abs=0.05)] * 2
        with pytest.raises(FetchDeferred) as early:
            slow.fetch(url, resume=info.value.resume)
        assert early.value.resume.reserved == info.value.resume.reserved
    finally:
        slow.close()
