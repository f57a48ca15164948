"""Discovery from saved feed and sitemap files served on loopback: RSS, Atom, JSON Feed, a sitemap
index with a news sitemap and a gzipped page sitemap, the --since filter, and seen-URL dedup."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from newsmill.fetch.discovery import DiscoveryError, DiscoveryOptions, discover, feed_entry_dates, parse_sitemap
from newsmill.fetch.fetcher import Fetcher
from newsmill.fetch.options import FetchOptions
from newsmill.fetch.state import SeenUrls
from newsmill.testing.httpserver import HTTPTestServer, page
from tests.conftest import ROOT
from tests.fetch.sites import Site

FIXTURES = ROOT / "tests" / "fixtures" / "fetch"
HOST = "www.example-news.com"


def _served(name: str, site: Site) -> bytes:
    # The saved files name the real-looking https host; the test server lives on loopback.
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text.replace(f"https://{HOST}", f"http://{HOST}:{site.server.port}").encode("utf-8")


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with HTTPTestServer() as server:
        site = Site(server)
        site.route("/world/rss.xml", page(_served("rss.xml", site), content_type="application/rss+xml"))
        site.route("/science/atom.xml", page(_served("atom.xml", site), content_type="application/atom+xml"))
        site.route("/technology/feed.json", page(_served("feed.json", site), content_type="application/feed+json"))
        site.route("/sitemap_index.xml", page(_served("sitemap_index.xml", site), content_type="application/xml"))
        site.route("/sitemaps/news.xml", page(_served("sitemap_news.xml", site), content_type="text/xml"))
        site.route("/sitemaps/articles-2024-05.xml.gz",
                   page(gzip.compress(_served("sitemap_articles.xml", site)), content_type="application/x-gzip"))
        site.route("/sitemaps/articles-2019-01.xml.gz", page("gone", content_type="text/plain", status=404))
        site.route("/not-a-feed.pdf", page(b"%PDF-1.4", content_type="application/pdf"))
        yield site


def fetch_options(site: Site, **changes: object) -> FetchOptions:
    base: dict[str, object] = {"rate": 1000.0, "deadline": 5.0, "allow_addresses": (site.allow_entry(),),
                               "resolve": (f"{HOST}=127.0.0.1",)}
    base.update(changes)
    return FetchOptions(**base)  # type: ignore[arg-type]


@pytest.fixture()
def fetcher(site: Site, redis_client: redis.Redis, prefix: str) -> Iterator[Fetcher]:
    built = Fetcher(fetch_options(site), redis_client=redis_client, prefix=prefix)
    yield built
    built.close()


def _paths(urls: list[str]) -> list[str]:
    return sorted(url.split(str(HOST), 1)[1].split("/", 1)[1] for url in urls)


def _run(fetcher: Fetcher, site: Site, job: str, seen: SeenUrls, *, feeds: tuple[str, ...] = (),
         sitemaps: tuple[str, ...] = (), since: datetime | None = None) -> list[str]:
    return list(discover(fetcher, job, feeds=tuple(site.url(HOST, f) for f in feeds),
                         sitemaps=tuple(site.url(HOST, s) for s in sitemaps), seen=seen,
                         options=DiscoveryOptions(since=since)))


def test_feeds_of_three_formats(site: Site, fetcher: Fetcher, redis_client: redis.Redis, prefix: str) -> None:
    """RSS, Atom and JSON Feed give their article links once each, tracking parameters and fragments
    removed, so the RSS item repeated with #comments is not enqueued twice."""
    seen = SeenUrls(redis_client, prefix, window=0)
    urls = _run(fetcher, site, "job-feeds", seen,
                feeds=("/world/rss.xml", "/science/atom.xml", "/technology/feed.json"))
    assert _paths(urls) == sorted([
        "world/2024/05/14/delta-flooding-evacuations", "world/2024/05/14/ceasefire-talks-resume",
        "business/2024/05/13/central-bank-holds-rates", "science/2024/05/14/exoplanet-water-vapour",
        "science/2024/05/13/bird-migration-earlier", "technology/2024/05/14/chip-plant-opens",
        "technology/2024/05/12/phone-recycling-scheme",
    ])


