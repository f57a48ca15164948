"""docker-compose.yml run without Docker: every service's command and environment as local processes.

Translation rules (host names, ports, volumes, the Redis image) are in ``compose_local``; nothing here
repeats a command, a variable name or a queue name from the compose file, so a wrong one fails the test.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
import redis

from newsmill.keys import Keys
from newsmill.testing.httpserver import HTTPTestServer, page
from tests.conftest import ROOT, SEED, control_app, read_jsonl, validate_record
from tests.deploy.compose_local import LocalCompose, dockerfile_healthcheck
from tests.deploy.processes import ProcessGroup, http_ok, wait_until

COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
SEED_TITLE = "Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa"
CPU_REPLICAS = 2


def _wait_for_redis(client: redis.Redis, group: ProcessGroup) -> None:
    def redis_up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_until(redis_up, timeout=20, what="redis", group=group)


@pytest.fixture()
def compose(tmp_path: Path) -> LocalCompose:
    return LocalCompose.from_files(COMPOSE, ENV_EXAMPLE, volume_root=tmp_path / "volumes", dockerfile=DOCKERFILE,
                                   bin_dirs=[Path(sys.executable).parent])


@pytest.fixture()
def group(tmp_path: Path) -> Iterator[ProcessGroup]:
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    processes = ProcessGroup(log_dir, cwd=tmp_path)
    yield processes
    processes.stop()


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _redis_client(compose: LocalCompose) -> redis.Redis:
    url = compose.service("worker-io").env["NEWSMILL_REDIS_URL"]
    return redis.Redis.from_url(url)


def test_compose_services_process_the_seed_as_local_processes(
        compose: LocalCompose, group: ProcessGroup, tmp_path: Path) -> None:
    """redis, worker-io, 2×worker-cpu, flower and the producer, as compose says: the seed reaches both sinks."""
    services = compose.services()
    redis_service = compose.service("redis")
    group.start("redis", redis_service.argv, redis_service.env)
    client = _redis_client(compose)
    password = client.connection_pool.connection_kwargs["password"]
    assert password, "the broker URL must carry the password"

    _wait_for_redis(client, group)
    # The options the compose file gives the server are in force: auth, AOF every second, no eviction.
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.config_get("appendfsync")["appendfsync"] == "everysec"
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    anonymous = redis.Redis(host="127.0.0.1", port=redis_service.ports[6379])
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    assert redis_service.healthcheck is not None

    workers = [compose.service("worker-io"), *compose.scaled("worker-cpu", CPU_REPLICAS)]
    for worker in workers:
        group.start(worker.name, worker.argv, worker.env)
    flower = compose.service("flower")
    group.start("flower", flower.argv, flower.env)

    app = control_app(workers[0].env)
    try:
        wait_until(lambda: len(app.control.ping(timeout=1.0) or []) >= len(workers), timeout=120,
                   what=f"{len(workers)} workers answering", group=group)
        active = app.control.inspect(timeout=2.0).active_queues() or {}
    finally:
        app.close()
    queues = sorted(",".join(sorted(q["name"] for q in info)) for info in active.values())
    assert queues == ["cpu"] * CPU_REPLICAS + ["io"], active

    # The image's HEALTHCHECK (workers keep it) passes for a worker on this host.
    worker_check = _run(dockerfile_healthcheck(DOCKERFILE), workers[0].env, tmp_path)
    assert worker_check.returncode == 0, worker_check.stderr
    # Flower's own healthcheck from the compose file passes, and its API sees the three workers.
    assert flower.healthcheck is not None
    wait_until(lambda: _run(flower.healthcheck or [], flower.env, tmp_path).returncode == 0, timeout=60,
               what="flower healthcheck", group=group)
    auth = (flower.env["NEWSMILL_FLOWER_USER"], flower.env["NEWSMILL_FLOWER_PASSWORD"])
    flower_url = f"http://127.0.0.1:{flower.ports[5555]}"
    assert httpx.get(f"{flower_url}/api/workers", timeout=5).status_code == 401

    def flower_sees_workers() -> bool:
        status = httpx.get(f"{flower_url}/api/workers?status=1", auth=auth, timeout=5).json()
        return sum(1 for online in status.values() if online) >= len(workers)

    wait_until(flower_sees_workers, timeout=60, what="flower to see the workers", group=group)

    # The producer, under its profile, enqueues the mounted seeds and prints the job id.
    assert "producer" in services["producer"].get("profiles", [])
    producer = compose.service("producer")
    enqueued = _run(producer.argv, producer.env, tmp_path)
    assert enqueued.returncode == 0, enqueued.stderr
    job_id = enqueued.stdout.strip()
    status = _run([producer.argv[0], "status", job_id, "--json", "--wait"], producer.env, tmp_path, timeout=180)
    assert status.returncode == 0, status.stderr + group.logs()
    counts = json.loads(status.stdout)
    assert counts["finished"] and counts["enqueued"] == counts["ok"] == 1, counts

    jsonl = Path(workers[0].env["NEWSMILL_JSONL_PATH"])
    assert jsonl.is_relative_to(compose.volume_root), "the JSONL sink must be on a named volume"
    sink = [r for r in read_jsonl(jsonl) if r["job_id"] == job_id]
    assert len(sink) == 1
    record = sink[0]
    validate_record(record)
    assert record["status"] == "ok" and record["title"] == SEED_TITLE
    assert Path(record["source"]["location"]).name == SEED.name
    stream = Keys(workers[0].env["NEWSMILL_PREFIX"]).stream()
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(stream))
    streamed = [json.loads(fields[b"record"]) for _id, fields in entries if fields[b"job_id"] == job_id.encode()]
    assert streamed == [record]

    def flower_saw_job() -> bool:
        tasks = httpx.get(f"{flower_url}/api/tasks", auth=auth, timeout=5).json()
        return any(job_id in str(task.get("args")) and task.get("state") == "SUCCESS" for task in tasks.values())

    wait_until(flower_saw_job, timeout=30, what="flower to list the job's tasks", group=group)

    # --persistent: Flower saves its state to the volume when it stops.
    group.stop()
    db = Path(flower.env["NEWSMILL_FLOWER_DB"])
    assert db.is_relative_to(compose.volume_root) and list(db.parent.glob(db.name + "*")), "no flower state file"
    client.close()
    anonymous.close()
    assert http_ok(flower_url + "/healthcheck") is False  # everything stopped


def test_the_scheduler_polls_its_sources_file_through_the_fetch_guard(tmp_path: Path, group: ProcessGroup) -> None:
    """redis and the scheduler as compose says, NEWSMILL_WATCH_DIR pointing at a sources.toml that names a
    loopback feed: the scheduler polls it through the same SSRF guard as the workers (the compose file
    allows no private address, so the poll is refused before anything is sent), records that in Redis,
    and stops cleanly on SIGTERM."""
    watch_dir = tmp_path / "watch"
    watch_dir.mkdir()
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text(encoding="utf-8") + f"\nNEWSMILL_WATCH_DIR={watch_dir}\n",
                        encoding="utf-8")
    compose = LocalCompose.from_files(COMPOSE, env_file, volume_root=tmp_path / "volumes", dockerfile=DOCKERFILE,
                                      bin_dirs=[Path(sys.executable).parent])
    with HTTPTestServer() as server:
        server.route("/rss.xml", page("<rss/>", content_type="application/rss+xml"))
        feed = server.url("/rss.xml")
        (watch_dir / "sources.toml").write_text(f'[[source]]\nurl = "{feed}"\nevery = "1m"\n', encoding="utf-8")
        redis_service = compose.service("redis")
        group.start("redis", redis_service.argv, redis_service.env)
        scheduler = compose.service("scheduler")
        client = redis.Redis.from_url(scheduler.env["NEWSMILL_REDIS_URL"])

        _wait_for_redis(client, group)
        process = group.start("scheduler", scheduler.argv, scheduler.env)
        state_key = Keys(scheduler.env["NEWSMILL_PREFIX"]).watch_source(feed)
        wait_until(lambda: client.hget(state_key, "last_status") is not None, timeout=60,
                   what="the scheduler's first poll", group=group)
        state = {k.decode(): v.decode() for k, v in client.hgetall(state_key).items()}
        assert state["last_status"] == "failed" and "blocked_address" in state["last_error"], state
        assert server.requests == []  # refused before connecting
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, group.logs()
        client.close()
