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

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import CORPUS, SEED, control_app, read_jsonl
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

    # Kill only pool processes caught running a task (Celery reports each active task's worker_pid), so
    # every kill really interrupts work that must then be redelivered.
    app = control_app(worker_env)
    killed: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while len(killed) < 4 and time.monotonic() < deadline:
            replies = app.control.inspect(timeout=1.0).active() or {}
            children = {c.pid for c in psutil.Process(cpu.pid).children()}
            running = [task for name, tasks in replies.items() if name.startswith(f"cpu-{cpu.pid}@")
                       for task in tasks if task.get("worker_pid") in children and task["id"] not in killed]
            if running:
                psutil.Process(running[0]["worker_pid"]).send_signal(signal.SIGKILL)
                killed.append(running[0]["id"])
                time.sleep(1.0)
    finally:
        app.close()
    assert len(killed) == 4, f"caught {len(killed)} pool processes at work"

    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=300))
    assert status["finished"] and status["done"] == INPUTS, status
    sink = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    for records in (sink, stream_records(redis_client, prefix, job_id)):
        per_input = Counter(r["source"]["location"] for r in records)
        assert len(per_input) == INPUTS and set(per_input.values()) == {1}
    assert cpu.poll() is None, "the worker itself must survive the loss of pool processes"
