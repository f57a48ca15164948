"""Shared fixtures: a real Redis (the server on 127.0.0.1:6379, one private database per test session),
real worker processes started with ``newsmill worker`` and a loopback HTTP server (both harnesses live in
:mod:`newsmill.testing`, which the benchmarks share), and schema validation of records."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis

from newsmill.schema import article_schema
from newsmill.testing.httpserver import HTTPTestServer
from newsmill.testing.worker_processes import WorkerProcesses

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "sana-2017-10-25-coalition-raqqa-deir-ezzor.txt"
CORPUS = ROOT.parent / "shared" / "corpus" / "wcxb-dev"
REDIS_HOST = os.environ.get("NEWSMILL_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("NEWSMILL_TEST_REDIS_PORT", "6379"))
LOCK_KEY = "newsmill-test:owner"


def _claim_database(session_id: str) -> int:
    """Take a database (1-15) no other test session holds, and empty it of a crashed run's keys."""
    for db in range(1, 16):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        if client.set(LOCK_KEY, session_id, nx=True, ex=6 * 3600):
            for key in client.scan_iter(count=1000):
                if key != LOCK_KEY.encode():
                    client.delete(key)
            return db
    raise RuntimeError("every Redis database 1-15 is held by another test session")


INTEGRATION_FOLDERS = frozenset({"integration", "deploy", "faults", "fetch"})
"""Tests here start servers (HTTP, Redis, Flower, RabbitMQ vhosts) or worker processes."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under the folders above ``integration``: ``pytest -m "not integration"`` is the
    fast subset (unit tests of one function, against the session's Redis at most). A test elsewhere that
    spawns processes carries the marker itself."""
    for item in items:
        if Path(str(item.path)).parent.name in INTEGRATION_FOLDERS:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A private database number on the real Redis; the suite fails (not skips) without Redis."""
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"the tests need a Redis server on {REDIS_HOST}:{REDIS_PORT}: {exc}")
    session_id = uuid.uuid4().hex
    db = _claim_database(session_id)
    yield db
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db).flushdb()


@pytest.fixture(scope="session")
def redis_url(redis_db: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"


@pytest.fixture()
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture()
def prefix() -> str:
    """A key prefix of one's own, so tests sharing the session database never see each other's keys."""
    return f"nmt{uuid.uuid4().hex[:10]}"


def validate_record(record: dict[str, Any]) -> None:
    jsonschema.validate(record, article_schema(), cls=jsonschema.Draft202012Validator)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def require_program(program: str | Path, install: str) -> None:
    """Skip the test, naming the install line, when ``program`` (a path, or a name on PATH) is missing on
    this machine; under ``CI=true`` (where .ci/run installs it) fail instead, so CI never skips it."""
    found = Path(program).exists() if os.sep in str(program) else shutil.which(str(program)) is not None
    if found:
        return
    reason = f"{program} is not installed here: {install}"
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def control_app(env: dict[str, str]) -> Any:
    """A Celery app configured as the workers of ``env`` are (their key prefix included), to ping and
    inspect them."""
    from celery import Celery

    from newsmill.settings import Settings
    from workers.config import celery_config

    app = Celery("newsmill-test")
    app.conf.update(celery_config(Settings.from_env(env)))
    return app


def count_answering(env: dict[str, str]) -> int:
    """How many workers of ``env`` answer a broadcast ping within a second; asked in-process, which is
    quicker than the harness's default (``newsmill healthcheck`` in a subprocess)."""
    app = control_app(env)
    try:
        return len(app.control.ping(timeout=1.0) or [])
    finally:
        app.close()


def worker_processes(env: dict[str, str], log_dir: Path) -> WorkerProcesses:
    """The worker harness, run from this checkout and probed in-process."""
    return WorkerProcesses(env, log_dir, cwd=ROOT, count_answering=count_answering)


@pytest.fixture()
def worker_env(redis_url: str, prefix: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
    env.update({
        "NEWSMILL_BROKER_URL": redis_url,
        "NEWSMILL_REDIS_URL": redis_url,
        "NEWSMILL_PREFIX": prefix,
        "NEWSMILL_JSONL_PATH": str(tmp_path / "sink.jsonl"),
        "NEWSMILL_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture()
def workers(worker_env: dict[str, str], tmp_path: Path, redis_client: redis.Redis
            ) -> Iterator[WorkerProcesses]:
    # Every test has its own NEWSMILL_PREFIX, which also prefixes the broker's queues: nothing of an
    # earlier test's messages can reach these workers.
    log_dir = tmp_path / "worker-logs"
    log_dir.mkdir()
    procs = worker_processes(worker_env, log_dir)
    yield procs
    procs.stop()


@pytest.fixture()
def http_server() -> Iterator[HTTPTestServer]:
    """A fresh loopback HTTP server per test."""
    with HTTPTestServer() as server:
        yield server


POSTGRES_ADMIN_URL = os.environ.get("NEWSMILL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A database of its own on the real PostgreSQL server (``newsmill_test_<random>``), dropped after the
    test; the test fails (not skips) without the server."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"newsmill_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"the PostgreSQL tests need a server at {POSTGRES_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        params = conninfo_to_dict(POSTGRES_ADMIN_URL)
        params["dbname"] = name
        url = "postgresql://{user}@{host}:{port}/{dbname}".format(
            user=params.get("user", "postgres"), host=params.get("host", "127.0.0.1"),
            port=params.get("port", 5432), dbname=name)
        assert make_conninfo(url)
        try:
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
