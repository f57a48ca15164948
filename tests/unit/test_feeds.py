"""Feed entries read by feedparser (RSS, Atom) and by json (JSON Feed): links, dates, and hostile input."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from newsmill.fetch.feeds import FeedEntry, feed_entries


def test_relative_links_resolve_against_the_feed_and_edit_links_are_not_articles() -> None:
    atom = """<feed xmlns="http://www.w3.org/2005/Atom"><link href="/science/" rel="alternate"/>
      <entry><link rel="edit" href="/edit/1"/><link rel="alternate" href="/science/2024/05/14/a"/>
      <updated>2024-05-14T08:30:00+02:00</updated></entry></feed>"""
    assert feed_entries(atom, "https://n.example/science/atom.xml") == [
        FeedEntry("https://n.example/science/2024/05/14/a", datetime(2024, 5, 14, 6, 30, tzinfo=UTC))]


def test_rss_guid_permalink_stands_in_for_a_missing_link() -> None:
    rss = """<rss version="2.0"><channel><link>https://n.example/</link>
      <item><guid>https://n.example/2024/05/14/b</guid></item></channel></rss>"""
    assert feed_entries(rss, "https://n.example/rss.xml") == [FeedEntry("https://n.example/2024/05/14/b", None)]


def test_json_feed_takes_a_url_id_when_url_is_missing() -> None:
    feed = '{"items": [{"id": "https://n.example/c", "date_published": "2024-05-14T06:00:00"}, {"id": "42"}]}'
    assert feed_entries(feed) == [FeedEntry("https://n.example/c", datetime(2024, 5, 14, 6, tzinfo=UTC))]


def test_a_body_that_names_a_file_or_a_url_is_not_opened() -> None:
    # feedparser opens a string argument as a file or URL; the body must reach it as data.
    assert feed_entries("/etc/hostname") == []
    assert feed_entries("http://127.0.0.1:9/feed.xml") == []


def test_entity_expansion_is_not_performed() -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefgh", "bcdefghi", strict=True))
              + ']><rss><channel><item><link>https://n.example/&i;</link></item></channel></rss>')
    started = time.perf_counter()
    entries = feed_entries(laughs)
    assert time.perf_counter() - started < 2
    assert all(len(entry.link) < 1000 for entry in entries)
