"""Worker processes killed in the middle of a job: every input still reaches the sinks exactly once."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import psutil
import redis

from tests.conftest import CORPUS, SEED, WorkerProcesses, read_jsonl
from tests.integration.test_seed_distributed import cli, stream_records

INPUTS = 120


def make_inputs(folder: Path) -> None:
    folder.mkdir()
    pages = sorted((CORPUS / "html").glob("*.html.gz"))[:INPUTS]
    if len(pages) == INPUTS:
        for page in pages:
            shutil.copy(page, folder / page.name)
        return
    for n in range(INPUTS):  # without the corpus: distinct variants of the seed
        (folder / f"seed-{n}.txt").write_text(SEED.read_text(encoding="utf-8") + f"\n\n{n}\n", encoding="utf-8")


def test_killing_pool_processes_mid_job_loses_and_duplicates_nothing(
        workers: WorkerProcesses, worker_env: dict[str, str], redis_client: redis.Redis,
        prefix: str, tmp_path: Path) -> None:
    """SIGKILL of cpu pool children during a job: tasks are redelivered; each input lands once."""
    make_inputs(tmp_path / "in")
    workers.start("--queues", "io", "--concurrency", "4")
    cpu = workers.start("--queues", "cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(tmp_path / "in")).strip()

    killed = 0
    deadline = time.monotonic() + 120
    while killed < 4 and time.monotonic() < deadline:
        time.sleep(1.0)
        children = psutil.Process(cpu.pid).children()
        busy = [c for c in children if c.cpu_percent(interval=0.05) > 0] or children
        if busy:
            busy[0].send_signal(signal.SIGKILL)
            killed += 1
    assert killed == 4

    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=300))
    assert status["finished"] and status["done"] == INPUTS, status
    sink = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    for records in (sink, stream_records(redis_client, prefix, job_id)):
        per_input = Counter(r["source"]["location"] for r in records)
        assert len(per_input) == INPUTS and set(per_input.values()) == {1}
    assert cpu.poll() is None, "the worker itself must survive the loss of pool processes"
