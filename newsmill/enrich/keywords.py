"""Keywords: the article's key phrases, best first, found by YAKE over the headline and the body.

YAKE (Campos et al., 2020) is unsupervised and needs only a stopword list per language, which the
``yake`` package ships. Its candidates never cross a sentence boundary, so the headline is joined to
the body as a sentence of its own (it often lacks a full stop): otherwise "… in Raqqa Foreign and
Expatriates Ministry" would be a candidate phrase spanning headline and body.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yake  # type: ignore[import-untyped]

from newsmill import stage_version
from newsmill.record import ArticleRecord, StageRun
from newsmill.text.segment import as_sentences, count_words, paragraphs

STAGE = "enrich.keywords"
VERSION = stage_version("keywords", "yake")
TOP = 10
MAX_NGRAM = 3
MIN_WORDS = 20
"""Below this many words YAKE's statistics (term frequency, spread over sentences) mean little."""

# yake names a few stopword files by something other than the ISO 639-1 code py3langid reports.
_YAKE_CODES: dict[str, str] = {"cs": "cz", "nb": "no", "nn": "no"}
# Languages written without spaces between words: yake's whitespace tokenizer would take whole
# clauses for words, so a stopword list alone does not make them work.
UNSEGMENTED = frozenset({"zh", "ja"})


@functools.cache
def stopwords(language: str) -> frozenset[str] | None:
    """yake's stopword list for an ISO 639-1 code, or None when yake has none for that language."""
    if language in UNSEGMENTED:
        return None
    code = _YAKE_CODES.get(language, language)
    listing = resources.files("yake.core").joinpath("StopwordsList", f"stopwords_{code}.txt")
    if not listing.is_file():
        return None
    words = listing.read_text(encoding="utf-8").lower().split()
    return frozenset(words)


def warm_up() -> None:
    stopwords("en")


def _skip(record: ArticleRecord, reason: str) -> ArticleRecord:
    run = StageRun(stage=STAGE, version=VERSION, fields={}, skipped=reason)
    return record.with_stage(run, keywords=None)


def extract_keywords(title: str | None, text: str, stop: frozenset[str], *, top: int = TOP
                     ) -> list[dict[str, Any]]:
    """``[{"keyword", "score"}]`` best first (YAKE scores: lower is more relevant)."""
    document = as_sentences(title or "", *paragraphs(text))
    extractor = yake.KeywordExtractor(n=MAX_NGRAM, top=top, stopwords=set(stop))
    found: list[tuple[str, float]] = extractor.extract_keywords(document)
    ranked = sorted(found, key=lambda pair: pair[1])
    return [{"keyword": keyword, "score": round(float(score), 6)} for keyword, score in ranked]


def enrich(record: ArticleRecord) -> ArticleRecord:
    text = record.text or ""
    stop = stopwords(record.language) if record.language else None
    if stop is None:
        return _skip(record, "no_model_for_language")
    if count_words(text) < MIN_WORDS:
        return _skip(record, "text_too_short")
    keywords = extract_keywords(record.title, text, stop)
    run = StageRun(stage=STAGE, version=VERSION, fields={"keywords": "yake"})
    return record.with_stage(run, keywords=keywords)
