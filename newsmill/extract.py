"""The extract stage: facts computed from the clean text (language, length, content hash)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from newsmill import stage_version
from newsmill.errors import Drop
from newsmill.ids import content_hash
from newsmill.record import ArticleRecord, StageRun
from newsmill.text.segment import count_words

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

VERSION = stage_version("extract", "py3langid")
MIN_LANGUAGE_CONFIDENCE = 0.5
"""Below this normalised probability the language is recorded as unknown (null)."""


@functools.cache
def _identifier() -> LanguageIdentifier:
    # Loading the model takes ~0.6 s: once per process, not per article.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify_language(text: str) -> tuple[str | None, float]:
    """ISO 639-1 code and confidence; ``None`` when the model is not confident."""
    lang, prob = _identifier().classify(text)
    return (str(lang) if prob >= MIN_LANGUAGE_CONFIDENCE else None), float(prob)


def extract(record: ArticleRecord) -> ArticleRecord:
    """Language (unless the input declared one), word count and content hash of the clean text."""
    text = record.text or ""
    if not text.strip():
        raise Drop("empty", "no text left after cleaning")
    fields = {"word_count": "newsmill.extract", "content_hash": "newsmill.extract"}
    language = record.language
    if language is None:
        language, _confidence = identify_language(text)
        fields["language"] = "py3langid"
    run = StageRun(stage="extract", version=VERSION, fields=fields)
    return record.with_stage(run, language=language, word_count=count_words(text),
                             content_hash=content_hash(text))