def test_feeds_with_since_keep_newer_and_undated_entries(site: Site, fetcher: Fetcher, redis_client: redis.Redis,
                                                        prefix: str) -> None:
    """--since applies to feeds too: each entry's pubDate / published / date_published decides."""
    seen = SeenUrls(redis_client, prefix, window=0)
    urls = _run(fetcher, site, "job-feeds-since", seen,
                feeds=("/world/rss.xml", "/science/atom.xml", "/technology/feed.json"),
                since=datetime(2024, 5, 14, tzinfo=UTC))
    assert _paths(urls) == sorted([
        "world/2024/05/14/delta-flooding-evacuations", "world/2024/05/14/ceasefire-talks-resume",
        "science/2024/05/14/exoplanet-water-vapour", "technology/2024/05/14/chip-plant-opens",
    ])


def test_feed_entry_dates_of_every_format() -> None:
    rss = """<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
      <item><link>https://n.example/a</link><pubDate>Tue, 14 May 2024 10:40:00 +0200</pubDate></item>
      <item><link>https://n.example/b</link><dc:date>2024-05-12T06:00:00Z</dc:date></item>
      <item><link>https://n.example/undated</link></item>
      <item><link>https://n.example/bad-date</link><pubDate>yesterday-ish</pubDate></item>
    </channel></rss>"""
    assert feed_entry_dates(rss) == {"https://n.example/a": datetime(2024, 5, 14, 8, 40, tzinfo=UTC),
                                     "https://n.example/b": datetime(2024, 5, 12, 6, 0, tzinfo=UTC)}
    atom = """<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="https://n.example/c"/>
      <link rel="edit" href="https://n.example/edit/c"/><published>2024-05-10T00:00:00Z</published>
      <updated>2024-05-14T00:00:00Z</updated></entry></feed>"""
    # published, not a later edit, says when the article appeared
    assert feed_entry_dates(atom) == {"https://n.example/c": datetime(2024, 5, 10, tzinfo=UTC)}
    json_feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://n.example/d", "date_modified": "2024-05-11T00:00:00+00:00"},
        {"id": "2", "external_url": "https://n.example/e"}]})
    assert feed_entry_dates(json_feed) == {"https://n.example/d": datetime(2024, 5, 11, tzinfo=UTC)}
    assert feed_entry_dates("not a feed <<<") == {}
    assert feed_entry_dates("{broken json") == {}


@pytest.mark.parametrize("feed", [
    '{"items": null}',
    '{"items": [{"url": "https://n.example/a", "date_published": 1715676000}]}',
    '{"items": [{"url": "https://n.example/a", "date_published": ["2024-05-14"]}]}',
    '{"items": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "<rss><channel><item><link>https://n.example/a</link>"
    "<pubDate>Tue, 14 May 2024 08:40:00 +99999999999999999999</pubDate></item></channel></rss>",
])
def test_odd_feeds_give_no_dates_instead_of_failing_the_enqueue(feed: str) -> None:
    assert feed_entry_dates(feed) == {}


def test_sitemap_index_news_and_gzip_with_since(site: Site, fetcher: Fetcher, redis_client: redis.Redis,
                                               prefix: str) -> None:
    """The index leads to the news sitemap and the gzipped page sitemap; --since keeps entries dated
    after it (publication date for news, lastmod otherwise) and undated ones, skips the 2019 sitemap
    without fetching it, and drops the image URL."""
    seen = SeenUrls(redis_client, prefix, window=0)
    old_hits = len(site.hits_for(HOST, "/sitemaps/articles-2019-01"))
    urls = _run(fetcher, site, "job-sitemap", seen, sitemaps=("/sitemap_index.xml",),
                since=datetime(2024, 5, 11, tzinfo=UTC))
    assert _paths(urls) == sorted([
        "world/2024/05/14/delta-flooding-evacuations", "politics/2024/05/14/budget-vote-delayed",
        "culture/2024/05/13/festival-lineup", "sport/2024/05/12/cup-final-report",
        "culture/2024/05/10/undated-review",
    ])
    assert len(site.hits_for(HOST, "/sitemaps/articles-2019-01")) == old_hits
    assert len(site.hits_for(HOST, "/sitemaps/news.xml")) >= 1


