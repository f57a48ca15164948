"""Benchmark (not a test): how much of one host's request budget the fetch stage uses.

What is measured: N fetch tasks of ONE host, limited to ``--rate`` requests/s (``NEWSMILL_FETCH_RATE``),
are enqueued at once to real ``io`` workers; the loopback server (bench/loopback_server.py, its own
process) answers each request after 100 ms and logs when it arrived. Printed: the sustained rate (page
requests over the span from the first to the last), the busiest second (must stay <= the rate), and the
time until every body was stored. Issue 11: at 50 requests/s, 2,000 URLs took 225 s (24.6 requests/s); a
host's budget should be used (>= 45/s).

    python bench/fetch_rate.py [-n 1000] [--rate 50] [--workers 2] [--threads 64] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loopback_server import LoopbackServer  # noqa: E402
from newsmill.testing.worker_processes import WorkerProcesses  # noqa: E402

HOST = "one.bench.example"
PAGE = (
    "<!doctype html><html><head><title>Benchmark page</title></head><body><article><h1>Benchmark</h1>"
    + "<p>The council voted to extend the tram line to the northern districts of the city.</p>" * 20
    + "</article></body></html>"
).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="pages of the one host")
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s allowed to the host")
    parser.add_argument("--workers", type=int, default=2, help="io worker processes")
    parser.add_argument("--threads", type=int, default=64, help="threads per io worker")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each response")
    args = parser.parse_args()

    from newsmill.processes import stop_process_group
    from workers.embedded import embedded_server

    with LoopbackServer(args.latency, PAGE, log_arrivals=True) as server, embedded_server() as redis_server:
        prefix = f"rbench{uuid.uuid4().hex[:6]}"
        os.environ.update({
            "NEWSMILL_BROKER_URL": redis_server.url, "NEWSMILL_REDIS_URL": redis_server.url,
            "NEWSMILL_PREFIX": prefix, "NEWSMILL_ENRICH": "reading_time", "NEWSMILL_LOG_LEVEL": "WARNING",
            "NEWSMILL_FETCH_ALLOW_ADDRESSES": f"127.0.0.1:{server.port}",
            "NEWSMILL_FETCH_RESOLVE": f"{HOST}=127.0.0.1", "NEWSMILL_FETCH_RATE": str(args.rate),
            "NEWSMILL_FETCH_MAX_CONNECTIONS": "200",
        })
        import redis

        from newsmill.jobs import JobStore
        from newsmill.keys import Keys
        from newsmill.record import Source
        from newsmill.resources import Resources
        from tasks.chains import enqueue_sources

        client = redis.Redis.from_url(redis_server.url)
        procs = WorkerProcesses(dict(os.environ), Path(tempfile.mkdtemp(prefix="fetch-rate-")), cwd=ROOT)
        for _ in range(args.workers):
            procs.start("--queues", "io", "--pool", "threads", "--concurrency", str(args.threads))
        procs.wait_ready()
        from newsmill.settings import Settings
        from workers.app import make_app

        settings = Settings.from_env()  # from the environment above, like the workers
        app = make_app(settings)

        job = "bench-rate"
        try:
            started = time.perf_counter()
            # Registered in a job and enqueued as chains, the way `newsmill enqueue` does: a fetch task
            # sent on its own (no job, no next stage) never hands over, and the reconciler, finding it
            # ended without a successor after NEWSMILL_RECONCILE_GRACE, drives it again (a second request
            # for the page). No cpu worker runs here, so each chain waits after its fetch stage.
            jobs = JobStore(client, Keys(prefix))
            jobs.create(job, inputs=[f"http://{HOST}:{server.port}/page"])
            sources = (Source(kind="url", location=f"http://{HOST}:{server.port}/page?n={i}") for i in range(args.n))
            enqueue_sources(job, sources, settings, jobs, Resources(settings, redis_client=client), app=app)
            while sum(1 for _ in client.scan_iter(match=Keys(prefix).body(job, "*"), count=1000)) < args.n:
                for process in procs.processes:
                    if process.poll() is not None:
                        raise SystemExit(f"a worker died: {procs.logs()}")
                time.sleep(0.2)
            seconds = time.perf_counter() - started
        finally:
            for process in procs.processes:
                stop_process_group(process, grace=10)
            app.close()
        arrivals = server.arrivals()
    span = max(arrivals) - min(arrivals)
    busiest = max(Counter(int(at) for at in arrivals).values())
    print(f"{args.n} pages of one host at NEWSMILL_FETCH_RATE={args.rate:g} through {args.workers} io workers x "
          f"{args.threads} threads, {args.latency * 1000:.0f} ms latency: {len(arrivals)} page requests over "
          f"{span:.1f} s = {(len(arrivals) - 1) / span:.1f} requests/s sustained, busiest second {busiest}, "
          f"all stored after {seconds:.1f} s")


if __name__ == "__main__":
    main()
