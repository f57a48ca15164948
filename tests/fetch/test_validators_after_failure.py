"""Conditional GET never hides an article: validators of a page whose article did not end ok are
forgotten, so the next fetch is a full one, not a 304 'unchanged'."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import redis

from newsmill.fetch.state import ValidatorStore
from newsmill.pipeline import process
from newsmill.record import Source, WorkItem
from newsmill.resources import Resources
from newsmill.settings import Settings
from newsmill.testing.httpserver import HTTPTestServer, Reply, Request
from tests.fetch.sites import Site

ETAG = '"short-1"'


class ShortPage:
    """A page too short to be an article, with an ETag, answering 304 to its own ETag."""

    def __init__(self) -> None:
        self.conditional_requests = 0

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("if-none-match") == ETAG:
            self.conditional_requests += 1
            return Reply(status=304, headers={"ETag": ETAG})
        return Reply(status=200, body=b"<html><body><p>Too short.</p></body></html>",
                     headers={"Content-Type": "text/html; charset=utf-8", "ETag": ETAG})


@pytest.fixture()
def site() -> Iterator[tuple[Site, ShortPage]]:
    with HTTPTestServer() as server:
        page = ShortPage()
        site = Site(server)
        site.route("/short", page)
        yield site, page


def test_dropped_article_is_fetched_in_full_next_time(site: tuple[Site, ShortPage], redis_url: str,
                                                      redis_client: redis.Redis, prefix: str) -> None:
    """A page dropped as too short keeps no ETag: its re-fetch is unconditional and dropped again."""
    server, page = site
    base = Settings.from_env({}, redis_url=redis_url, prefix=prefix, enrich=())
    settings = dataclasses.replace(base, fetch=dataclasses.replace(
        base.fetch, allow_addresses=(server.allow_entry(),), resolve=("short.test=127.0.0.1",)))
    res = Resources(settings)
    url = server.url("short.test", "/short")
    try:
        first = process(WorkItem("job-a", Source("url", url)), res)
        assert first.status == "dropped"
        assert ValidatorStore(redis_client, prefix).get(url) is None
        second = process(WorkItem("job-b", Source("url", url)), res)
    finally:
        res.close()
    assert second.status == "dropped" and page.conditional_requests == 0
