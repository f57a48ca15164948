"""The HTML cleaner on saved real pages: metadata and body from trafilatura, drops for non-articles."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from newsmill.clean import CleanOptions, clean
from newsmill.clean import html as html_cleaner
from newsmill.clean.html import _extract
from newsmill.errors import Drop
from newsmill.record import Dateline, Document, Source, StageRun, WorkItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clean"

# Ground truth of the WCXB benchmark for the saved pages (see tests/fixtures/clean/README.md).
ARTICLES = {
    "4560": {
        "url": "https://www.npr.org/sections/health-shots/2022/11/09/1135211525/anxiety-medication-meditation-lexapro",
        "title": "Daily meditation may work as well as a popular drug to calm anxiety, study finds",
        "author": "April Fulton",
        "date": "2022-11-09",
        "sentence": "Researchers took 276 adults diagnosed with untreated anxiety disorders",
    },
    "0480": {
        "url": "https://itbrief.news/story/enterprises-pivot-to-smaller-measurable-ai-projects-by-2026",
        "title": "Enterprises pivot to smaller, measurable AI projects by 2026",
        "author": "Shannon Williams",
        "date": "2025-12-19",
        "sentence": "Vendors and customers have begun to test alternatives to seat-based licensing as usage "
                    "patterns change.",
    },
}

PARAGRAPHS = [
    ("The ministry said on Monday that the talks would resume next week in Geneva, after two rounds "
     "ended without agreement on the sequence of steps that both delegations had proposed."),
    ("Diplomats from both sides described the atmosphere of the last meeting as constructive, although "
     "neither delegation published the draft text that it had brought to the table."),
    ("A spokesperson for the mediators said a date for a third round would be announced once the "
     "delegations had consulted their governments about the remaining points of disagreement."),
]
DATELINE_PAGE = f"""<!DOCTYPE html><html lang="en"><head><title>Talks to resume in Geneva | Example News</title>
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="https://news.example.org/2024/05/06/talks-resume">
<meta name="author" content="Jane Doe; John Roe">
<meta property="article:published_time" content="2024-05-06T09:30:00+00:00">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Talks to resume in Geneva</h1>
<p>GENEVA (Reuters) - {PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p><p>{PARAGRAPHS[2]}</p></article>
<footer>Copyright Example News</footer></body></html>"""


def html_doc(body: str, *, url: str | None = None, hints: dict[str, Any] | None = None,
             provenance: tuple[StageRun, ...] = ()) -> Document:
    item = WorkItem(job_id="job-1", source=Source(kind="url", location=url or "https://example.org/"))
    return Document(item=item, id="doc-1", content_kind="html", body=body, url=url, hints=hints or {},
                    provenance=provenance)


def fixture_doc(name: str, url: str | None) -> Document:
    html = gzip.decompress((FIXTURES / f"wcxb-{name}.html.gz").read_bytes()).decode("utf-8", errors="replace")
    return html_doc(html, url=url)


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_real_article_metadata_matches_ground_truth(name: str) -> None:
    """Title, author and publication day of a saved news page equal the benchmark's ground truth."""
    truth = ARTICLES[name]
    record = clean(fixture_doc(name, truth["url"]))
    assert record.title == truth["title"]
    assert truth["author"] in record.authors
    assert record.published is not None
    assert record.published[:10] == truth["date"]
    datetime.fromisoformat(record.published)
    assert record.url == truth["url"]
    assert record.id == "doc-1"


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_real_article_text_is_paragraphs(name: str) -> None:
    """The body contains a known sentence and its paragraphs are separated by exactly one blank line."""
    text = clean(fixture_doc(name, ARTICLES[name]["url"])).text
    assert text is not None
    assert ARTICLES[name]["sentence"] in text
    assert "\n\n\n" not in text
    paragraphs = text.split("\n\n")
    assert len(paragraphs) > 3
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)


def test_real_article_provenance() -> None:
    """One clean run is appended, crediting trafilatura with the fields it produced (the pipeline times it)."""
    earlier = StageRun(stage="fetch", version="newsmill-fetch 0.1.0", duration_ms=12.0)
    doc = fixture_doc("4560", ARTICLES["4560"]["url"])
    record = clean(Document(item=doc.item, id=doc.id, content_kind="html", body=doc.body, url=doc.url,
                            provenance=(earlier,)))
    assert record.provenance[0] == earlier
    run = record.provenance[-1]
    assert len(record.provenance) == 2
    assert run.stage == "clean"
    assert "trafilatura 2.3.1" in run.version
    assert {"title", "authors", "published", "text"} <= run.fields.keys()
    assert run.fields["text"] == "trafilatura"


def test_forum_page_is_dropped() -> None:
    """A discussion thread (page type forum in the benchmark) yields no article and is dropped."""
    with pytest.raises(Drop) as caught:
        clean(fixture_doc("0575", "https://lobste.rs/s/dwip3v/rust_project_goals_for_2024"))
    assert caught.value.reason in {"no_content", "too_short"}


