"""Benchmark (not a test): in-process stages vs the distributed Celery chain on the same articles.

(a) in-process: one process per core, each running :func:`newsmill.pipeline.process` in a plain loop
    over pages handed out a few at a time (every stage, the sink included);
(b) distributed: an ``io`` worker (threads) and a ``cpu`` worker with one prefork process per core,
    fed by the producer through Redis.

Both run against a private embedded server, warm up first (models load once per process), and print
articles/s and the ratio b/a. Pages come from the WCXB dev corpus (Murrough Foley, 2026, CC-BY-4.0)
unless a folder is given.

    python bench/throughput.py [-n 400] [--folder DIR] [--cores 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmill.jobs import JobStore  # noqa: E402
from newsmill.keys import Keys  # noqa: E402
from newsmill.record import Source, WorkItem  # noqa: E402
from newsmill.resources import Resources  # noqa: E402
from newsmill.settings import Settings  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "corpus" / "wcxb-dev" / "html"


def pick_pages(folder: Path, count: int) -> list[Path]:
    pages = sorted(p for p in folder.rglob("*") if p.is_file())
    if len(pages) < count:
        raise SystemExit(f"{folder} has {len(pages)} files, fewer than {count}")
    return pages[:count]


_RES: Resources | None = None


def _inprocess_one(args: tuple[str, str]) -> int:
    path, job_id = args
    from newsmill.pipeline import process

    assert _RES is not None
    process(WorkItem(job_id, Source("file", path)), _RES)
    return 1


def _warm(redis_url: str, prefix: str, path: str) -> None:
    # The same logging set-up and level as the workers in (b), so neither side pays more for logs.
    from workers.logging import configure_logging

    configure_logging(log_format="json", level="WARNING")
    from newsmill.pipeline import process

    global _RES
    _RES = Resources(Settings.from_env(redis_url=redis_url, prefix=prefix))  # NEWSMILL_ENRICH applies to (a) too
    process(WorkItem("warmup-" + uuid.uuid4().hex, Source("file", path)), _RES)


def bench_inprocess(redis_url: str, pages: list[Path], cores: int) -> float:
    prefix = f"bench-a-{uuid.uuid4().hex[:6]}"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(cores, initializer=_warm, initargs=(redis_url, prefix, str(pages[0]))) as pool:
        # Pool initializers have run once every worker took a trivial task.
        pool.map(abs, range(cores * 4), chunksize=1)
        job_id = "bench-a-" + uuid.uuid4().hex
        start = time.perf_counter()
        # Pages are handed out a few at a time, so no process idles while the other still has work.
        done = sum(pool.imap_unordered(_inprocess_one, [(str(p), job_id) for p in pages], chunksize=2))
        elapsed = time.perf_counter() - start
    assert done == len(pages)
    return len(pages) / elapsed


def cpu_seconds(pool: object) -> dict[str, float]:
    """CPU time used so far by the server, the io worker, and the cpu worker's parent and children."""
    import psutil

    out: dict[str, float] = {}
    me = psutil.Process()
    for proc in me.children(recursive=False):
        times = proc.cpu_times()
        total = times.user + times.system
        name = " ".join(proc.cmdline()[-6:])
        role = "server" if "server" in proc.name() else ("io-worker" if "io " in name + " " else "cpu-parent")
        out[role] = out.get(role, 0.0) + total
        for child in proc.children(recursive=True):
            ct = child.cpu_times()
            out["cpu-children"] = out.get("cpu-children", 0.0) + ct.user + ct.system
    own = me.cpu_times()
    out["producer"] = own.user + own.system
    return out


BENCH_PREFIX = f"bench-b-{uuid.uuid4().hex[:6]}"


def bench_distributed(redis_url: str, pages: list[Path], cores: int, granularity: str) -> float:
    from workers.embedded import WorkerPool

    # One prefix for every distributed run of this process (each run builds its own producer app from
    # its settings, so a new prefix per run would work too).
    prefix = BENCH_PREFIX
    os.environ.update({"NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_REDIS_URL": redis_url,
                       "NEWSMILL_PREFIX": prefix, "NEWSMILL_LOG_LEVEL": "WARNING",
                       "NEWSMILL_TASK_GRANULARITY": granularity,
                       "NEWSMILL_LOG_FORMAT": "json"})
    settings = Settings.from_env()
    import redis

    from tasks.chains import enqueue_sources
    from workers.app import make_app

    client = redis.Redis.from_url(redis_url)
    jobs = JobStore(client, Keys(prefix))
    res = Resources(settings, redis_client=client)
    app = make_app(settings)
    log_file = Path(tempfile.mkstemp(prefix="newsmill-bench-", suffix=".log")[1])
    pool = WorkerPool()
    pool.start(env=dict(os.environ), cpu_concurrency=cores, io_concurrency=8, log_file=log_file)
    try:
        def run_job(paths: list[Path]) -> float:
            job_id = "bench-b-" + uuid.uuid4().hex
            jobs.create(job_id, inputs=[])
            start = time.perf_counter()
            enqueue_sources(job_id, (Source("file", str(p)) for p in paths), settings, jobs, res, app=app)
            while not jobs.counts(job_id).finished:
                pool.check_alive()
                time.sleep(0.02)
            return time.perf_counter() - start

        run_job(pages[: cores * 4])  # warm-up: worker start, model loading in every pool process
        before = cpu_seconds(pool)
        elapsed = run_job(pages)
        after = cpu_seconds(pool)
        spent = {role: after[role] - before.get(role, 0.0) for role in after}
        print("CPU seconds in (b) by process: " + ", ".join(f"{k} {v:.1f}" for k, v in spent.items()))
    finally:
        pool.stop()
        log_file.unlink(missing_ok=True)
    return len(pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=400, help="articles per measurement")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", choices=["a", "b"], default=None, help="run one side only (profiling)")
    parser.add_argument("--granularity", choices=["stage", "queue", "both"], default="both",
                        help="(b) with one task per stage, per run of same-queue stages, or both")
    args = parser.parse_args()

    from workers.embedded import embedded_server

    pages = pick_pages(args.folder, args.n)
    with embedded_server() as server:
        a = bench_inprocess(server.url, pages, args.cores) if args.only != "b" else float("nan")
        granularities = ["stage", "queue"] if args.granularity == "both" else [args.granularity]
        b = {g: bench_distributed(server.url, pages, args.cores, g) if args.only != "a" else float("nan")
             for g in granularities}
    print(f"articles: {len(pages)}  cores: {args.cores}  folder: {args.folder}")
    print(f"(a) in-process loop, one process per core      : {a:8.1f} articles/s")
    for granularity, rate in b.items():
        label = f"(b) distributed, one task per {granularity:<5}"
        print(f"{label}          : {rate:8.1f} articles/s   b/a = {rate / a:5.2f}  (issue 10 target: >= 0.95)")


if __name__ == "__main__":
    main()
