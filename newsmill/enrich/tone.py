"""Tone: a document-level sentiment score of the body with VADER (Hutto & Gilbert, 2014).

VADER is a weak signal on hard news. It was built and validated on social-media text (tweets,
reviews), where sentiment is stated in words like "great" or "awful". In news, its lexicon reacts to
topic words rather than stance: "The hospital opened a new ward in its fight against cancer." scores
-0.79, as low as "Airstrikes killed 14 civilians and injured more than 40 others." (-0.80), and a
report's slant lies in which facts it selects and whom it quotes, which no word list sees. Use the
score to sort or filter in bulk, not as a judgement on a single article.

Score per sentence, then average. VADER normalises its summed valence with x / sqrt(x² + 15), which
saturates: on a whole article of a few hundred words the compound is nearly always close to -1 or
+1, so scoring the whole text at once would tell long articles apart by length, not tone (the seed
article: -0.99 as one text, -0.53 as the mean of its sentences). The mean of sentence scores stays in
range and weighs every sentence alike. ``positive``, ``negative`` and
``neutral`` are the means of the sentences' proportions, so they still sum to about 1.
"""

from __future__ import annotations

import functools
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

from newsmill import stage_version
from newsmill.record import ArticleRecord, StageRun
from newsmill.text.segment import sentences

STAGE = "enrich.tone"
VERSION = stage_version("tone", "vaderSentiment")
LANGUAGES = frozenset({"en"})
"""VADER's lexicon, idioms and negation rules are English."""


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    # Reads the lexicon and emoji files (~7,500 entries): once per process.
    return SentimentIntensityAnalyzer()


def warm_up() -> None:
    _analyzer()


def score(text: str) -> dict[str, Any] | None:
    """``{"compound", "positive", "negative", "neutral", "method"}``, or None for a text without sentences."""
    analyzer = _analyzer()
    polarities = [analyzer.polarity_scores(s.text) for s in sentences(text)]
    if not polarities:
        return None

    def mean(key: str) -> float:
        return round(sum(float(p[key]) for p in polarities) / len(polarities), 4)

    return {"compound": mean("compound"), "positive": mean("pos"), "negative": mean("neg"),
            "neutral": mean("neu"), "method": "vader"}


def enrich(record: ArticleRecord) -> ArticleRecord:
    tone: dict[str, Any] | None = None
    if record.language not in LANGUAGES:
        skipped: str | None = "no_model_for_language"
    else:
        tone = score(record.text or "")
        skipped = None if tone is not None else "text_too_short"
    fields = {"tone": "vader (sentence mean)"} if tone is not None else {}
    run = StageRun(stage=STAGE, version=VERSION, fields=fields, skipped=skipped)
    return record.with_stage(run, tone=tone)
