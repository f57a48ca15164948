"""Enrichment stage ``dedup``: exact and near copies across the corpus, on the real Redis."""

from __future__ import annotations

import gzip
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import redis

from newsmill.clean import clean
from newsmill.enrich.dedupe import DedupOptions
from newsmill.enrich.dedupe import stage as dedup
from newsmill.extract import extract
from newsmill.ids import id_for_content
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from tests.conftest import ROOT, SEED, validate_record

EDITS = {"brutal": "horrific", "14 civilians": "fourteen civilians", "“frantic”": "desperate",
         "top UN chiefs": "UN leaders"}
"""A few words of the seed story changed, as a reposting site might."""


def make_record(body: str, source: Source, *, kind: str = "text", job: str = "job-dedup") -> ArticleRecord:
    doc = Document(item=WorkItem(job, source), id=id_for_content(body), content_kind=kind,  # type: ignore[arg-type]
                   body=body)
    return extract(clean(doc))


def seed_record() -> ArticleRecord:
    return make_record(SEED.read_text(encoding="utf-8"), Source("file", str(SEED)))


def edited_seed_record(tmp_path: Path) -> ArticleRecord:
    body = SEED.read_text(encoding="utf-8")
    for old, new in EDITS.items():
        assert old in body
        body = body.replace(old, new)
    return make_record(body, Source("jsonl", str(tmp_path / "wire.jsonl"), line=1))


def unrelated_record() -> ArticleRecord:
    html = gzip.decompress((ROOT / "tests/fixtures/clean/wcxb-0480.html.gz").read_bytes()).decode("utf-8")
    return make_record(html, Source("file", "/data/wcxb-0480.html"), kind="html")


def dedup_of(record: ArticleRecord) -> dict[str, Any]:
    data = record.to_dict()
    validate_record(data)
    return {"duplicate_of": data["duplicate_of"], "similarity": data["similarity"], **data["dedup"]}


