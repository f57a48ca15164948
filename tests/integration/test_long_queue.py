"""A long queue is not a lost message: inputs that wait in a queue far longer than the reconcile grace,
because the workers are busy, are left alone by the reconciler, and each ends once, ``ok``.

The reconciler takes an input whose queue it finds empty for one whose message was lost. On Redis it
counted the queue with a passive declare, which kombu (with a key prefix) always answered "no such queue":
every input that waited longer than the grace was re-driven, three times, then ended ``lost`` — 82 to 124
of 300 dev pages through one cpu worker. Here the grace is 2 s and 60 inputs wait behind one cpu process
(all enrichment stages; about 0.1 s an article on a fast machine, more here), so the last ones wait
longer than the grace, on a fast machine too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED, read_jsonl

pytestmark = pytest.mark.integration

ARTICLES = 60
GRACE = 2.0


def test_inputs_waiting_past_the_grace_are_not_redriven(worker_env: dict[str, str], workers: WorkerProcesses,
                                                         tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    seed = SEED.read_text(encoding="utf-8")
    for n in range(ARTICLES):
        (inputs / f"article-{n:02d}.txt").write_text(
            f"{seed}\n\nThis is copy {n} of the report, filed under reference {uuid.uuid4().hex}.\n",
            encoding="utf-8")
    for env in (worker_env, workers.env):
        env.update({"NEWSMILL_RECONCILE_GRACE": str(GRACE), "NEWSMILL_RECONCILE_INTERVAL": "1"})
    workers.start("--queues", "io", "--concurrency", "4")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    enqueued = subprocess.run([sys.executable, "-m", "workers.cli", "enqueue", str(inputs)], env=worker_env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert enqueued.returncode == 0, enqueued.stderr
    job = enqueued.stdout.strip()
    waited = subprocess.run([sys.executable, "-m", "workers.cli", "status", job, "--wait", "--timeout", "300"],
                            env=worker_env, cwd=ROOT, capture_output=True, text=True, timeout=330)
    assert waited.returncode == 0, waited.stdout + waited.stderr

    records = read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"]))
    assert sorted(r["source"]["location"] for r in records) == sorted(str(p) for p in inputs.iterdir())
    assert {r["status"] for r in records} == {"ok"}
    events = [json.loads(line) for path in workers.log_dir.glob("*.log")
              for line in path.read_text(errors="replace").splitlines() if line.startswith("{")]
    redriven = [e for e in events if e.get("event") in ("input.redriven", "input.lost")]
    assert redriven == []
    # The wait was real: the last article was cleaned well after the grace had passed (a fast CI machine
    # cleared 40 of these in 4 s, so the margin is in the number of articles, not in a multiple of the grace).
    received = sorted(datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp() for e in events
                      if str(e.get("event", "")).startswith("Task newsmill.clean[")
                      and str(e["event"]).endswith("received"))
    assert len(received) == ARTICLES
    assert received[-1] - received[0] > 1.5 * GRACE
