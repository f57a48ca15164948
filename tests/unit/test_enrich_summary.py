"""Unit tests of the summary enrichment (extractive TextRank with numpy)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from newsmill.clean import clean
from newsmill.enrich import summary
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from newsmill.text.segment import sentences
from tests.conftest import ROOT, SEED, validate_record

FIXTURES = ROOT / "tests" / "fixtures" / "enrich"


def article(path: Path) -> ArticleRecord:
    """A text file through the real clean and extract stages."""
    doc = Document(item=WorkItem("job", Source("file", str(path))), id="e" * 24, content_kind="text",
                   body=path.read_text(encoding="utf-8"))
    return extract(clean(doc))


def picked(record: ArticleRecord) -> list[int]:
    """Indexes of the summary's sentences among the body's sentences (-1 for one not in the body)."""
    body = [s.text for s in sentences(record.text or "")]
    return [next((i for i, b in enumerate(body) if b.endswith(s.text)), -1)
            for s in sentences(record.summary)]


def test_seed_summary_is_two_or_three_body_sentences_in_order() -> None:
    """The seed's summary is 2-3 of its own body sentences, in the body's order, without the title."""
    record = summary.enrich(article(SEED))
    positions = picked(record)
    assert 2 <= len(positions) <= 3 and -1 not in positions
    assert positions == sorted(positions)
    assert (record.title or "") not in record.summary
    assert record.provenance[-1].skipped is None
    validate_record(record.to_dict())


def test_long_article_gets_three_sentences_without_its_dateline() -> None:
    """A ten-sentence story gets three sentences, and an unknown agency's dateline is cut off."""
    record = summary.enrich(article(FIXTURES / "text_council_transit.txt"))
    text = record.summary
    assert len(picked(record)) == 3
    assert "Metro Wire" not in text and "SPRINGFIELD" not in text
    assert "Maria Lopez" not in text


def test_bylines_and_credits_are_not_candidates() -> None:
    """A byline and a photo credit inside the body are not among the sentences a summary may use."""
    text = ("By Jane Doe and John Smith in Frankfurt\n\nPhoto: the central bank building in Frankfurt on Thursday\n\n"
            "The central bank raised interest rates by half a point on Thursday. "
            "The bank said inflation remained far above its target.")
    assert summary.candidates(text) == ["The central bank raised interest rates by half a point on Thursday.",
                                        "The bank said inflation remained far above its target."]


def test_fewer_than_three_sentences_are_skipped() -> None:
    """Two sentences make no summary: summary null, skipped text_too_short, record still valid."""
    base = dataclasses.replace(article(SEED), text="The ministry sent two letters to the UN. It asked for action now.")
    record = summary.enrich(base)
    assert record.summary is None and record.provenance[-1].skipped == "text_too_short"
    validate_record(record.to_dict())


def test_textrank_prefers_the_sentence_the_others_share_words_with() -> None:
    """Without lead bias the hub sentence ranks first, and the scores form a distribution."""
    sents = ["Rain fell on the city.",
             "Floods closed the bridge and the tunnel.",
             "The bridge, the tunnel and the ring road closed as rain flooded the city.",
             "Engineers inspected the ring road."]
    scores = summary.rank(sents, frozenset({"the", "and", "as", "on"}), summary.SummaryOptions(lead_bias=0.0))
    assert int(np.argmax(scores)) == 2
    assert abs(float(scores.sum()) - 1.0) < 1e-6


def test_unsegmented_language_is_skipped() -> None:
    """Chinese text cannot be cut into sentences by these rules: skipped no_model_for_language."""
    record = summary.enrich(dataclasses.replace(article(SEED), language="zh"))
    assert record.summary is None and record.provenance[-1].skipped == "no_model_for_language"
