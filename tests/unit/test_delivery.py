"""Exactly-once delivery to the JSONL file and the Redis stream, against the real Redis."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import redis

from newsmill.jobs import JobStore
from newsmill.keys import Keys
from newsmill.record import ArticleRecord, Source
from newsmill.sinks import Delivery, DeliveryOutcome, JsonlSink
from tests.conftest import read_jsonl, validate_record


def make_record(job: str, location: str, article_id: str = "a" * 24, status: str = "ok") -> ArticleRecord:
    return ArticleRecord(
        id=article_id, job_id=job, source=Source("file", location), status=status,  # type: ignore[arg-type]
        reason=None if status == "ok" else "empty", title="T", text="Body text.", word_count=2,
    )


def stream_len(client: redis.Redis, keys: Keys) -> int:
    return int(client.xlen(keys.stream()))


def test_redelivery_writes_nothing_twice(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """Delivering the same job input twice leaves one line, one stream entry and one count."""
    keys = Keys(prefix)
    sink = JsonlSink(tmp_path / "out.jsonl")
    delivery = Delivery(redis_client, keys, jsonl=sink)
    record = make_record("job1", "/data/a.txt")
    assert delivery.deliver(record)[0] is DeliveryOutcome.DELIVERED
    assert delivery.deliver(record)[0] is DeliveryOutcome.REDELIVERY_SKIPPED
    assert len(read_jsonl(sink.path)) == 1
    assert stream_len(redis_client, keys) == 1
    assert JobStore(redis_client, keys).counts("job1").ok == 1
    validate_record(read_jsonl(sink.path)[0])


def test_crash_between_file_and_commit_recovers_once(redis_client: redis.Redis, prefix: str,
                                                     tmp_path: Path) -> None:
    """A worker that died after writing the line but before committing does not cause a second line."""
    keys = Keys(prefix)
    sink = JsonlSink(tmp_path / "out.jsonl")
    delivery = Delivery(redis_client, keys, jsonl=sink)
    record = make_record("job2", "/data/b.txt")
    # What the dead worker managed: the claim and the file line, no commit.
    delivery._claim(keys=[keys.job_deliveries("job2"), keys.job_articles("job2")],
                    args=[record.source.key, record.id, 60])
    sink.append(record.to_dict())
    outcome, _ = delivery.deliver(record)
    assert outcome is DeliveryOutcome.DELIVERED
    assert len(read_jsonl(sink.path)) == 1
    assert stream_len(redis_client, keys) == 1


def test_crash_before_file_write_still_delivers(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """A worker that died after claiming but before writing leaves the line to the redelivery."""
    keys = Keys(prefix)
    sink = JsonlSink(tmp_path / "out.jsonl")
    delivery = Delivery(redis_client, keys, jsonl=sink)
    record = make_record("job3", "/data/c.txt")
    delivery._claim(keys=[keys.job_deliveries("job3"), keys.job_articles("job3")],
                    args=[record.source.key, record.id, 60])
    delivery.deliver(record)
    assert len(read_jsonl(sink.path)) == 1
    assert stream_len(redis_client, keys) == 1


def test_same_article_from_two_inputs_is_a_duplicate(redis_client: redis.Redis, prefix: str,
                                                     tmp_path: Path) -> None:
    """Two inputs of one job with the same article id give one ok record and one 'duplicate' drop."""
    keys = Keys(prefix)
    delivery = Delivery(redis_client, keys, jsonl=JsonlSink(tmp_path / "out.jsonl"))
    delivery.deliver(make_record("job4", "/data/one.txt"))
    _, second = delivery.deliver(make_record("job4", "/data/two.txt"))
    assert second.status == "dropped" and second.reason == "duplicate"
    counts = JobStore(redis_client, keys).counts("job4")
    assert (counts.ok, counts.dropped, counts.reasons) == (1, 1, {"duplicate": 1})
    validate_record(second.to_dict())


def test_failed_records_go_to_the_dead_letter_stream(redis_client: redis.Redis, prefix: str) -> None:
    """A failed record reaches the result stream and the dead-letter stream; its code is counted."""
    keys = Keys(prefix)
    delivery = Delivery(redis_client, keys)
    failed = ArticleRecord(id="b" * 24, job_id="job5", source=Source("url", "http://x.test/"),
                           status="failed", reason="timeout", message="read timed out")
    delivery.deliver(failed)
    letters = redis_client.xrange(keys.deadletter())
    assert len(letters) == 1 and json.loads(letters[0][1][b"record"])["reason"] == "timeout"
    assert JobStore(redis_client, keys).counts("job5").reasons == {"timeout": 1}


def _append_many(path: str, writer: int, count: int) -> None:
    sink = JsonlSink(path)
    for n in range(count):
        sink.append({"writer": writer, "n": n, "pad": "x" * 5000})


def test_jsonl_sink_is_safe_with_many_writers(tmp_path: Path) -> None:
    """Four processes appending at once produce only whole, parseable lines, none lost."""
    path = str(tmp_path / "many.jsonl")
    # spawn, not fork: forking a test process that runs threads (HTTP test servers) can deadlock.
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(path, w, 200)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    lines = read_jsonl(Path(path))
    assert len(lines) == 800
    assert {(line["writer"], line["n"]) for line in lines} == {(w, n) for w in range(4) for n in range(200)}
