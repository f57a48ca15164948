"""The plain-text cleaner: title, dateline, byline and teasers of a saved wire story."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsmill.clean import CleanOptions, clean
from newsmill.errors import Drop
from newsmill.record import Dateline, Document, Source, StageRun, WorkItem

SEED = Path(__file__).resolve().parents[2] / "seeds" / "sana-2017-10-25-coalition-raqqa-deir-ezzor.txt"


def text_doc(body: str, *, hints: dict[str, Any] | None = None,
             provenance: tuple[StageRun, ...] = ()) -> Document:
    item = WorkItem(job_id="job-1", source=Source(kind="file", location="/data/story.txt"))
    return Document(item=item, id="doc-1", content_kind="text", body=body, hints=hints or {},
                    provenance=provenance)


@pytest.fixture(scope="module")
def seed_doc() -> Document:
    return text_doc(SEED.read_text(encoding="utf-8"))


def test_seed_title_dateline_and_authors(seed_doc: Document) -> None:
    """The seed's first line is the title, its dateline is SANA in Damascus, its byline two editors."""
    record = clean(seed_doc)
    assert record.title == "Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa"
    assert record.dateline == Dateline(place="Damascus", agency="SANA")
    assert record.authors == ("M.al-Frieh", "H. Said")


def test_seed_text_is_only_the_story(seed_doc: Document) -> None:
    """The seed's text runs from after the dateline to the last paragraph, without byline or teasers."""
    text = clean(seed_doc).text
    assert text is not None
    assert text.startswith("Foreign and Expatriates Ministry called on the UN Security Council")
    assert text.endswith("destruction of their cities and infrastructure.")
    assert "Check Also" not in text
    assert "Nasrallah" not in text
    assert "M.al-Frieh" not in text
    assert "\n\n\n" not in text
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 8
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)


def test_seed_record_identity_and_provenance(seed_doc: Document) -> None:
    """The record keeps the document's id, job and source and appends exactly one clean run."""
    earlier = StageRun(stage="load", version="newsmill-load 0.1.0", duration_ms=1.0)
    doc = text_doc(seed_doc.body, provenance=(earlier,))
    record = clean(doc)
    assert (record.id, record.job_id, record.source) == ("doc-1", "job-1", doc.item.source)
    assert record.status == "ok"
    assert record.provenance[0] == earlier
    assert len(record.provenance) == 2
    run = record.provenance[1]
    assert run.stage == "clean"
    assert run.version.startswith("newsmill-clean ")
    assert run.fields == {"title": "newsmill.plaintext", "text": "newsmill.plaintext",
                          "authors": "newsmill.plaintext", "dateline": "newsmill.dateline"}
    assert record.language is None and record.word_count is None and record.content_hash is None


def test_empty_document_is_dropped() -> None:
    """A document that is empty or only whitespace is dropped as empty."""
    for body in ("", "  \n\t\n  "):
        with pytest.raises(Drop) as caught:
            clean(text_doc(body))
        assert caught.value.reason == "empty"


def test_title_without_body_is_dropped() -> None:
    """A document with nothing after its first line is dropped as too short."""
    with pytest.raises(Drop) as caught:
        clean(text_doc("Just a headline\n\n"))
    assert caught.value.reason == "too_short"


def test_dateline_alone_is_not_a_body() -> None:
    """A body that is nothing but a dateline and a byline is dropped as too short."""
    with pytest.raises(Drop) as caught:
        clean(text_doc("Headline\n\nHama, SANA-\n\nM.al-Frieh/H. Said\n"))
    assert caught.value.reason == "too_short"


def test_hard_wrapped_paragraphs_are_joined() -> None:
    """Lines wrapped inside a paragraph are joined with spaces; blank lines still separate paragraphs."""
    record = clean(text_doc("Title\n\nFirst line\nsecond line.\n\n\n\nNext   paragraph.\n"))
    assert record.text == "First line second line.\n\nNext paragraph."


def test_one_paragraph_per_line_without_blank_lines() -> None:
    """A text with no blank line at all is read as one paragraph per line."""
    record = clean(text_doc("Title\r\nFirst paragraph.\r\nSecond paragraph.\r\n"))
    assert record.title == "Title"
    assert record.text == "First paragraph.\n\nSecond paragraph."


@pytest.mark.parametrize("marker", ["Related", "Read more", "Read also:", "Also read", "Related Articles",
                                    "CHECK ALSO"])
def test_related_story_markers_end_the_article(marker: str) -> None:
    """A standalone related-story marker near the end cuts it and everything after it."""
    body = f"Title\n\nOne.\n\nTwo.\n\nThree.\n\n{marker}\n\nOther story\n\nAnother story"
    assert clean(text_doc(body)).text == "One.\n\nTwo.\n\nThree."


def test_marker_words_inside_sentences_are_kept() -> None:
    """'Related' or 'Read more' inside a sentence, or as the opening line, do not cut the article."""
    body = "Title\n\nRelated\n\nRead more about it in the report.\n\nRelated talks continue."
    assert clean(text_doc(body)).text == "Related\n\nRead more about it in the report.\n\nRelated talks continue."


def test_sentence_at_the_end_is_not_a_byline() -> None:
    """A final sentence, or a lone name without initials, is body text, not a byline."""
    record = clean(text_doc("Title\n\nThe talks ended.\n\nReuters\n\nThe ministry said so."))
    assert record.authors == ()
    assert record.text == "The talks ended.\n\nReuters\n\nThe ministry said so."


def test_hints_override_and_are_credited_to_the_input(seed_doc: Document) -> None:
    """Hints replace extracted values and their provenance says 'input'; the rest stays extracted."""
    hints = {"title": seed_doc.body.splitlines()[0], "published": "2017-10-25",
             "authors": ["SANA staff"], "language": "en", "description": ""}
    record = clean(text_doc(seed_doc.body, hints=hints))
    assert record.title == hints["title"]
    assert record.published == "2017-10-25"
    assert record.authors == ("SANA staff",)
    assert record.language == "en"
    assert record.description is None
    assert record.text is not None and record.text.startswith("Foreign and Expatriates Ministry")
    fields = record.provenance[-1].fields
    assert fields["title"] == fields["published"] == fields["authors"] == fields["language"] == "input"
    assert fields["text"] == "newsmill.plaintext"
    assert "description" not in fields


def test_title_hint_keeps_a_first_line_that_differs() -> None:
    """With a title hint, a first line that is not that title is body text, not a second title."""
    record = clean(text_doc("Body starts here.\n\nMore body.", hints={"title": "The real title"}))
    assert record.title == "The real title"
    assert record.text == "Body starts here.\n\nMore body."


def test_dateline_detection_can_be_turned_off(seed_doc: Document) -> None:
    """With detect_dateline off, the dateline stays in the text and no dateline is reported."""
    record = clean(seed_doc, options=CleanOptions(detect_dateline=False))
    assert record.dateline is None
    assert record.text is not None and record.text.startswith("Damascus, SANA – Foreign")
