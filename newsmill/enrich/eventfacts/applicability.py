"""When the English rule-based stages (quotes, events) run on a record at all."""

from __future__ import annotations

from newsmill.record import ArticleRecord
from newsmill.text.segment import count_words

MIN_WORDS = 5


def skip_reason(record: ArticleRecord, text: str) -> str | None:
    """``text_too_short``, ``no_model_for_language``, or None to run.

    The rules are English; an undetected language (None) still runs, since on a text that is not
    English they simply find nothing.
    """
    if count_words(text) < MIN_WORDS:
        return "text_too_short"
    if record.language not in (None, "en"):
        return "no_model_for_language"
    return None