@pytest.mark.parametrize("body", ["", "   \n", "<html><body></body></html>"])
def test_empty_pages_are_dropped(body: str) -> None:
    """An empty string, or a page with an empty body, is dropped as no_content."""
    with pytest.raises(Drop) as caught:
        clean(html_doc(body, url="https://example.org/"))
    assert caught.value.reason == "no_content"


def test_navigation_only_page_is_dropped() -> None:
    """A page that is only navigation leaves a few link words, too few for an article: too_short."""
    body = "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>"
    with pytest.raises(Drop) as caught:
        clean(html_doc(body, url="https://example.org/"))
    assert caught.value.reason == "too_short"


def test_short_body_is_dropped() -> None:
    """A page whose body is shorter than min_text_chars is dropped as too_short."""
    page = DATELINE_PAGE
    with pytest.raises(Drop) as caught:
        clean(html_doc(page), options=CleanOptions(min_text_chars=10_000))
    assert caught.value.reason == "too_short"


def test_dateline_metadata_and_canonical_url() -> None:
    """The first paragraph's dateline is split off; the canonical URL fills url when the document has none."""
    record = clean(html_doc(DATELINE_PAGE))
    assert record.dateline == Dateline(place="GENEVA", agency="Reuters")
    assert record.text == "\n\n".join(PARAGRAPHS)
    assert record.title == "Talks to resume in Geneva"
    assert record.site_name == "Example News"
    assert record.authors == ("Jane Doe", "John Roe")
    assert record.published == "2024-05-06T09:30:00+00:00"
    assert record.url == "https://news.example.org/2024/05/06/talks-resume"
    assert record.id == "doc-1"
    fields = record.provenance[-1].fields
    assert fields["dateline"] == "newsmill.dateline"
    assert fields["url"] == "trafilatura"


def test_site_logo_headline_does_not_replace_the_title() -> None:
    """An <h1> holding the site's name is not mistaken for the story's headline."""
    page = DATELINE_PAGE.replace("<nav>", "<header><h1>Example News</h1></header><nav>").replace(
        "<title>Talks to resume in Geneva | Example News</title>",
        '<meta property="og:title" content="Example News | Talks to resume in Geneva">')
    assert clean(html_doc(page)).title == "Talks to resume in Geneva"


def test_hints_override_extracted_metadata() -> None:
    """Hints from the input win over trafilatura's values and are credited to the input."""
    hints = {"title": "Input title", "published": "2024-05-07", "authors": "A. Writer; B. Writer"}
    record = clean(html_doc(DATELINE_PAGE, url="https://example.org/a", hints=hints))
    assert record.title == "Input title"
    assert record.published == "2024-05-07"
    assert record.authors == ("A. Writer", "B. Writer")
    assert record.url == "https://example.org/a"
    fields = record.provenance[-1].fields
    assert fields["title"] == fields["published"] == fields["authors"] == "input"
    assert "url" not in fields



# Saved pages where one of trafilatura's two settings alone loses most of the body: the setting that
# loses it, and a sentence of the benchmark's ground truth that only the other setting finds.
BODY_SECTIONS = {
    # Balanced settings keep only the summary above the report's recommendations.
    "4519": ("https://www.c2es.org/document/u-s-technology-and-innovation-policies-lessons-for-climate-change/",
             False, "Policy-makers must be prepared to tolerate some “failures”"),
    # Recall settings trust their short body, which stops after the first plant.
    "4705": ("https://www.chicagobotanic.org/plant-information/smart-gardener/"
             "denizens-dark-indoor-plants-low-light-spaces",
             True, "Several palms make great indoor plants for low-light situations."),
}


@pytest.mark.parametrize("name", sorted(BODY_SECTIONS))
def test_the_longer_of_the_recall_and_balanced_bodies_is_kept(name: str) -> None:
    """A short recall body gets a balanced second pass; the longer body is the one that is complete."""
    url, losing_recall, sentence = BODY_SECTIONS[name]
    doc = fixture_doc(name, url)
    alone = _extract(doc.body, url, CleanOptions(), source=doc.id, recall=losing_recall)
    assert sentence not in alone.text
    assert sentence in (clean(doc).text or "")


def test_a_long_recall_body_needs_no_second_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a recall body shorter than ``second_pass_below_chars`` pays for the balanced pass."""
    url, _, _ = BODY_SECTIONS["4519"]
    calls: list[bool] = []

    def counting(*args: Any, recall: bool, **kwargs: Any) -> Any:
        calls.append(recall)
        return _extract(*args, recall=recall, **kwargs)

    monkeypatch.setattr(html_cleaner, "_extract", counting)
    clean(fixture_doc("4519", url), options=CleanOptions(second_pass_below_chars=1000))
    assert calls == [True]
    clean(fixture_doc("4519", url))
    assert calls == [True, True, False]
