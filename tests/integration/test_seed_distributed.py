"""The seed article through the distributed path: `newsmill enqueue` → real workers → JSONL and stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis

from newsmill.keys import Keys
from newsmill.settings import Settings
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED, read_jsonl, validate_record


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "-m", "workers.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if args[0] == "status" and "--wait" in args and "--json" in args and done.returncode in (0, 3):
        # A finished job exits 0 when no input failed and 3 when some did: checked on every wait.
        failed = json.loads(done.stdout)["failed"]
        assert done.returncode == (3 if failed else 0), (done.returncode, done.stdout)
        return done.stdout
    assert done.returncode == 0, done.stderr
    return done.stdout


def stream_records(client: redis.Redis, prefix: str, job_id: str) -> list[dict[str, Any]]:
    entries = client.xrange(Keys(prefix).stream())
    return [json.loads(f[b"record"]) for _id, f in entries if f[b"job_id"] == job_id.encode()]


def assert_seed_record(record: dict[str, Any]) -> None:
    validate_record(record)
    assert record["status"] == "ok", record
    assert record["title"] == "Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa"
    assert record["dateline"] == {"place": "Damascus", "agency": "SANA"}
    assert record["authors"] == ["M.al-Frieh", "H. Said"]
    text = record["text"]
    assert text.startswith("Foreign and Expatriates Ministry called on the UN Security Council")
    assert text.endswith("destruction of their cities and infrastructure.")
    assert "Check Also" not in text and "Nasrallah" not in text
    assert record["language"] == "en"
    stages = [run["stage"] for run in record["provenance"]]
    assert stages[:3] == ["load", "clean", "extract"]


def test_seed_through_real_workers(workers: WorkerProcesses, worker_env: dict[str, str],
                                   redis_client: redis.Redis, prefix: str) -> None:
    """The seed enqueued with the CLI comes out of io and cpu workers right, once in each sink."""
    workers.start("--queues", "io", "--concurrency", "4")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(SEED.parent)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait"))
    assert status["enqueued"] == 1 and status["ok"] == 1 and status["finished"], status

    sink = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    assert len(sink) == 1
    assert_seed_record(sink[0])
    streamed = stream_records(redis_client, prefix, job_id)
    assert len(streamed) == 1 and streamed[0] == sink[0]


def test_seed_with_one_task_per_queue(workers: WorkerProcesses, worker_env: dict[str, str],
                                      redis_client: redis.Redis, prefix: str) -> None:
    """With NEWSMILL_TASK_GRANULARITY=queue the seed takes 2 tasks (io, then cpu + sink) and comes out the same."""
    worker_env["NEWSMILL_TASK_GRANULARITY"] = "queue"
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(SEED)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait"))
    assert status["ok"] == 1 and status["finished"], status
    streamed = stream_records(redis_client, prefix, job_id)
    assert len(streamed) == 1
    assert_seed_record(streamed[0])
    assert [run["stage"] for run in streamed[0]["provenance"]] == [
        "load", "clean", "extract", *(f"enrich.{name}" for name in Settings().enrich)]
    logs = workers.logs(tail=None)
    assert "newsmill.load[" in logs and "newsmill.cpu_stages[" in logs
    assert "newsmill.clean[" not in logs and "newsmill.sink[" not in logs


def test_worker_logs_are_json_events_with_bound_context(workers: WorkerProcesses, worker_env: dict[str, str]
                                                        ) -> None:
    """Worker logs are JSON lines; article.done carries task/job/article/stage; Celery's records too."""
    workers.start("--queues", "io,cpu", "--concurrency", "1")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(SEED)).strip()
    cli(worker_env, "status", job_id, "--wait")
    events = []
    for line in workers.logs(tail=None).splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    done = [e for e in events if e.get("event") == "article.done" and e.get("job_id") == job_id]
    assert len(done) == 1
    assert {"task_id", "job_id", "article_id", "stage", "timestamp", "level"} <= set(done[0])
    assert done[0]["stage"] == "sink" and done[0]["status"] == "ok"
    celery_records = [e for e in events if str(e.get("logger", "")).startswith("celery")]
    assert any(" ready." in e["event"] for e in celery_records)
