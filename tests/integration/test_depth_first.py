"""Depth-first flow through real workers: an article that has started is finished before new ones start.

All inputs are loaded first (only an io worker runs), so every clean message is waiting when the one cpu
process (concurrency 1) starts. Breadth-first, that process would clean all of them before it extracted
any, and the first record would come at the very end; depth-first, each article's extract overtakes the
cleans still waiting, and records arrive while most articles have not been cleaned yet. The order is read
from the workers' own logs (Celery's ``received`` line for the cpu tasks, ``article.done`` for the sink).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED, worker_processes
from tests.deploy.test_rabbitmq import rabbit_env, rabbit_vhost, rabbitmqctl  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

ARTICLES = 30
SLACK = 4
"""Record k must arrive before the (k + SLACK)-th clean starts: the sink runs in another process, a moment
after the extract that precedes it."""


def _write_inputs(folder: Path) -> None:
    seed = SEED.read_text(encoding="utf-8")
    folder.mkdir()
    for n in range(ARTICLES):
        # A sentence of its own, so no copy is a duplicate of another.
        (folder / f"article-{n:02d}.txt").write_text(
            f"{seed}\n\nThis is copy {n} of the report, filed under reference {uuid.uuid4().hex}.\n",
            encoding="utf-8")


def _events(log_dir: Path) -> list[tuple[float, str]]:
    """(time, what) for every cpu task received (``clean``, ``extract``) and every record delivered
    (``done``), in time order."""
    found: list[tuple[float, str]] = []
    for path in log_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            message, stamp = str(event.get("event", "")), event.get("timestamp")
            if stamp is None:
                continue
            t = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
            if message == "article.done":
                found.append((t, "done"))
            for stage in ("clean", "extract"):
                if message.startswith(f"Task newsmill.{stage}[") and message.endswith("received"):
                    found.append((t, stage))
    return sorted(found)


def _loaded(log_dir: Path) -> int:
    """Load tasks that have succeeded (each left its clean message in the cpu queue)."""
    return sum(1 for path in log_dir.glob("*.log") for line in path.read_text(errors="replace").splitlines()
               if '"Task newsmill.load[' in line and "succeeded in" in line)


def _run_depth_first(env: dict[str, str], procs: WorkerProcesses, inputs: Path) -> list[tuple[float, str]]:
    env["NEWSMILL_ENRICH"] = ""
    procs.env["NEWSMILL_ENRICH"] = ""
    procs.start("--queues", "io", "--concurrency", "4")
    procs.wait_ready()
    done = subprocess.run([sys.executable, "-m", "workers.cli", "enqueue", str(inputs)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 60
    while _loaded(procs.log_dir) < ARTICLES:
        assert time.monotonic() < deadline, procs.logs()
        time.sleep(0.2)
    procs.start("--queues", "cpu", "--concurrency", "1")
    deadline = time.monotonic() + 180
    while sum(1 for _t, what in _events(procs.log_dir) if what == "done") < ARTICLES:
        assert time.monotonic() < deadline, procs.logs()
        time.sleep(0.5)
    return _events(procs.log_dir)


def _assert_depth_first(events: list[tuple[float, str]]) -> None:
    cleans = [t for t, what in events if what == "clean"]
    records = [t for t, what in events if what == "done"]
    assert len(cleans) == ARTICLES and len(records) == ARTICLES, events
    late = [k for k in range(ARTICLES - SLACK) if records[k] > cleans[k + SLACK]]
    # Breadth-first, every record comes after the last clean; allow a few stragglers on a busy machine.
    assert len(late) <= 3, (f"records delivered after the clean of article k+{SLACK} started: {late}; "
                            f"first record at {records[0] - cleans[0]:.2f}s, last clean at "
                            f"{cleans[-1] - cleans[0]:.2f}s")


def test_depth_first_on_redis(workers: WorkerProcesses, worker_env: dict[str, str], tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    _write_inputs(inputs)
    _assert_depth_first(_run_depth_first(worker_env, workers, inputs))


def _rabbitmq_major() -> int:
    try:
        return int(rabbitmqctl("version").strip().split(".")[0])
    except Exception:
        return 0


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_depth_first_on_rabbitmq(rabbit_env: dict[str, str], rabbit_vhost: str, queue_type: str,  # noqa: F811
                                 tmp_path: Path) -> None:
    if queue_type == "quorum" and _rabbitmq_major() < 4:
        pytest.skip("RabbitMQ 3 quorum queues ignore message priorities (and refuse x-max-priority); "
                    "NEWSMILL_RABBITMQ_QUEUE_TYPE=classic is the depth-first choice there")
    env = {**rabbit_env, "NEWSMILL_RABBITMQ_QUEUE_TYPE": queue_type}
    inputs = tmp_path / "inputs"
    _write_inputs(inputs)
    log_dir = tmp_path / "rabbit-worker-logs"
    log_dir.mkdir()
    procs = worker_processes(env, log_dir)
    try:
        _assert_depth_first(_run_depth_first(env, procs, inputs))
    finally:
        procs.stop()
    listed = rabbitmqctl("list_queues", "-p", rabbit_vhost, "--formatter", "json", "name", "type", "arguments")
    queues = {q["name"]: q for q in json.loads(listed[listed.index("["):])}
    assert queues["cpu"]["type"] == queue_type, queues
