"""A cpu pool process that passes the memory bound is replaced after its task, and nothing is lost.

``NEWSMILL_WORKER_MAX_MEMORY`` (Celery's ``worker_max_memory_per_child``) keeps a pool process's resident
memory bounded as work grows (issue 10): after a task, a process above the bound exits and the pool forks
a fresh one from the warm parent. The task it just ran was acknowledged first (acks late, checked after
the task), so a replacement must not redeliver, repeat or lose anything. With a bound of 1 MB every pool
process passes it after every task: the harshest case. (Each replacement leaves the pool without a process
for up to Celery's 5 s pool-maintenance timer, so the light chain keeps the test short: three cpu tasks
an article.)
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psutil
import pytest

from newsmill.settings import Settings
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import SEED, read_jsonl
from tests.integration.test_seed_distributed import cli
from workers.config import celery_config

pytestmark = pytest.mark.integration

ARTICLES = 4


def test_settings_map_the_bound_to_celery_in_kib() -> None:
    assert celery_config(Settings.from_env({}))["worker_max_memory_per_child"] == 480 * 1024
    assert celery_config(Settings.from_env({"NEWSMILL_WORKER_MAX_MEMORY": "0"}))[
        "worker_max_memory_per_child"] is None


def test_pool_processes_over_the_bound_are_replaced_without_losing_work(
        workers: WorkerProcesses, worker_env: dict[str, str], tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    seed = SEED.read_text(encoding="utf-8")
    for n in range(ARTICLES):
        (inputs / f"article-{n}.txt").write_text(f"{seed}\n\nCopy {n}, reference {uuid.uuid4().hex}.\n",
                                                 encoding="utf-8")
    worker_env["NEWSMILL_ENRICH"] = "reading_time"
    workers.env.update({"NEWSMILL_WORKER_MAX_MEMORY": "1", "NEWSMILL_ENRICH": "reading_time"})
    workers.start("--queues", "io", "--concurrency", "4")
    cpu = workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()

    seen: set[int] = set()
    stop = threading.Event()

    def watch_children() -> None:
        while not stop.is_set():
            with contextlib.suppress(psutil.Error):  # the worker may be between children
                seen.update(child.pid for child in psutil.Process(cpu.pid).children())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_children, daemon=True)
    watcher.start()
    try:
        job = cli(worker_env, "enqueue", str(inputs)).strip()
        cli(worker_env, "status", job, "--wait", "--timeout", "240", "--json", timeout=270)
    finally:
        stop.set()
        watcher.join()

    records = read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"]))
    assert Counter(r["source"]["location"] for r in records) == Counter(str(p) for p in inputs.iterdir())
    assert {r["status"] for r in records} == {"ok"}
    # Every article runs three cpu tasks (clean, extract, reading time), each in a fresh process.
    assert len(seen) > ARTICLES, f"pool processes seen: {sorted(seen)}"
