"""Reading time: minutes a reader needs for the body, at an average silent-reading speed."""

from __future__ import annotations

from newsmill import stage_version
from newsmill.record import ArticleRecord, StageRun

VERSION = stage_version("reading-time")
WORDS_PER_MINUTE = 238
"""Mean adult silent reading rate for non-fiction (Brysbaert 2019, a meta-analysis of 190 studies)."""


def enrich(record: ArticleRecord) -> ArticleRecord:
    words = record.word_count or 0
    minutes = round(words / WORDS_PER_MINUTE, 1)
    run = StageRun(stage="enrich.reading_time", version=VERSION,
                   fields={"reading_time_min": "newsmill.enrich.reading_time"})
    return record.with_stage(run, reading_time_min=minutes)
