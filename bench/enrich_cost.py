"""Benchmark (not a test): what each enrichment stage costs, and what a warm cpu worker holds in memory.

1. CPU ms per 1,000 words for every enrichment stage, and the end-to-end cost (load → dedup) per
   article, over N dev-corpus articles run in this process (``time.process_time`` around each stage).
2. Resident memory of a real ``newsmill worker --queues cpu`` process (its pool children) after warm-up
   and after processing the same articles, against a private embedded server.

Pages come from the WCXB dev corpus (Murrough Foley, 2026, CC-BY-4.0) unless a folder is given.

    python bench/enrich_cost.py [-n 200] [--folder DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmill.pipeline import run_stage, stages_for, warm_up  # noqa: E402
from newsmill.record import ArticleRecord, Source, WorkItem  # noqa: E402
from newsmill.resources import Resources  # noqa: E402
from newsmill.settings import Settings  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "corpus" / "wcxb-dev" / "html"


def stage_costs(redis_url: str, pages: list[Path]) -> None:
    settings = Settings.from_env({}, redis_url=redis_url, prefix=f"bench-enrich-{uuid.uuid4().hex[:6]}")
    res = Resources(settings)
    warm_up(settings)
    cpu_ms: dict[str, float] = defaultdict(float)
    words_total = 0
    ok = 0
    total_ms = 0.0
    for page in pages:
        payload: object = WorkItem("bench", Source("file", str(page)))
        started = time.process_time()
        for stage in stages_for(Source("file", str(page)), settings.enrich):
            before = time.process_time()
            payload = run_stage(stage, payload, res)  # type: ignore[arg-type]
            cpu_ms[stage.name] += (time.process_time() - before) * 1000
        total_ms += (time.process_time() - started) * 1000
        assert isinstance(payload, ArticleRecord)
        if payload.status == "ok":
            ok += 1
            words_total += payload.word_count or 0
    per_kw = 1000 / max(1, words_total)
    print(f"articles: {len(pages)} ({ok} ok), words in ok articles: {words_total}")
    print(f"{'stage':<22}{'CPU ms / 1,000 words':>22}{'CPU ms / article':>18}")
    for name, ms in cpu_ms.items():
        print(f"{name:<22}{ms * per_kw:>22.1f}{ms / len(pages):>18.1f}")
    enrich_ms = sum(ms for name, ms in cpu_ms.items() if name.startswith("enrich."))
    print(f"{'all enrichment':<22}{enrich_ms * per_kw:>22.1f}{enrich_ms / len(pages):>18.1f}")
    print(f"{'end to end':<22}{total_ms * per_kw:>22.1f}{total_ms / len(pages):>18.1f}")
    res.close()


def worker_memory(redis_url: str, pages: list[Path]) -> None:
    import psutil
    import redis

    from newsmill.jobs import JobStore
    from newsmill.keys import Keys
    from workers.embedded import WorkerPool

    prefix = f"bench-mem-{uuid.uuid4().hex[:6]}"
    os.environ.update({"NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_REDIS_URL": redis_url,
                       "NEWSMILL_PREFIX": prefix, "NEWSMILL_LOG_LEVEL": "WARNING"})
    settings = Settings.from_env()
    from tasks.chains import enqueue_sources
    from workers.app import make_app

    jobs = JobStore(redis.Redis.from_url(redis_url), Keys(prefix))
    log_file = Path(tempfile.mkstemp(prefix="newsmill-bench-", suffix=".log")[1])
    pool = WorkerPool()
    pool.start(env=dict(os.environ), cpu_concurrency=2, io_concurrency=8, log_file=log_file)
    try:
        cpu_worker = pool.processes[1]

        def rss_mb() -> list[float]:
            parent = psutil.Process(cpu_worker.pid)
            return [p.memory_info().rss / 2**20 for p in [parent, *parent.children()]]

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(psutil.Process(cpu_worker.pid).children()) < 2:
            time.sleep(0.5)
        time.sleep(2)
        print("cpu worker RSS after warm-up (parent, children) MB: "
              + ", ".join(f"{v:.0f}" for v in rss_mb()))
        job_id = "bench-mem-" + uuid.uuid4().hex
        jobs.create(job_id, inputs=[])
        enqueue_sources(job_id, (Source("file", str(p)) for p in pages), settings, jobs,
                        Resources(settings), app=make_app(settings))
        while not jobs.counts(job_id).finished:
            pool.check_alive()
            time.sleep(0.2)
        print(f"cpu worker RSS after {len(pages)} articles (parent, children) MB: "
              + ", ".join(f"{v:.0f}" for v in rss_mb()))
    finally:
        pool.stop()
        log_file.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args()
    pages = sorted(p for p in args.folder.rglob("*") if p.is_file())[: args.n]

    from workers.embedded import embedded_server
    from workers.logging import configure_logging

    configure_logging(log_format="json", level="WARNING")
    with embedded_server() as server:
        stage_costs(server.url, pages)
        worker_memory(server.url, pages)


if __name__ == "__main__":
    main()