def test_edited_copy_of_seed_points_to_first(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """The seed story, then the same story from a JSONL line with a few words edited: the copy names the
    first as ``duplicate_of`` with a high but not perfect similarity, and stays ok."""
    first = dedup.enrich_with(seed_record(), redis=redis_client, prefix=prefix)
    copy = dedup.enrich_with(edited_seed_record(tmp_path), redis=redis_client, prefix=prefix)
    assert first.id != copy.id and first.content_hash != copy.content_hash
    assert dedup_of(first)["duplicate_of"] is None
    result = dedup_of(copy)
    assert result["duplicate_of"] == first.id
    assert result["method"] == "minhash"
    assert 0.7 < result["similarity"] < 1.0
    assert copy.status == "ok"
    assert copy.provenance[-1].stage == "enrich.dedup" and copy.provenance[-1].skipped is None


def test_unrelated_article_is_not_a_copy(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """An unrelated article indexed after the seed story and its copy gets ``duplicate_of`` null."""
    dedup.enrich_with(seed_record(), redis=redis_client, prefix=prefix)
    dedup.enrich_with(edited_seed_record(tmp_path), redis=redis_client, prefix=prefix)
    other = dedup.enrich_with(unrelated_record(), redis=redis_client, prefix=prefix)
    assert (other.word_count or 0) > 100
    assert dedup_of(other) == {"duplicate_of": None, "similarity": None, "method": None, "candidates": 0}


def test_exact_copy_found_by_content_hash(redis_client: redis.Redis, prefix: str) -> None:
    """The same text from another input (reflowed and upper-cased, so the same normalised hash) is an
    exact copy of the first, by ``content_hash``."""
    first = dedup.enrich_with(seed_record(), redis=redis_client, prefix=prefix)
    reflowed = "\n\n".join(" \n ".join(p.split(" ")) for p in (first.text or "").upper().split("\n\n"))
    copy = make_record(f"{first.title}\n\n{reflowed}", Source("file", "/data/copy.txt"))
    assert copy.content_hash == first.content_hash and copy.id != first.id
    result = dedup_of(dedup.enrich_with(copy, redis=redis_client, prefix=prefix))
    assert result == {"duplicate_of": first.id, "similarity": 1.0, "method": "exact", "candidates": 0}


def test_first_article_processed_again_is_still_first(redis_client: redis.Redis, prefix: str,
                                                     tmp_path: Path) -> None:
    """A redelivered original does not become a copy of the copy indexed after it; the copy's answer
    does not change either."""
    first, copy = seed_record(), edited_seed_record(tmp_path)
    dedup.enrich_with(first, redis=redis_client, prefix=prefix)
    once = dedup_of(dedup.enrich_with(copy, redis=redis_client, prefix=prefix))
    assert dedup_of(dedup.enrich_with(first, redis=redis_client, prefix=prefix))["duplicate_of"] is None
    assert dedup_of(dedup.enrich_with(copy, redis=redis_client, prefix=prefix)) == once


def test_short_text_is_skipped_with_a_reason(redis_client: redis.Redis, prefix: str) -> None:
    """A text below ``min_words`` is not fingerprinted: skipped ``text_too_short``, fields null, no key
    written."""
    record = make_record("Short note\n\nThe council met on Monday and approved the budget for next year.",
                         Source("file", "/data/short.txt"))
    result = dedup.enrich_with(record, redis=redis_client, prefix=prefix)
    assert result.provenance[-1].skipped == "text_too_short"
    assert dedup_of(result)["duplicate_of"] is None
    assert list(redis_client.scan_iter(f"{prefix}:*")) == []


def test_index_keys_are_prefixed_and_expire(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """Every key the stage writes is under the prefix and carries a TTL no longer than the window."""
    options = DedupOptions(ttl_seconds=3600)
    # Keys, not a count: earlier tests' keys in the shared database expire while this one runs.
    before = set(redis_client.scan_iter(count=1000))
    dedup.enrich_with(seed_record(), redis=redis_client, prefix=prefix, options=options)
    dedup.enrich_with(edited_seed_record(tmp_path), redis=redis_client, prefix=prefix, options=options)
    keys = list(redis_client.scan_iter(f"{prefix}:*"))
    written = set(redis_client.scan_iter(count=1000)) - before
    assert written == set(keys)
    assert len(keys) > options.bands
    assert all(0 < redis_client.ttl(key) <= 3600 for key in keys)


def test_unavailable_index_skips_instead_of_failing(tmp_path: Path) -> None:
    """With Redis unreachable (a closed loopback port) the article goes on ok, skipped
    ``index_unavailable``."""
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    result = dedup.enrich_with(seed_record(), redis=dead, prefix="unused")
    assert result.status == "ok" and result.provenance[-1].skipped == "index_unavailable"
    assert dedup_of(result)["duplicate_of"] is None


# --- two processes, one index -----------------------------------------------------------------------

def _dedup_through_the_pipeline(redis_url: str, prefix: str, record: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process, as a worker runs the stage: the pipeline's ``enrich.dedup`` stage under
    :func:`run_stage`, with this process's own resources (its own Redis client) built from settings."""
    from newsmill.pipeline import enrich_stage, run_stage
    from newsmill.resources import Resources
    from newsmill.settings import Settings

    res = Resources(Settings(redis_url=redis_url, prefix=prefix, enrich=("dedup",)))
    try:
        return run_stage(enrich_stage("dedup"), ArticleRecord.from_dict(record), res).to_dict()
    finally:
        res.close()


def _race(redis_url: str, prefixes: list[str], records: list[dict[str, Any]],
          barrier: Any, results: Any) -> None:
    """In a fresh process with its own client: for each prefix, wait for the other process, then index
    the record at the same moment."""
    client = redis.Redis.from_url(redis_url)
    for round_prefix, record in zip(prefixes, records, strict=True):
        barrier.wait(timeout=60)
        out = dedup.enrich_with(ArticleRecord.from_dict(record), redis=client, prefix=round_prefix)
        results.put((round_prefix, out.id, out.duplicate_of))
    client.close()


@pytest.mark.integration  # spawns two processes
def test_two_processes_share_one_index(redis_url: str, prefix: str, tmp_path: Path) -> None:
    """Two spawned processes, each running the pipeline's dedup stage on its own resources (its own Redis
    client): the second finds the article the first indexed."""
    first, copy = seed_record(), edited_seed_record(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as one, ctx.Pool(1) as other:
        out_first = one.apply(_dedup_through_the_pipeline, (redis_url, prefix, first.to_dict()))
        out_copy = other.apply(_dedup_through_the_pipeline, (redis_url, prefix, copy.to_dict()))
    assert out_first["duplicate_of"] is None
    assert out_copy["duplicate_of"] == first.id


@pytest.mark.integration  # spawns two processes
def test_racing_copies_at_most_one_misses(redis_url: str, prefix: str, tmp_path: Path) -> None:
    """Two processes index two copies at the same instant, five times: each time exactly one of them
    names the other, never both and never neither."""
    first, copy = seed_record(), edited_seed_record(tmp_path)
    prefixes = [f"{prefix}r{i}" for i in range(5)]
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(redis_url, prefixes, [r.to_dict()] * 5, barrier, results))
             for r in (first, copy)]
    for proc in procs:
        proc.start()
    outcomes: dict[str, dict[str, str | None]] = {p: {} for p in prefixes}
    for _ in range(10):
        round_prefix, article_id, duplicate_of = results.get(timeout=120)
        outcomes[round_prefix][article_id] = duplicate_of
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    for pair in outcomes.values():
        marked = {article for article, original in pair.items() if original is not None}
        assert len(marked) == 1, pair
        (article,) = marked
        assert pair[article] == ({first.id, copy.id} - {article}).pop()
