"""The watcher's arithmetic and its source files: durations, back-off, jitter, OPML and TOML."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from newsmill.watch.interval import backoff, format_duration, jittered, parse_duration
from newsmill.watch.sources import SourceError, SourceList, WatchedSource, read_sources


def test_durations() -> None:
    assert [parse_duration(text) for text in ("30s", "10m", "1h", "1h30m", "2d", " 1.5H ")] == [
        30, 600, 3600, 5400, 172800, 5400]
    for bad in ("", "10", "10x", "m", "0s", "-5m", "10 minutes", "1h 30"):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(bad)
    assert [format_duration(s) for s in (600, 5400, 86400, 45, 125, 1.5)] == [
        "10m", "1h30m", "1d", "45s", "2m5s", "1.5s"]
    assert all(parse_duration(format_duration(s)) == s for s in (1, 59, 61, 3599, 90061))


def test_backoff_doubles_per_failure_up_to_the_cap_and_never_below_the_interval() -> None:
    assert [backoff(60, failures, 600) for failures in range(6)] == [60, 120, 240, 480, 600, 600]
    assert backoff(3600, 3, 600) == 3600  # a cap below the interval never polls more often
    assert backoff(1, 10_000, 100) == 100  # no overflow however long a feed is dead


def test_jitter_stays_within_its_fraction_and_spreads() -> None:
    rng = random.Random(7)
    waits = [jittered(600, 0.1, rng) for _ in range(1000)]
    assert 540 <= min(waits) < 560 and 640 < max(waits) <= 660
    assert jittered(600, 0, rng) == 600


def test_opml_with_folders_and_an_interval_inherited(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text("""<?xml version="1.0"?>
<opml version="2.0"><head><title>feeds</title></head><body>
  <outline text="World" every="5m">
    <outline type="rss" text="A" xmlUrl="https://a.example/rss.xml"/>
    <outline type="rss" text="B" xmlUrl="https://b.example/atom.xml" every="1h"/>
  </outline>
  <outline type="rss" text="C" xmlUrl="https://c.example/feed.json"/>
  <outline text="no feed here"/>
</body></opml>""", encoding="utf-8")
    assert read_sources([str(opml)]) == [WatchedSource("https://a.example/rss.xml", 300),
                                         WatchedSource("https://b.example/atom.xml", 3600),
                                         WatchedSource("https://c.example/feed.json", None)]


def test_opml_entities_are_not_expanded_and_errors_are_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "https://evil.example/">]>'
                    '<opml><body><outline xmlUrl="&a;rss"/></body></opml>', encoding="utf-8")
    with pytest.raises(SourceError, match=r"bomb\.opml: has a DOCTYPE") as raised:
        read_sources([str(bomb)])
    assert "evil" not in str(raised.value) and "\n" not in str(raised.value)
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline", encoding="utf-8")
    with pytest.raises(SourceError, match=r"broken\.opml: not an OPML file"):
        read_sources([str(broken)])
    bad_every = tmp_path / "every.opml"
    bad_every.write_text('<opml><body><outline xmlUrl="https://a.example/" every="soon"/></body></opml>')
    with pytest.raises(SourceError, match=r"every.opml:1: every: 'soon' is not a duration"):
        read_sources([str(bad_every)])


def test_toml_sources_with_a_file_default(tmp_path: Path) -> None:
    toml = tmp_path / "sources.toml"
    toml.write_text('every = "15m"\n[[source]]\nurl = "https://a.example/rss.xml"\nevery = "2m"\n'
                    '[[source]]\nurl = "https://a.example/sitemap.xml"\n', encoding="utf-8")
    # A URL named twice (file and command line) is watched once, as first named.
    assert read_sources([str(toml), "https://a.example/rss.xml", "https://b.example/rss"]) == [
        WatchedSource("https://a.example/rss.xml", 120), WatchedSource("https://a.example/sitemap.xml", 900),
        WatchedSource("https://b.example/rss", None)]


@pytest.mark.parametrize(("text", "message"), [
    ('[[source]]\nurl = "ftp://a.example/x"\n', "source #1: 'ftp://a.example/x' is not an http"),
    ('[[source]]\nlink = "https://a.example/"\n', "source #1: needs url"),
    ('[[source]]\nurl = "https://a.example/"\nevery = 5\n', 'every = 5 must be a string like "10m"'),
    ('[[source]]\nurl = "https://a.example/"\nkind = "rss"\n', "unknown key(s) kind"),
    ('interval = "5m"\n', "unknown key(s) interval"),
    ("[[source]\n", "not a TOML file"),
])
def test_toml_mistakes_are_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    toml = tmp_path / "sources.toml"
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        read_sources([str(toml)])
    assert message in str(raised.value) and str(toml) in str(raised.value)
    assert "\n" not in str(raised.value)


def test_arguments_that_are_neither_urls_nor_source_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file, and not an http"):
        read_sources([str(tmp_path / "missing.toml")])
    (tmp_path / "urls.txt").write_text("https://a.example/\n")
    with pytest.raises(SourceError, match="expected an http"):
        read_sources([str(tmp_path / "urls.txt")])


def test_a_source_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    toml = tmp_path / "sources.toml"
    toml.write_text("# nothing yet\n", encoding="utf-8")
    watched = SourceList([str(toml)])
    assert watched.sources == [] and not watched.changed()
    toml.write_text('[[source]]\nurl = "https://a.example/rss.xml"\n', encoding="utf-8")
    later = time.time() + 5
    os.utime(toml, (later, later))
    assert watched.changed() and [s.url for s in watched.sources] == ["https://a.example/rss.xml"]
    toml.write_text("[[source]\n", encoding="utf-8")  # a typo while editing: the old list stays
    os.utime(toml, (later + 5, later + 5))
    with pytest.raises(SourceError):
        watched.changed()
    assert [s.url for s in watched.sources] == ["https://a.example/rss.xml"]
