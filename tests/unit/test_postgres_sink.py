"""The PostgreSQL sink against the real server (a database of its own per test): migrations, the typed
columns, one row per (job, input) however often it is delivered, and a database that is away."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import redis

from newsmill.errors import InfrastructureError
from newsmill.keys import Keys
from newsmill.record import ArticleRecord, Source
from newsmill.settings import Settings, SettingsError
from newsmill.sinks import Delivery, DeliveryOutcome
from newsmill.sinks.postgres import PostgresSink, current, migrations, upgrade


def make_record(job: str, location: str, *, status: str = "ok", article: str = "a" * 24,
                **fields: Any) -> ArticleRecord:
    extra: dict[str, Any] = {"reason": "too_short"} if status == "dropped" else {}
    return ArticleRecord(id=article, job_id=job, source=Source(kind="file", location=location), status=status,
                         **extra, **fields)


def rows(url: str, sql: str = "SELECT * FROM articles ORDER BY id") -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(sql.encode()).fetchall()


@pytest.fixture()
def sink(postgres_url: str) -> Iterator[PostgresSink]:
    upgrade(postgres_url)
    sink = PostgresSink(postgres_url)
    yield sink
    sink.close()


def test_migrations_apply_once_and_in_order(postgres_url: str) -> None:
    assert current(postgres_url) is None
    shipped = migrations()
    assert [m.version for m in shipped] == sorted(m.version for m in shipped) and shipped[0].version == "0001"
    assert [m.version for m in upgrade(postgres_url)] == [m.version for m in shipped]
    assert upgrade(postgres_url) == []  # idempotent: nothing left to apply
    last = shipped[-1]
    assert current(postgres_url) == f"{last.version}_{last.name}"
    indexes = {r["indexname"] for r in rows(postgres_url, "SELECT indexname FROM pg_indexes "
                                                          "WHERE tablename = 'articles'")}
    assert {"articles_record_idx", "articles_search_idx"} <= indexes


def test_concurrent_upgrades_take_turns(postgres_url: str) -> None:
    """Four processes' worth of upgrades at once: the advisory lock lets one apply, the others find
    nothing to do (without it, they would collide on CREATE TABLE)."""
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(len(upgrade(postgres_url)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(results) == [0, 0, 0, len(migrations())]


def test_typed_columns_and_full_text(sink: PostgresSink, postgres_url: str) -> None:
    record = make_record("job1", "/data/a.txt", title="Raqqa talks", language="en", country="SY",
                         published="2017-10-25", word_count=3, text="Coalition forces in Raqqa\x00 today",
                         site_name="SANA", content_hash="0" * 64)
    assert sink.write_once(job_id="job1", input_key=record.source.key, record=record.to_dict())
    [row] = rows(postgres_url)
    assert (row["title"], row["language"], row["country"], row["status"], row["word_count"], row["site_name"]) \
        == ("Raqqa talks", "en", "SY", "ok", 3, "SANA")
    assert row["published"] == datetime(2017, 10, 25, tzinfo=UTC)
    assert row["job_id"] == "job1" and row["input"] == record.source.key
    assert row["record"]["text"] == "Coalition forces in Raqqa today"  # U+0000 cannot be stored
    found = rows(postgres_url, "SELECT id FROM articles WHERE search @@ websearch_to_tsquery('simple', "
                               "'coalition raqqa')")
    assert [r["id"] for r in found] == [record.id]
    contained = rows(postgres_url, """SELECT id FROM articles WHERE record @> '{"country": "SY"}'""")
    assert len(contained) == 1


def test_redelivery_writes_one_row(sink: PostgresSink, postgres_url: str, redis_client: redis.Redis,
                                   prefix: str) -> None:
    """The same (job, input) delivered again — by Delivery, and after a worker that wrote the row and died
    before the Redis commit — leaves one row, unchanged."""
    keys = Keys(prefix)
    delivery = Delivery(redis_client, keys, postgres=sink)
    first = make_record("job2", "/data/b.txt", title="first")
    assert delivery.deliver(first)[0] is DeliveryOutcome.DELIVERED
    assert delivery.deliver(first)[0] is DeliveryOutcome.REDELIVERY_SKIPPED
    [before] = rows(postgres_url)

    # The row is written, the worker dies before the commit: Redis never heard of it.
    died = make_record("job3", "/data/c.txt", article="c" * 24, title="died")
    assert sink.write_once(job_id="job3", input_key=died.source.key, record=died.to_dict())
    again = make_record("job3", "/data/c.txt", article="c" * 24, title="retried")
    assert delivery.deliver(again)[0] is DeliveryOutcome.DELIVERED
    assert not sink.write_once(job_id="job3", input_key=again.source.key, record=again.to_dict())
    after = rows(postgres_url)
    assert len(after) == 2 and after[0] == before
    assert after[1]["title"] == "died"  # the first write stands, as in the JSONL file
    assert redis_client.hget(keys.job("job3"), "ok") == b"1"


def test_only_a_later_ok_record_replaces_an_article(sink: PostgresSink, postgres_url: str) -> None:
    ok = make_record("job4", "/data/d.txt", title="v1")
    sink.write_once(job_id="job4", input_key=ok.source.key, record=ok.to_dict())
    dropped = make_record("job4", "/data/d-copy.txt", status="dropped")
    assert not sink.write_once(job_id="job4", input_key=dropped.source.key, record=dropped.to_dict())
    newer = make_record("job5", "/data/d.txt", title="v2")
    assert sink.write_once(job_id="job5", input_key=newer.source.key, record=newer.to_dict())
    [row] = rows(postgres_url)
    assert (row["job_id"], row["title"], row["status"]) == ("job5", "v2", "ok")
    assert row["updated_at"] >= row["created_at"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_database_is_a_sink_error_and_nothing_is_counted(redis_client: redis.Redis,
                                                                     prefix: str) -> None:
    keys = Keys(prefix)
    sink = PostgresSink(f"postgresql://postgres@127.0.0.1:{closed_port()}/newsmill", timeout=1.0)
    delivery = Delivery(redis_client, keys, postgres=sink)
    try:
        with pytest.raises(InfrastructureError) as raised:
            delivery.deliver(make_record("job6", "/data/e.txt"))
        assert raised.value.code == "sink_error" and "127.0.0.1" in raised.value.message
        assert redis_client.hget(keys.job("job6"), "ok") is None
        # After its retries, the record goes to the dead-letter stream without the database.
        failed = make_record("job6", "/data/e.txt", status="failed", reason="sink_error", message="down")
        assert delivery.deliver(failed, to_stores=False)[0] is DeliveryOutcome.DELIVERED
        assert redis_client.xlen(keys.deadletter()) == 1
    finally:
        delivery.close()


def test_postgres_url_is_checked() -> None:
    assert Settings.from_env({"NEWSMILL_POSTGRES_URL": "postgres://u@127.0.0.1/db"}).postgres_url
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"NEWSMILL_POSTGRES_URL": "mysql://u:secret@127.0.0.1/db"})
    [problem] = raised.value.problems
    assert problem.startswith("NEWSMILL_POSTGRES_URL=") and "secret" not in problem
