"""The PostgreSQL sink through the CLI and real worker processes, against the real server (a database of
its own per test): the schema by `newsmill db upgrade`, the seed's typed columns, dev pages exactly once
in the table and the JSONL file, and a database that is away (retried, then dead-lettered, never lost)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from psycopg.rows import dict_row

from newsmill.keys import Keys
from newsmill.record import Source
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED, read_jsonl
from tests.integration.test_distributed_acceptance import corpus_pages
from tests.integration.test_seed_distributed import cli, stream_records

pytestmark = pytest.mark.integration


def table(url: str, job_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute("SELECT * FROM articles WHERE job_id = %s ORDER BY id", (job_id,)).fetchall()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_db_upgrade_from_the_cli(worker_env: dict[str, str], postgres_url: str) -> None:
    env = {**worker_env, "NEWSMILL_POSTGRES_URL": postgres_url}
    assert cli(env, "db", "current").strip() == "none"
    assert cli(env, "db", "upgrade").strip() == "applied 0001_articles"
    assert cli(env, "db", "upgrade").strip() == "up to date"
    assert cli(env, "db", "current").strip() == "0001_articles"

    away = {**worker_env, "NEWSMILL_POSTGRES_URL": f"postgresql://postgres:secret@127.0.0.1:{closed_port()}/x"}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "db", "upgrade"], env=away, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "PostgreSQL at" in done.stderr and "secret" not in done.stderr
    unset = {k: v for k, v in worker_env.items() if k != "NEWSMILL_POSTGRES_URL"}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "db", "upgrade"], env=unset, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "NEWSMILL_POSTGRES_URL is not set" in done.stderr


def test_seed_lands_with_typed_columns(workers: WorkerProcesses, worker_env: dict[str, str],
                                       postgres_url: str) -> None:
    worker_env["NEWSMILL_POSTGRES_URL"] = postgres_url
    cli(worker_env, "db", "upgrade")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(SEED)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait"))
    assert status["ok"] == 1 and status["finished"], status

    [row] = table(postgres_url, job_id)
    [line] = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    assert row["record"] == line
    assert row["title"] == "Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa"
    assert (row["status"], row["language"], row["country"]) == ("ok", "en", "SY")
    assert row["word_count"] == line["word_count"] and row["word_count"] > 100
    # A plain-text seed has no publication date in the record (its dates stage finds the dateline's):
    # the column is empty too. The dev pages below check dates that are there.
    assert line["published"] is None and row["published"] is None
    assert row["input"] == str(SEED) and row["content_hash"] == line["content_hash"]


@pytest.mark.parametrize("count", [30, 200])
def test_dev_pages_exactly_once_in_the_table_and_the_file(
        workers: WorkerProcesses, worker_env: dict[str, str], redis_client: redis.Redis, prefix: str,
        postgres_url: str, tmp_path: Path, count: int) -> None:
    """Dev-corpus pages, 2 worker processes: each input once in the JSONL file and the stream, and each
    article once in the table, holding the record the file holds for the input that wrote it."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in corpus_pages(count):
        shutil.copy(page, pages / page.name)
    worker_env["NEWSMILL_POSTGRES_URL"] = postgres_url
    cli(worker_env, "db", "upgrade")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(pages)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=600))
    assert status["finished"] and status["ok"] + status["dropped"] + status["failed"] == count, status

    sink = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    by_input = {Source.from_dict(r["source"]).key: r for r in sink}
    assert len(sink) == len(by_input) == count
    assert len(stream_records(redis_client, prefix, job_id)) == count
    rows = table(postgres_url, job_id)
    assert {row["id"] for row in rows} == {r["id"] for r in sink}  # one row per article
    for row in rows:
        assert row["record"] == by_input[row["input"]]
        published = row["record"].get("published")
        assert (row["published"] is None) == (published is None)
        if published:  # the same instant (a time without an offset is UTC), whatever the session's zone
            stated = datetime.fromisoformat(published)
            assert row["published"] == (stated if stated.tzinfo else stated.replace(tzinfo=UTC))
    assert sum(row["published"] is not None for row in rows) >= count // 3, "most dev pages carry a date"
    print(f"{count} pages: {status['ok']} ok, {status['dropped']} dropped, {status['failed']} failed; "
          f"{len(rows)} rows")
    assert sum(row["status"] == "ok" for row in rows) == status["ok"]


def test_database_away_dead_letters_every_record_as_sink_error(
        workers: WorkerProcesses, worker_env: dict[str, str], redis_client: redis.Redis, prefix: str,
        tmp_path: Path) -> None:
    """NEWSMILL_POSTGRES_URL on a closed loopback port: every record is retried, then delivered to the
    result and dead-letter streams as failed/sink_error naming the server, counted; none is lost, and the
    JSONL file (written after the database) holds none of them."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for n in range(4):
        (inputs / f"seed-{n}.txt").write_text(SEED.read_text(encoding="utf-8") + f"\n\nCopy {n}.\n",
                                              encoding="utf-8")
    port = closed_port()
    worker_env.update({"NEWSMILL_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{port}/newsmill",
                       "NEWSMILL_MAX_RETRIES": "1", "NEWSMILL_ENRICH": "reading_time"})
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(inputs)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=240))
    assert status["finished"] and status["failed"] == 4 and status["reasons"] == {"sink_error": 4}, status
    assert f"127.0.0.1:{port}" in status["messages"]["sink_error"]
    keys = Keys(prefix)
    dead = [json.loads(f[b"record"]) for _id, f in redis_client.xrange(keys.deadletter())
            if f[b"job_id"] == job_id.encode()]
    assert sorted(r["source"]["location"] for r in dead) == sorted(str(p) for p in inputs.iterdir())
    assert all(r["reason"] == "sink_error" and r["text"] for r in dead)  # the content kept, to be replayed
    assert len(stream_records(redis_client, prefix, job_id)) == 4
    assert [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id] == []
