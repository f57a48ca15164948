"""Enrichment stage ``dedup``: is this article a copy of one seen before, by any worker?

Exact copies are found by the extract stage's ``content_hash``; near copies (syndicated wire stories,
lightly edited reposts) by MinHash LSH over word shingles. The index lives in Redis so every worker
process on every host shares it (:mod:`newsmill.enrich.dedupe.index`). A copy is not dropped: it stays
``ok`` with ``duplicate_of`` naming the earlier article, so consumers can count a wire story once and
still keep every copy. The stage never fails an article: it skips with a reason instead.

The pipeline calls :func:`enrich_with_resources`: the index is the process's, on its resources
(:attr:`newsmill.resources.Resources.dedup_index`), built from the settings it was given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis
import structlog

from newsmill import stage_version
from newsmill.enrich.dedupe import DedupIndex, DedupOptions, Match, signature, words
from newsmill.ids import content_hash
from newsmill.record import ArticleRecord, StageRun

if TYPE_CHECKING:
    from newsmill.resources import Resources
from newsmill.timing import Stopwatch

VERSION = stage_version("dedup", "datasketch")
STAGE = "enrich.dedup"
_PRODUCER = "newsmill.enrich.dedup"
_DEFAULT_OPTIONS = DedupOptions()

log = structlog.get_logger("newsmill.enrich.dedup")


def enrich_with(record: ArticleRecord, *, redis: redis.Redis, prefix: str,
                options: DedupOptions = _DEFAULT_OPTIONS) -> ArticleRecord:
    """``record`` with ``duplicate_of``, ``similarity`` and ``dedup`` set from the shared index at
    ``prefix`` on ``redis``, which now also holds this article for the ones after it."""
    return _enrich(record, DedupIndex(redis, prefix, options), options)


def enrich_with_resources(record: ArticleRecord, res: Resources) -> ArticleRecord:
    """The pipeline's entry point: the index on the process's resources (its Redis client, prefix and
    dedup options)."""
    return _enrich(record, res.dedup_index, res.settings.dedup or _DEFAULT_OPTIONS)


def warm_up() -> None:
    """Import datasketch and draw the permutations now, before the pool forks; connecting to Redis
    waits for the first article, in the child."""
    signature(words("warm up the minhash permutations"), _DEFAULT_OPTIONS)


def _enrich(record: ArticleRecord, index: DedupIndex, options: DedupOptions) -> ArticleRecord:
    watch = Stopwatch()
    text = record.text or ""
    tokens = words(text)
    if len(tokens) < options.min_words:
        return _finish(record, watch, Match(None, None, None), skipped="text_too_short")
    try:
        match = index.check(record.id, record.content_hash or content_hash(text), signature(tokens, options))
    except redis.RedisError as exc:
        # A lost index must not lose the article: it goes on unmarked, and the log says why.
        log.warning("dedup.index_unavailable", article_id=record.id, error=f"{type(exc).__name__}: {exc}")
        return _finish(record, watch, Match(None, None, None), skipped="index_unavailable")
    return _finish(record, watch, match, skipped=None)


def _finish(record: ArticleRecord, watch: Stopwatch, match: Match, *, skipped: str | None) -> ArticleRecord:
    fields = {} if skipped else {"duplicate_of": _PRODUCER, "similarity": _PRODUCER, "dedup": _PRODUCER}
    run = StageRun(stage=STAGE, version=VERSION, duration_ms=watch.ms, fields=fields, skipped=skipped)
    dedup = {"method": match.method, "candidates": match.candidates}
    return record.with_stage(run, extra={**record.extra, "duplicate_of": match.duplicate_of,
                                         "similarity": match.similarity, "dedup": dedup})
