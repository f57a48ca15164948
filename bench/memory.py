"""Benchmark (not a test): is memory bounded as work grows?

1. A real ``cpu`` worker (2 prefork processes, default enrichment, default task granularity) and an ``io``
   worker against a private embedded server take N distinct articles (dev-corpus pages, cycled under
   distinct names when N exceeds the corpus, so every one runs every stage). The resident memory of
   the cpu worker's parent and of each pool process (RSS, and USS: what it alone holds) is printed every
   250 delivered records, with the pool processes' ids, so a recycled process
   (``NEWSMILL_WORKER_MAX_MEMORY``, or every 2,000 tasks) shows as a new id; the number of pool processes
   replaced is printed at the end. ``NEWSMILL_WORKER_MAX_MEMORY=0 python bench/memory.py`` shows the
   growth without the bound.
2. ``newsmill run`` on M plain-text inputs (the seed with a line added, so M distinct articles; clean and
   extract only, since what ``run`` itself holds does not depend on the enrichment its workers do): the
   peak resident memory of the ``run`` process itself, sampled every 0.1 s, and at the end.

Pages from the WCXB dev corpus (Murrough Foley, 2026, CC-BY-4.0) unless a folder is given.

    python bench/memory.py [-n 1000] [--run-inputs 2000] [--folder DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_FOLDER = ROOT.parent / "shared" / "corpus" / "wcxb-dev" / "html"
SEED = next((ROOT / "seeds").glob("*.txt"))
CHECKPOINT = 250


def distinct_inputs(folder: Path, count: int, into: Path) -> list[Path]:
    """``count`` files in ``into``: the corpus pages, then the same pages again under other names."""
    pages = sorted(p for p in folder.rglob("*") if p.is_file())
    made: list[Path] = []
    for n in range(count):
        page = pages[n % len(pages)]
        link = into / f"{n:05d}-{page.name}"
        link.symlink_to(page)
        made.append(link)
    return made


def mb(rss: int) -> str:
    return f"{rss / 2**20:.0f}"


def cpu_worker_memory(folder: Path, count: int) -> None:
    import psutil
    import redis

    from newsmill.jobs import JobStore
    from newsmill.keys import Keys
    from newsmill.record import Source
    from newsmill.resources import Resources
    from newsmill.settings import Settings
    from tasks.chains import enqueue_sources
    from workers.app import make_app
    from workers.embedded import WorkerPool, embedded_server

    work = Path(tempfile.mkdtemp(prefix="newsmill-bench-mem-"))
    log_file = work / "workers.log"
    try:
        inputs = distinct_inputs(folder, count, work)
        with embedded_server(parent=work) as server:
            prefix = f"bench-mem-{uuid.uuid4().hex[:6]}"
            env = {**os.environ, "NEWSMILL_BROKER_URL": server.url, "NEWSMILL_REDIS_URL": server.url,
                   "NEWSMILL_PREFIX": prefix, "NEWSMILL_LOG_LEVEL": "WARNING"}
            settings = Settings.from_env(env)
            jobs = JobStore(redis.Redis.from_url(server.url), Keys(prefix))
            pool = WorkerPool()
            pool.start(env=env, cpu_concurrency=2, io_concurrency=8, log_file=log_file)
            try:
                cpu = psutil.Process(pool.processes[1].pid)
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and len(cpu.children()) < 2:
                    time.sleep(0.5)
                time.sleep(2)

                def snapshot(label: str) -> None:
                    children = cpu.children()
                    # RSS counts the pages a pool process shares with its parent since the fork (the
                    # models); USS is what that process alone holds.
                    print(f"{label:>26}: parent RSS {mb(cpu.memory_info().rss)} MB; pool "
                          + ", ".join(f"pid {c.pid} RSS {mb(c.memory_info().rss)} MB USS "
                                      f"{mb(c.memory_full_info().uss)} MB" for c in children), flush=True)

                snapshot("after warm-up")
                job_id = "bench-mem-" + uuid.uuid4().hex[:8]
                jobs.create(job_id, inputs=[])
                started = time.monotonic()
                enqueue_sources(job_id, (Source("file", str(p)) for p in inputs), settings, jobs,
                                Resources(settings), app=make_app(settings))
                next_mark = CHECKPOINT
                pool_pids = {c.pid for c in cpu.children()}
                while True:
                    pool_pids.update(c.pid for c in cpu.children())
                    counts = jobs.counts(job_id)
                    while counts.done >= next_mark and next_mark <= count:
                        snapshot(f"after {next_mark} records")
                        next_mark += CHECKPOINT
                    if counts.finished:
                        break
                    pool.check_alive()
                    time.sleep(0.2)
                if next_mark - CHECKPOINT != count:
                    snapshot(f"after {count} records")
                print(f"{count} inputs in {time.monotonic() - started:.0f} s; statuses: ok {counts.ok}, "
                      f"dropped {counts.dropped}, failed {counts.failed}; reasons {counts.reasons} {counts.messages}",
                      flush=True)
                print(f"pool processes replaced (memory bound {settings.worker_max_memory_mb} MB, or every "
                      f"2,000 tasks): {len(pool_pids) - 2}", flush=True)
            finally:
                pool.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_memory(count: int) -> None:
    import psutil

    work = Path(tempfile.mkdtemp(prefix="newsmill-bench-run-"))
    try:
        inputs = work / "in"
        inputs.mkdir()
        text = SEED.read_text(encoding="utf-8")
        for n in range(count):
            (inputs / f"copy-{n:05d}.txt").write_text(f"{text}\n{n}\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
        command = [sys.executable, "-m", "workers.cli", "run", str(inputs), "-o", str(work / "out.jsonl"),
                   "--enrich", "reading_time"]
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        me = psutil.Process(proc.pid)
        peak = 0
        samples: list[tuple[float, int]] = []
        while proc.poll() is None:
            try:
                rss = me.memory_info().rss
            except psutil.NoSuchProcess:
                break
            peak = max(peak, rss)
            samples.append((time.monotonic() - started, rss))
            time.sleep(0.1)
        _, stderr = proc.communicate()
        lines = len((work / "out.jsonl").read_text(encoding="utf-8").splitlines())
        elapsed = time.monotonic() - started
        print(f"newsmill run, {count} inputs: exit {proc.returncode}, {lines} records in {elapsed:.0f} s", flush=True)
        for fraction in (0.25, 0.5, 0.75):
            at = next((rss for t, rss in samples if t >= elapsed * fraction), peak)
            print(f"  run's own RSS at {fraction:.0%} of the time: {mb(at)} MB")
        print(f"  run's own peak RSS: {mb(peak)} MB")
        if proc.returncode not in (0, 3):
            print(stderr.decode(errors="replace")[-2000:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="articles through the cpu worker")
    parser.add_argument("--run-inputs", type=int, default=2000, help="inputs of the newsmill run (0: skip)")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args()
    from workers.logging import configure_logging

    configure_logging(log_format="json", level="WARNING")
    if args.n:
        cpu_worker_memory(args.folder, args.n)
    if args.run_inputs:
        run_memory(args.run_inputs)


if __name__ == "__main__":
    main()
