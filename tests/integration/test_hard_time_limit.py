"""A task killed by the hard time limit still ends its input as a record: failed, in the sink and the
dead-letter stream, and the job completes."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from newsmill.keys import Keys
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import SEED, read_jsonl, validate_record
from tests.integration.test_seed_distributed import cli


def write_slow_page(path: Path) -> None:
    """An HTML page big enough that cleaning it takes well over a second."""
    paragraphs = "".join(f"<p>Paragraph {n} of a very long report about the city council budget "
                         f"and what it means for road repairs in the northern districts.</p>"
                         for n in range(40_000))
    path.write_text(f"<html><head><title>Long</title></head><body><article>{paragraphs}</article>"
                    "</body></html>", encoding="utf-8")


def test_hard_time_limit_ends_as_a_failed_record(workers: WorkerProcesses, worker_env: dict[str, str],
                                                  redis_client: redis.Redis, prefix: str,
                                                  tmp_path: Path) -> None:
    """With no soft limit, the hard limit kills clean; the errback records the input as task_lost."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_slow_page(inputs / "slow.html")
    (inputs / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    # No soft limit: nothing inside the task can catch the kill.
    worker_env.update({"NEWSMILL_HARD_TIME_LIMIT": "1", "NEWSMILL_SOFT_TIME_LIMIT": "0",
                       "NEWSMILL_FETCH_MAX_BYTES": str(50 * 2**20), "NEWSMILL_ENRICH": "reading_time"})
    workers.start("--queues", "io", "--concurrency", "2")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(inputs)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=180))
    assert status["finished"] and status["ok"] == 1 and status["failed"] == 1, status
    assert status["reasons"] == {"task_lost": 1}

    records = {Path(r["source"]["location"]).name: r
               for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id}
    assert set(records) == {"slow.html", "seed.txt"}
    lost = records["slow.html"]
    validate_record(lost)
    assert (lost["status"], lost["reason"]) == ("failed", "task_lost")
    letters = [json.loads(f[b"record"]) for _id, f in redis_client.xrange(Keys(prefix).deadletter())
               if f[b"job_id"] == job_id.encode()]
    assert [r["reason"] for r in letters] == ["task_lost"]
    for process in workers.processes:
        assert process.poll() is None
