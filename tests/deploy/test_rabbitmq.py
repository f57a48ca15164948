"""RabbitMQ as the broker: only ``NEWSMILL_BROKER_URL`` changes; Redis keeps job counts, dedup and the stream.

Each test gets a RabbitMQ virtual host of its own (created and deleted with ``rabbitmqctl``, which needs
root or the rabbitmq user; CI runs as root), so queues left over by other runs cannot interfere. The
server is the one our machines start on 127.0.0.1:5672 (guest/guest).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import tests.integration.test_distributed_acceptance as acceptance
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import worker_processes
from workers.config import BROKER_DELIVERY_LIMIT_MARGIN, QUEUES

RABBITMQ = "127.0.0.1:5672"


def rabbitmqctl(*args: str) -> str:
    binary = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture()
def rabbit_vhost() -> Iterator[str]:
    vhost = f"newsmill-test-{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield vhost
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture()
def rabbit_env(worker_env: dict[str, str], rabbit_vhost: str) -> dict[str, str]:
    """The test's worker environment with the broker URL, and nothing else, switched to RabbitMQ."""
    return {**worker_env, "NEWSMILL_BROKER_URL": f"amqp://guest:guest@{RABBITMQ}/{rabbit_vhost}"}


@pytest.fixture()
def rabbit_workers(rabbit_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcesses]:
    log_dir = tmp_path / "rabbit-worker-logs"
    log_dir.mkdir()
    procs = worker_processes(rabbit_env, log_dir)
    yield procs
    procs.stop()


def test_200_corpus_pages_exactly_once_with_rabbitmq_as_broker(
        rabbit_workers: WorkerProcesses, rabbit_env: dict[str, str], rabbit_vhost: str,
        redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """The foundation's distributed acceptance (200 pages, 2 workers, each page once in JSONL and stream) on
    RabbitMQ, whose io and cpu queues are quorum queues with a delivery limit."""
    assert rabbit_env["NEWSMILL_REDIS_URL"].startswith("redis://")
    acceptance.test_200_corpus_pages_reach_both_sinks_exactly_once(
        rabbit_workers, rabbit_env, redis_client, prefix, tmp_path)

    listed = rabbitmqctl("list_queues", "-p", rabbit_vhost, "--formatter", "json",
                         "name", "type", "arguments", "messages")
    queues = {q["name"]: q for q in json.loads(listed[listed.index("["):])}
    max_deliveries = int(rabbit_env.get("NEWSMILL_MAX_DELIVERIES", "3"))
    for name in QUEUES:
        assert queues[name]["type"] == "quorum", queues[name]
        arguments = {key: value for key, _type, value in queues[name]["arguments"]}
        assert arguments["x-delivery-limit"] == max_deliveries + BROKER_DELIVERY_LIMIT_MARGIN
        assert queues[name]["messages"] == 0
    # Nothing went through the Redis database as a broker: no Celery queue lists there.
    assert not redis_client.exists(*QUEUES)