def test_sitemap_without_since_skips_a_missing_child(site: Site, fetcher: Fetcher, redis_client: redis.Redis,
                                                    prefix: str) -> None:
    """Without --since every entry counts; the 2019 child sitemap (404) is skipped, not fatal."""
    seen = SeenUrls(redis_client, prefix, window=0)
    old_hits = len(site.hits_for(HOST, "/sitemaps/articles-2019-01"))
    urls = _run(fetcher, site, "job-all", seen, sitemaps=("/sitemap_index.xml",))
    assert len(urls) == 7
    assert len(site.hits_for(HOST, "/sitemaps/articles-2019-01")) == old_hits + 1


def test_seen_urls_within_the_window_across_jobs(site: Site, fetcher: Fetcher, redis_client: redis.Redis,
                                                 prefix: str) -> None:
    """A second job within the window enqueues nothing new; with no window only the same job dedups."""
    windowed = SeenUrls(redis_client, prefix, window=3600)
    first = _run(fetcher, site, "job-a", windowed, feeds=("/world/rss.xml",))
    assert len(first) == 3
    assert _run(fetcher, site, "job-b", windowed, feeds=("/world/rss.xml",)) == []
    per_job = SeenUrls(redis_client, prefix + "x", window=0)
    assert len(_run(fetcher, site, "job-c", per_job, feeds=("/world/rss.xml",))) == 3
    assert _run(fetcher, site, "job-c", per_job, feeds=("/world/rss.xml",)) == []
    assert len(_run(fetcher, site, "job-d", per_job, feeds=("/world/rss.xml",))) == 3


def test_named_feed_that_fails_is_an_error(site: Site, fetcher: Fetcher, redis_client: redis.Redis,
                                           prefix: str) -> None:
    """A feed the user named that is not a feed (a PDF) fails discovery with its reason."""
    with pytest.raises(DiscoveryError, match="not_html"):
        _run(fetcher, site, "job-bad", SeenUrls(redis_client, prefix, window=0), feeds=("/not-a-feed.pdf",))


def test_text_sitemap_and_hostile_xml() -> None:
    """Text sitemaps list one URL a line; an XML entity bomb is not expanded by the parser."""
    text = parse_sitemap(b"https://a.example/1\n\nhttps://a.example/2\nnot a url\n")
    assert [url for url, _ in text.pages] == ["https://a.example/1", "https://a.example/2"]
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/&lol2;</loc>'
            b"</url></urlset>")
    pages = parse_sitemap(bomb).pages
    assert all("lollol" not in url for url, _ in pages)


def test_enqueue_cli_with_feed_and_sitemap(site: Site, redis_url: str, redis_client: redis.Redis,
                                           prefix: str) -> None:
    """`newsmill enqueue --feed --sitemap --since` discovers in the producer and enqueues each new URL
    once (the RSS and news sitemap share an article)."""
    env = {"PATH": "/usr/bin:/bin", "NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_REDIS_URL": redis_url,
           "NEWSMILL_PREFIX": prefix, "NEWSMILL_FETCH_ALLOW_ADDRESSES": site.allow_entry(),
           "NEWSMILL_FETCH_RESOLVE": f"{HOST}=127.0.0.1", "NEWSMILL_FETCH_RATE": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", "enqueue", "--feed", site.url(HOST, "/world/rss.xml"),
         "--sitemap", site.url(HOST, "/sitemap_index.xml"), "--since", "2024-05-11"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    try:
        assert done.returncode == 0, done.stderr
        job_id = done.stdout.strip()
        status = subprocess.run([sys.executable, "-m", "workers.cli", "status", job_id, "--json"], env=env,
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        # rss: 3 articles; sitemaps since May 11: 5, of which the flooding story is already in the rss.
        assert json.loads(status.stdout)["enqueued"] == 7
    finally:
        redis_client.delete("io")




def test_since_takes_a_date_a_date_time_or_a_time_ago() -> None:
    from datetime import UTC, datetime

    from newsmill.fetch.discovery import parse_since

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_since("2d", now=now) == datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_since("12h", now=now) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert parse_since("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="time ago like 2d"):
        parse_since("yesterday-ish")
