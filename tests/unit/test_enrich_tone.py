"""Unit tests of the tone enrichment (VADER, mean of sentence scores)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

from newsmill.clean import clean
from newsmill.enrich import tone
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from tests.conftest import ROOT, SEED, validate_record

FIXTURES = ROOT / "tests" / "fixtures" / "enrich"


def article(path: Path) -> ArticleRecord:
    """A text file through the real clean and extract stages."""
    doc = Document(item=WorkItem("job", Source("file", str(path))), id="e" * 24, content_kind="text",
                   body=path.read_text(encoding="utf-8"))
    return extract(clean(doc))


def test_seed_tone_is_negative_and_well_formed() -> None:
    """The seed (airstrikes, massacres) scores negative; proportions sum to about one; record valid."""
    record = tone.enrich(article(SEED))
    result = record.tone
    assert result["method"] == "vader" and result["compound"] < -0.2
    assert abs(result["positive"] + result["negative"] + result["neutral"] - 1.0) < 0.01
    assert record.provenance[-1].stage == "enrich.tone" and record.provenance[-1].skipped is None
    validate_record(record.to_dict())


def test_sentence_mean_does_not_saturate_like_whole_text() -> None:
    """VADER on the whole seed saturates near -1; the sentence mean the stage reports does not."""
    record = article(SEED)
    whole = SentimentIntensityAnalyzer().polarity_scores(record.text)["compound"]
    assert whole < -0.95
    assert -0.95 < tone.enrich(record).tone["compound"] < 0


def test_positive_text_scores_positive() -> None:
    """An upbeat report scores above zero."""
    text = ("The new hospital wing opened on time and under budget. Patients praised the friendly staff. "
            "Doctors said the modern equipment would greatly improve care.")
    result = tone.enrich(dataclasses.replace(article(SEED), text=text)).tone
    assert result["compound"] > 0.3 and result["positive"] > result["negative"]


def test_non_english_is_skipped() -> None:
    """A French article gets no tone: VADER is English-only."""
    record = tone.enrich(article(FIXTURES / "text_fr_greve.txt"))
    assert record.language == "fr"
    assert record.tone is None and record.provenance[-1].skipped == "no_model_for_language"
    validate_record(record.to_dict())


def test_text_without_sentences_is_skipped() -> None:
    """Whitespace only: tone null, skipped text_too_short."""
    record = tone.enrich(dataclasses.replace(article(SEED), text=" \n\n "))
    assert record.tone is None and record.provenance[-1].skipped == "text_too_short"
