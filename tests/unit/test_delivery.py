"""Exactly-once delivery to the JSONL file and the Redis stream, against the real Redis."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
from pathlib import Path

import pytest
import redis

from newsmill.errors import InfrastructureError
from newsmill.jobs import JobStore
from newsmill.keys import Keys
from newsmill.ledger import Ledger, Registered
from newsmill.record import ArticleRecord, Source, WorkItem
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
    delivery._claim(keys=[keys.job_deliveries("job2"), keys.job_articles("job2"), keys.job("job2"),
                          keys.delivered(record.id)],
                    args=[record.source.key, record.id, 60, "", "job2"])
    assert sink.append_once(job_id="job2", input_key=record.source.key, record=record.to_dict())
    outcome = delivery.deliver(record).outcome
    assert outcome is DeliveryOutcome.DELIVERED
    assert len(read_jsonl(sink.path)) == 1
    assert stream_len(redis_client, keys) == 1


def test_crash_before_file_write_still_delivers(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """A worker that died after claiming but before writing leaves the line to the redelivery."""
    keys = Keys(prefix)
    sink = JsonlSink(tmp_path / "out.jsonl")
    delivery = Delivery(redis_client, keys, jsonl=sink)
    record = make_record("job3", "/data/c.txt")
    delivery._claim(keys=[keys.job_deliveries("job3"), keys.job_articles("job3"), keys.job("job3"),
                          keys.delivered(record.id)],
                    args=[record.source.key, record.id, 60, "", "job3"])
    delivery.deliver(record)
    assert len(read_jsonl(sink.path)) == 1
    assert stream_len(redis_client, keys) == 1


def test_redis_that_forgot_a_commit_gets_it_again_without_a_second_line(
        redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """Redis restarted from a file that missed its last second forgets claim, commit and stream entry;
    delivering again restores the stream entry and the count, and the JSONL file keeps one line."""
    keys = Keys(prefix)
    sink = JsonlSink(tmp_path / "out.jsonl")
    record = make_record("job6", "/data/f.txt")
    Delivery(redis_client, keys, jsonl=sink).deliver(record)
    redis_client.delete(*redis_client.keys(f"{prefix}:*"))  # what the restart lost
    outcome = Delivery(redis_client, keys, jsonl=JsonlSink(sink.path)).deliver(record).outcome
    assert outcome is DeliveryOutcome.DELIVERED
    assert len(read_jsonl(sink.path)) == 1
    assert stream_len(redis_client, keys) == 1
    assert JobStore(redis_client, keys).counts("job6").ok == 1


def test_unwritable_file_is_a_sink_error_and_nothing_is_counted(redis_client: redis.Redis, prefix: str) -> None:
    """A JSONL file on a full device raises a retryable sink_error naming the OS error; nothing reaches
    the stream or the counts, so the retry (or the dead-letter path) still has everything to do."""
    keys = Keys(prefix)
    delivery = Delivery(redis_client, keys, jsonl=JsonlSink("/dev/full"))
    with pytest.raises(InfrastructureError) as raised:
        delivery.deliver(make_record("job7", "/data/g.txt"))
    assert raised.value.code == "sink_error" and "No space left on device" in raised.value.message
    assert stream_len(redis_client, keys) == 0
    assert JobStore(redis_client, keys).counts("job7").done == 0
    outcome = delivery.deliver(make_record("job7", "/data/g.txt", status="failed"), to_stores=False).outcome
    assert outcome is DeliveryOutcome.DELIVERED and stream_len(redis_client, keys) == 1


def test_jsonl_index_catches_up_with_a_line_its_writer_did_not_index(tmp_path: Path) -> None:
    """A line in the file that the index does not know (its writer died before indexing it) is found
    before the next append, and the same job and input are not written again."""
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(path)
    first = make_record("job8", "/data/h.txt").to_dict()
    assert sink.append_once(job_id="job8", input_key="/data/x.txt", record={**first, "id": "x"})
    with open(path, "a", encoding="utf-8") as handle:  # the dead writer's line, never indexed
        handle.write(json.dumps(first) + "\n")
    assert not JsonlSink(path).append_once(job_id="job8", input_key="/data/h.txt", record=first)
    assert len(read_jsonl(path)) == 2


def test_jsonl_torn_last_line_is_cut_off(tmp_path: Path) -> None:
    """Half a line left by a writer killed mid-write is removed, so the file stays valid JSON Lines."""
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(path)
    sink.append_once(job_id="j", input_key="a", record={"job_id": "j", "source": {"location": "a"}})
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"job_id": "j", "source": {"locat')
    sink.append_once(job_id="j", input_key="b", record={"job_id": "j", "source": {"location": "b"}})
    assert [r["source"]["location"] for r in read_jsonl(path)] == ["a", "b"]


def test_jsonl_file_rotated_away_is_written_anew(tmp_path: Path) -> None:
    """A file moved away (log rotation) resets the index: the new file gets its lines."""
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(path)
    record = {"job_id": "j", "source": {"location": "a"}}
    assert sink.append_once(job_id="j", input_key="a", record=record)
    path.rename(tmp_path / "out.jsonl.1")
    assert sink.append_once(job_id="j", input_key="a", record=record)
    assert len(read_jsonl(path)) == 1


def test_delivery_takes_the_input_off_the_ledger(redis_client: redis.Redis, prefix: str) -> None:
    """The commit removes the input's ledger entry and registration, and the job from the active ones
    once every input is in."""
    keys = Keys(prefix)
    record = make_record("job9", "/data/i.txt")
    ledger = Ledger(redis_client, keys)
    JobStore(redis_client, keys).create("job9", inputs=["/data"])
    ledger.register("job9", [Registered(WorkItem("job9", record.source), ("load", "clean", "sink"))], grace=30)
    JobStore(redis_client, keys).mark_enqueue_complete("job9")
    assert ledger.unfinished("job9") == 1 and ledger.active_jobs() == ["job9"]
    Delivery(redis_client, keys).deliver(record)
    assert ledger.unfinished("job9") == 0 and ledger.active_jobs() == []
    assert ledger.registered("job9", record.source.key) is None


def test_same_article_from_two_inputs_is_a_duplicate(redis_client: redis.Redis, prefix: str,
                                                     tmp_path: Path) -> None:
    """Two inputs of one job with the same article id give one ok record and one 'duplicate' drop."""
    keys = Keys(prefix)
    delivery = Delivery(redis_client, keys, jsonl=JsonlSink(tmp_path / "out.jsonl"))
    delivery.deliver(make_record("job4", "/data/one.txt"))
    second = delivery.deliver(make_record("job4", "/data/two.txt")).record
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


def _append_many(path: str, writer: int, count: int, same_keys: bool) -> None:
    sink = JsonlSink(path)
    for n in range(count):
        key = f"input-{n}" if same_keys else f"input-{writer}-{n}"
        sink.append_once(job_id="job", input_key=key,
                         record={"job_id": "job", "source": {"location": key}, "writer": writer, "n": n,
                                 "pad": "x" * 5000})


@pytest.mark.integration  # spawns four writer processes
@pytest.mark.parametrize("same_keys", [False, True], ids=["distinct-inputs", "same-inputs"])
def test_jsonl_sink_is_safe_with_many_writers(tmp_path: Path, same_keys: bool) -> None:
    """Four processes appending at once produce only whole, parseable lines, none lost; when all four
    write the same inputs, each input is in the file once."""
    path = str(tmp_path / "many.jsonl")
    # spawn, not fork: forking a test process that runs threads (HTTP test servers) can deadlock.
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(path, w, 200, same_keys)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    lines = read_jsonl(Path(path))
    if same_keys:
        assert sorted(line["n"] for line in lines) == list(range(200))
    else:
        assert len(lines) == 800
        assert {(line["writer"], line["n"]) for line in lines} == {(w, n) for w in range(4) for n in range(200)}


def test_a_later_job_counts_an_article_delivered_unchanged_instead_of_delivering_it_again(
        redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """Re-running the same input: the second job's record is unchanged/already_delivered (in no sink); a
    changed text is delivered; a job created with reprocess delivers it again."""
    keys = Keys(prefix)
    jobs = JobStore(redis_client, keys)
    sink = JsonlSink(tmp_path / "out.jsonl")
    delivery = Delivery(redis_client, keys, jsonl=sink, delivered_window=3600)
    for job in ("first", "again", "edited"):
        jobs.create(job, inputs=["/data/a.txt"])
    jobs.create("forced", inputs=["/data/a.txt"], reprocess=True)

    def record(job: str, text_hash: str) -> ArticleRecord:
        return dataclasses.replace(make_record(job, "/data/a.txt"), content_hash=text_hash)

    assert delivery.deliver(record("first", "h1"))[1].status == "ok"
    outcome, again, _latency = delivery.deliver(record("again", "h1"))
    assert outcome is DeliveryOutcome.DELIVERED
    assert (again.status, again.reason) == ("unchanged", "already_delivered") and "first" in (again.message or "")
    assert delivery.deliver(record("edited", "h2"))[1].status == "ok"
    assert delivery.deliver(record("forced", "h2"))[1].status == "ok"
    assert [line["job_id"] for line in read_jsonl(sink.path)] == ["first", "edited", "forced"]
    assert stream_len(redis_client, keys) == 3
    counts = jobs.counts("again")
    assert (counts.unchanged, counts.ok, counts.delivered) == (1, 0, 0)


def test_delivering_an_input_removes_its_stored_document_in_the_same_step(
        redis_client: redis.Redis, prefix: str) -> None:
    """The commit deletes the input's stored document: a worker killed between delivering and cleaning
    up (its redelivered message then stops at start) leaves nothing of a finished job behind."""
    from newsmill.bodies import Bodies

    keys = Keys(prefix)
    record = make_record("job-doc", "/data/d.txt")
    message = Bodies(redis_client, keys).stash({
        "type": "document", "item": {"job_id": "job-doc", "source": record.source.to_dict()},
        "id": record.id, "content_kind": "text", "body": "Body text."})
    assert redis_client.exists(message["body_ref"])
    Delivery(redis_client, keys).deliver(record)
    assert not redis_client.exists(message["body_ref"])


@pytest.mark.parametrize(("status", "kept"), [("ok", True), ("unchanged", True), ("dropped", False),
                                              ("failed", False)])
def test_a_fetched_page_keeps_its_validators_only_if_its_article_ended_ok_or_unchanged(
        redis_client: redis.Redis, prefix: str, status: str, kept: bool) -> None:
    """Validators outliving an article that was never delivered would turn its next fetch into a 304."""
    keys = Keys(prefix)
    url = "https://news.example/story?utm_source=feed"
    redis_client.hset(keys.validators("https://NEWS.example/story"), mapping={"etag": '"v1"'})
    record = dataclasses.replace(make_record("job-v", url, status=status), source=Source("url", url))
    Delivery(redis_client, keys).deliver(record)
    assert bool(redis_client.exists(keys.validators(url))) is kept


def test_a_loaded_file_touches_no_validators(redis_client: redis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    redis_client.hset(keys.validators("/data/c.txt"), mapping={"etag": '"v1"'})
    Delivery(redis_client, keys).deliver(make_record("job-f", "/data/c.txt", status="dropped"))
    assert redis_client.exists(keys.validators("/data/c.txt"))
