"""A PostgreSQL server of the test's own (initdb on a free loopback port) stopped and started again in the
middle of a job: the workers' writes fail, are retried, and land once each; nothing is lost."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from newsmill.record import Source
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import read_jsonl
from tests.integration.test_distributed_acceptance import corpus_pages
from tests.integration.test_seed_distributed import cli, stream_records

pytestmark = pytest.mark.integration

PAGES = 40


class PrivateServer:
    """A throwaway cluster (trust auth, fsync off) run as the ``postgres`` user when the tests run as root:
    initdb refuses root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        # Not under pytest's tmp_path: its folder is closed to other users, the server's among them.
        self.dir = Path(tempfile.mkdtemp(prefix="newsmill-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, (cmd, done.stdout, done.stderr)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture()
def private_postgres() -> Iterator[PrivateServer]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("initdb is not installed here (Debian: apt-get install postgresql)")
    server = PrivateServer(Path(found[-1]).parent)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def count_rows(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT count(*) FROM articles").fetchone()
            return int(row[0]) if row else 0
    except psycopg.OperationalError:
        return -1


def test_postgres_restarted_mid_job_loses_nothing(
        workers: WorkerProcesses, worker_env: dict[str, str], redis_client: redis.Redis, prefix: str,
        private_postgres: PrivateServer, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in corpus_pages(PAGES):
        shutil.copy(page, pages / page.name)
    worker_env["NEWSMILL_POSTGRES_URL"] = private_postgres.url
    cli(worker_env, "db", "upgrade")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(pages)).strip()

    # Stop the server once some articles are in, keep it down for 6 s, start it again.
    restart: dict[str, Any] = {}

    def restart_when_under_way() -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            rows = count_rows(private_postgres.url)
            if rows >= 5:
                restart["rows_before"] = rows
                private_postgres.stop()
                time.sleep(6)
                private_postgres.start()
                restart["done"] = True
                return
            time.sleep(0.2)

    restarter = threading.Thread(target=restart_when_under_way)
    restarter.start()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=600))
    restarter.join()
    assert restart.get("done") and restart["rows_before"] < PAGES, restart  # the restart was mid-job
    assert status["finished"] and status["failed"] == 0, status
    assert status["ok"] + status["dropped"] == PAGES, status
    retries = [line for line in workers.logs(tail=None).splitlines()
               if '"stage.retry"' in line and '"sink_error"' in line]
    assert retries, "no write met the stopped server: the test proved nothing"
    print(f"rows before the restart: {restart['rows_before']}; sink retries: {len(retries)}")

    sink = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    by_input = {Source.from_dict(r["source"]).key: r for r in sink}
    assert len(sink) == len(by_input) == PAGES
    assert len(stream_records(redis_client, prefix, job_id)) == PAGES
    with psycopg.connect(private_postgres.url, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute("SELECT id, input, record FROM articles WHERE job_id = %s", (job_id,)).fetchall()
    assert {row["id"] for row in rows} == {r["id"] for r in sink}
    for row in rows:
        assert row["record"] == by_input[row["input"]]
