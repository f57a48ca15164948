"""Unit tests of the dates enrichment: publication-date evidence and resolved date mentions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from newsmill.clean import clean
from newsmill.enrich import dates
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from tests.conftest import ROOT, SEED, validate_record

FIXTURES = ROOT / "tests" / "fixtures" / "enrich"
WEDNESDAY = dt.date(2017, 10, 25)


def article(path: Path, **hints: str) -> ArticleRecord:
    """A text file through the real clean and extract stages, with the hints a JSONL line would give."""
    doc = Document(item=WorkItem("job", Source("file", str(path))), id="e" * 24, content_kind="text",
                   body=path.read_text(encoding="utf-8"), hints=hints)
    return extract(clean(doc))


def mention(record: ArticleRecord, text: str) -> dict[str, Any]:
    return next(m for m in record.dates["mentions"] if m["text"] == text)


def test_seed_without_publication_date_keeps_mention_unresolved() -> None:
    """The undated seed mentions October 23rd, resolved null, and gains no publication date."""
    record = dates.enrich(article(SEED))
    found = mention(record, "October 23rd")
    assert found["resolved"] is None
    assert (record.text or "")[found["start"]:found["end"]] == "October 23rd"
    assert record.published is None and record.dates["published_candidates"] == []
    validate_record(record.to_dict())


def test_seed_with_input_publication_date_resolves_mention() -> None:
    """With published 2017-10-25 from the input, October 23rd resolves to 2017-10-23."""
    record = dates.enrich(article(SEED, published="2017-10-25"))
    assert mention(record, "October 23rd")["resolved"] == "2017-10-23"
    assert record.dates["published_candidates"] == [{"value": "2017-10-25", "source": "input"}]
    assert record.published == "2017-10-25" and "published" not in record.provenance[-1].fields
    validate_record(record.to_dict())


def test_url_date_fills_a_missing_publication_date() -> None:
    """A /2017/10/25/ URL becomes the publication date and anchors the mentions."""
    base = dataclasses.replace(article(SEED), url="https://sana.sy/en/2017/10/25/coalition-raqqa/")
    record = dates.enrich(base)
    assert record.published == "2017-10-25"
    assert record.dates["published_candidates"] == [{"value": "2017-10-25", "source": "url"}]
    assert record.provenance[-1].fields["published"] == "newsmill.enrich.dates (url)"
    assert mention(record, "October 23rd")["resolved"] == "2017-10-23"
    validate_record(record.to_dict())


def test_existing_publication_date_wins_over_url() -> None:
    """A record's own date stays; the URL's different date is listed as a second candidate only."""
    base = dataclasses.replace(article(SEED, published="2017-10-26T08:15:00+03:00"),
                               url="https://example.org/2017/10/25/story.html")
    record = dates.enrich(base)
    assert record.published == "2017-10-26T08:15:00+03:00"
    assert [c["source"] for c in record.dates["published_candidates"]] == ["input", "url"]
    assert mention(record, "October 23rd")["resolved"] == "2017-10-23"


def test_dateline_date_and_relative_mentions_in_a_wire_story() -> None:
    """The dateline's date is the publication date; Tuesday, yesterday and last Friday resolve from it."""
    record = dates.enrich(article(FIXTURES / "text_council_transit.txt"))
    assert record.published == "2023-10-18"  # a Wednesday
    assert record.dates["published_candidates"] == [{"value": "2023-10-18", "source": "dateline"}]
    assert mention(record, "Tuesday")["resolved"] == "2023-10-17"
    assert mention(record, "yesterday")["resolved"] == "2023-10-17"
    assert mention(record, "last Friday")["resolved"] == "2023-10-13"
    assert mention(record, "March 4, 2024")["resolved"] == "2024-03-04"
    text = record.text or ""
    assert all(text[m["start"]:m["end"]] == m["text"] for m in record.dates["mentions"])
    validate_record(record.to_dict())


def test_upcoming_month_day_resolves_to_the_coming_one() -> None:
    """November 14th in an October story is this year's, not last year's; December 30 in January is last year's."""
    assert dates.resolve("November 14th", dt.date(2023, 10, 18)) == dt.date(2023, 11, 14)
    assert dates.resolve("December 30", dt.date(2018, 1, 2)) == dt.date(2017, 12, 30)


def test_mention_patterns() -> None:
    """Month-day forms, weekdays, relative days are found; 'may 5', bare years and "today's" are not."""
    text = ("On Tuesday, October 24 officials met; the 3rd of October, 23 October 2017 and Oct. 5 were named. "
            "Two days ago he said he may 5 times reconsider the 2017 budget, next Friday, in today's markets.")
    found = {m["text"]: m["resolved"] for m in dates.mentions(text, WEDNESDAY)}
    assert found == {"Tuesday, October 24": "2017-10-24", "the 3rd of October": "2017-10-03",
                     "23 October 2017": "2017-10-23", "Oct. 5": "2017-10-05", "Two days ago": "2017-10-23",
                     "next Friday": "2017-10-27"}


def test_explicit_year_resolves_without_anchor() -> None:
    """A mention naming its year needs no publication date; a bare weekday does."""
    assert dates.resolve("23 October 2017", None) == dt.date(2017, 10, 23)
    assert dates.resolve("Tuesday", None) is None


def test_url_dates() -> None:
    """Slashed, dashed and compact URL dates are read; impossible dates and long numbers are not."""
    assert dates.url_date("https://x.com/2017/10/25/story") == dt.date(2017, 10, 25)
    assert dates.url_date("https://x.com/news/2017-10-25-story.html") == dt.date(2017, 10, 25)
    assert dates.url_date("https://x.com/a/20171025/b") == dt.date(2017, 10, 25)
    assert dates.url_date("https://x.com/2017/13/45/story") is None
    assert dates.url_date("https://x.com/a/1234567890/b") is None
    assert dates.url_date("https://20171025.example.com/story") is None


def test_dateline_requires_a_place_like_opening() -> None:
    """A full date before a dash counts after a capitalised place, not inside an ordinary sentence."""
    assert dates.dateline_date("BEIRUT, Oct. 25, 2017 (AFP) - Lebanese") == dt.date(2017, 10, 25)
    assert dates.dateline_date("The meeting on October 25, 2017 - it was long") is None


def test_non_english_mentions_are_not_looked_for() -> None:
    """A French record keeps its publication evidence but gets mentions null."""
    record = dates.enrich(article(FIXTURES / "text_fr_greve.txt", published="2018-04-03"))
    assert record.dates == {"published_candidates": [{"value": "2018-04-03", "source": "input"}],
                                     "mentions": None}
    validate_record(record.to_dict())
