"""Benchmark (not a test): pages/s of the fetch stage through real ``io`` workers.

What is measured: N fetch tasks (``newsmill.fetch``, the Celery task of the fetch stage, with the SSRF
guard, robots.txt lookup, the Redis rate limiter, conditional-GET bookkeeping, body cap and the body
stashed in Redis) are enqueued at once; the clock runs from the first enqueue until the last fetched
body is in Redis. Nothing after the fetch stage runs (no clean/extract), so this is the fetcher's
throughput, not the pipeline's. The server (bench/loopback_server.py, its own process, one asyncio loop)
answers every request after 100 ms; the URLs are spread over 50 host names that an injected resolver
(``NEWSMILL_FETCH_RESOLVE``) maps to 127.0.0.1; politeness limits are set high (1000 requests/s per
host) so the network and the workers are the limit. Redis is a private embedded server. A warm-up round
(robots.txt of every host, connection pools) runs first and is not timed.

Printed: pages/s; CPU milliseconds per page of the io workers, Redis, the server and this process (steadier
than pages/s on a shared machine); and, as the reference issue 11 compares with, a plain ``httpx.Client``
with as many threads as one worker GETting the same pages from the same server.

    python bench/fetch_throughput.py [-n 2000] [--workers 2] [--threads 64] [--latency 0.1] [--profile DIR]

``--profile DIR`` runs the workers under cProfile (every thread, CPU time) and prints where it went; the
profiler slows the workers down, so the pages/s of such a run are not the benchmark's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bench.loopback_server import LoopbackServer  # noqa: E402
from bench.profiling.report import print_report, profiled  # noqa: E402
from newsmill.testing.worker_processes import WorkerProcesses  # noqa: E402

HOSTS = 50
PAGE = (
    "<!doctype html><html><head><title>Benchmark page</title></head><body><article><h1>Benchmark</h1>"
    + "<p>The council voted to extend the tram line to the northern districts of the city.</p>" * 20
    + "</article></body></html>"
).encode()


def host(index: int) -> str:
    return f"site{index:02d}.bench.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="pages in the timed round")
    parser.add_argument("--workers", type=int, default=2, help="io worker processes")
    parser.add_argument("--threads", type=int, default=64, help="threads per io worker")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each response")
    parser.add_argument("--profile", type=Path, help="profile the workers into this folder")
    args = parser.parse_args()

    from workers.embedded import embedded_server

    with LoopbackServer(args.latency, PAGE) as server, embedded_server() as redis_server:
        prefix = f"fbench{uuid.uuid4().hex[:6]}"
        os.environ.update({
            "NEWSMILL_BROKER_URL": redis_server.url, "NEWSMILL_REDIS_URL": redis_server.url,
            "NEWSMILL_PREFIX": prefix, "NEWSMILL_ENRICH": "reading_time", "NEWSMILL_LOG_LEVEL": "WARNING",
            "NEWSMILL_FETCH_ALLOW_ADDRESSES": f"127.0.0.1:{server.port}",
            "NEWSMILL_FETCH_RESOLVE": ",".join(f"{host(i)}=127.0.0.1" for i in range(HOSTS)),
            "NEWSMILL_FETCH_RATE": "1000", "NEWSMILL_FETCH_MAX_CONNECTIONS": "200",
            # Fetch tasks are sent alone (no job, no next stage), so they never hand over: past the grace
            # the reconciler would drive them again and the workers would fetch pages twice.
            "NEWSMILL_RECONCILE_GRACE": "3600",
        })
        import redis

        from newsmill.keys import Keys
        from newsmill.record import Source, WorkItem, payload_to_dict
        from workers.config import IO_QUEUE

        client = redis.Redis.from_url(redis_server.url)
        count_keys = client.register_script("return #redis.call('KEYS', ARGV[1])")
        log_dir = Path(tempfile.mkdtemp(prefix="fetch-bench-"))
        env = profiled(dict(os.environ), args.profile) if args.profile else dict(os.environ)
        procs = WorkerProcesses(env, log_dir, cwd=ROOT)
        for _ in range(args.workers):
            procs.start("--queues", "io", "--pool", "threads", "--concurrency", str(args.threads))
        procs.wait_ready()
        from newsmill.settings import Settings
        from workers.app import make_app

        app = make_app(Settings.from_env())  # from the environment above, like the workers


        def run(count: int, tag: str) -> float:
            job = f"bench-{tag}"
            started = time.perf_counter()
            with app.producer_or_acquire() as producer:
                for i in range(count):
                    url = f"http://{host(i % HOSTS)}:{server.port}/page?job={tag}&n={i}"
                    item = WorkItem(job_id=job, source=Source(kind="url", location=url))
                    app.send_task("newsmill.fetch", args=(payload_to_dict(item),), queue=IO_QUEUE,
                                  producer=producer)
            while True:
                # A fetched page waits for the clean stage as a stored document (newsmill/bodies.py),
                # counted inside Redis: scanning thousands of keys into this process every 50 ms cost
                # more CPU than the workers under test.
                done = int(count_keys(args=[Keys(prefix).body(job, "*")]))
                if done >= count:
                    return time.perf_counter() - started
                for process in procs.processes:
                    if process.poll() is not None:
                        raise SystemExit(f"a worker died: {procs.logs()}")
                time.sleep(0.05)

        pids = [process.pid for process in procs.processes]
        try:
            run(HOSTS * 4, "warmup")
            groups = {"io workers": [psutil.Process(pid) for pid in pids],
                      "Redis": [psutil.Process(redis_server.process.pid)],
                      "HTTP server": [psutil.Process(server.pid)],
                      "producer (this process)": [psutil.Process()]}
            before = {name: _cpu(members) for name, members in groups.items()}
            seconds = run(args.n, "timed")
            cpu_ms = {name: (_cpu(members) - before[name]) * 1000 / args.n for name, members in groups.items()}
        finally:
            procs.stop(grace=30 if args.profile else 10)
            app.close()
        baseline = plain_httpx(server.port, args.n, args.threads)
        print(f"fetch stage through {args.workers} io workers x {args.threads} threads, {HOSTS} hosts, "
              f"{args.latency * 1000:.0f} ms latency: {args.n} pages in {seconds:.2f} s = "
              f"{args.n / seconds:.0f} pages/s (cores: {os.cpu_count()})")
        # CPU per page is steadier than pages/s on a shared machine, and says where the cores went.
        print("CPU ms per page: " + ", ".join(f"{name} {ms:.2f}" for name, ms in cpu_ms.items()))
        print(f"plain httpx (one Client, {args.threads} threads, no politeness, nothing stored), "
              f"same server and pages: {baseline:.0f} pages/s; the fetch stage is {args.n / seconds / baseline:.2f} "
              "x that")
        if args.profile:
            print_report(args.profile, pids)


def plain_httpx(port: int, count: int, threads: int) -> float:
    """Pages/s of a bare ``httpx.Client`` GETting the same kind of URLs with ``threads`` threads: the
    reference issue 11 compares the fetch stage with (measured there at ~490 pages/s with 64 threads)."""
    import httpx

    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=threads,
                                                        max_keepalive_connections=threads))
    urls = [f"http://127.0.0.1:{port}/page?plain={i}" for i in range(count)]
    with httpx.Client(transport=transport, timeout=30.0) as client, ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda url: client.get(url).content, urls[: threads * 2]))  # warm-up
        started = time.perf_counter()
        sizes = list(pool.map(lambda url: len(client.get(url).content), urls))
        seconds = time.perf_counter() - started
    assert all(size == len(PAGE) for size in sizes)
    return count / seconds


def _cpu(processes: list[psutil.Process]) -> float:
    """CPU seconds (user + system) the processes have used so far (their own, not their children's:
    the workers and servers are this process's children)."""
    return sum(times.user + times.system for times in (process.cpu_times() for process in processes))


if __name__ == "__main__":
    main()
