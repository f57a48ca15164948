"""Enrichment stage ``dedup``: is this article a copy of one seen before, by any worker?

Exact copies are found by the extract stage's ``content_hash``; near copies (syndicated wire stories,
lightly edited reposts) by MinHash LSH over word shingles. The index lives in Redis so every worker
process on every host shares it (:mod:`newsmill.enrich.dedupe.index`). A copy is not dropped: it stays
``ok`` with ``duplicate_of`` naming the earlier article, so consumers can count a wire story once and
still keep every copy. The stage never fails an article: it skips with a reason instead.

The pipeline calls :func:`enrich` with the process's index (built once per process from its settings,
:attr:`newsmill.resources.Resources.dedup_index`) and options.
"""

from __future__ import annotations

import redis
import structlog

from newsmill import stage_version
from newsmill.enrich.dedupe import DedupIndex, DedupOptions, Match, signature, words
from newsmill.ids import content_hash
from newsmill.record import ArticleRecord, StageRun

VERSION = stage_version("dedup", "datasketch")
STAGE = "enrich.dedup"
_PRODUCER = "newsmill.enrich.dedup"
_DEFAULT_OPTIONS = DedupOptions()

log = structlog.get_logger("newsmill.enrich.dedup")


def enrich_with(record: ArticleRecord, *, redis: redis.Redis, prefix: str,
                options: DedupOptions = _DEFAULT_OPTIONS) -> ArticleRecord:
    """``record`` with ``duplicate_of``, ``similarity`` and ``dedup`` set from the shared index at
    ``prefix`` on ``redis``, which now also holds this article for the ones after it."""
    return enrich(record, DedupIndex(redis, prefix, options), options)


def warm_up() -> None:
    """Import datasketch and draw the permutations now, before the pool forks; connecting to Redis
    waits for the first article, in the child."""
    signature(words("warm up the minhash permutations"), _DEFAULT_OPTIONS)


def enrich(record: ArticleRecord, index: DedupIndex, options: DedupOptions | None = None) -> ArticleRecord:
    """``record`` checked against (and added to) ``index``."""
    options = options or _DEFAULT_OPTIONS
    text = record.text or ""
    tokens = words(text)
    if len(tokens) < options.min_words:
        return _finish(record, Match(None, None, None), skipped="text_too_short")
    try:
        match = index.check(record.id, record.content_hash or content_hash(text), signature(tokens, options))
    except redis.RedisError as exc:
        # A lost index must not lose the article: it goes on unmarked, and the log says why.
        log.warning("dedup.index_unavailable", article_id=record.id, error=f"{type(exc).__name__}: {exc}")
        return _finish(record, Match(None, None, None), skipped="index_unavailable")
    return _finish(record, match, skipped=None)


def _finish(record: ArticleRecord, match: Match, *, skipped: str | None) -> ArticleRecord:
    fields = {} if skipped else {"duplicate_of": _PRODUCER, "similarity": _PRODUCER, "dedup": _PRODUCER}
    run = StageRun(stage=STAGE, version=VERSION, fields=fields, skipped=skipped)
    dedup = {"method": match.method, "candidates": match.candidates}
    return record.with_stage(run, duplicate_of=match.duplicate_of, similarity=match.similarity, dedup=dedup)
