"""A small monitored cluster for the Flower tests: an io and a cpu ``newsmill worker``, ``newsmill flower``
with basic auth, and one finished job (the seed), all against the test Redis."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED
from tests.deploy.processes import ProcessGroup, http_ok, wait_until
from tests.integration.test_seed_distributed import cli
from workers.embedded import free_port

ARTIFACTS = ROOT / "artifacts" / "deploy"
"""Screenshots and other files a person may want to look at after a run (gitignored)."""
JOB_TASKS = {"newsmill.load", "newsmill.clean", "newsmill.extract", "newsmill.sink"}
"""Tasks every job of the seed runs (enrichment tasks come on top, as NEWSMILL_ENRICH says)."""


@dataclass(frozen=True)
class FlowerCluster:
    url: str
    auth: tuple[str, str]
    job_id: str
    worker_names: list[str]

    def get(self, path: str, *, auth: tuple[str, str] | None = None) -> httpx.Response:
        return httpx.get(self.url + path, auth=auth, timeout=10)

    def job_tasks(self) -> dict[str, dict[str, object]]:
        """Flower's view of the job's tasks: task id → info (name, state, worker, args...)."""
        tasks: dict[str, dict[str, object]] = self.get("/api/tasks", auth=self.auth).json()
        return {tid: t for tid, t in tasks.items() if self.job_id in str(t.get("args"))}


@pytest.fixture()
def flower_cluster(workers: WorkerProcesses, worker_env: dict[str, str], tmp_path: Path
                   ) -> Iterator[FlowerCluster]:
    workers.start("--queues", "io", "--concurrency", "4")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    port = free_port()
    auth = ("operator", secrets.token_urlsafe(18))
    env = {**worker_env, "NEWSMILL_FLOWER_USER": auth[0], "NEWSMILL_FLOWER_PASSWORD": auth[1],
           "NEWSMILL_FLOWER_PORT": str(port), "NEWSMILL_FLOWER_DB": str(tmp_path / "flower.db")}
    log_dir = tmp_path / "flower-logs"
    log_dir.mkdir()
    group = ProcessGroup(log_dir, cwd=ROOT)
    try:
        group.start("flower", [sys.executable, "-m", "workers.cli", "flower"], env)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(url + "/healthcheck"), timeout=60, what="flower", group=group)

        def online() -> list[str]:
            status = httpx.get(url + "/api/workers?status=1", auth=auth, timeout=10).json()
            return sorted(name for name, alive in status.items() if alive)

        wait_until(lambda: len(online()) >= 2, timeout=60, what="flower to see both workers", group=group)
        job_id = cli(worker_env, "enqueue", str(SEED)).strip()
        status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait"))
        assert status["finished"] and status["ok"] == 1, status
        cluster = FlowerCluster(url=url, auth=auth, job_id=job_id, worker_names=online())

        def saw_job() -> bool:
            tasks = cluster.job_tasks()
            return {str(t["name"]) for t in tasks.values() if t.get("state") == "SUCCESS"} >= JOB_TASKS

        wait_until(saw_job, timeout=30, what="flower to record the job's tasks", group=group)
        yield cluster
    finally:
        group.stop()
