"""Benchmark (not a test): peak RSS of one ``io`` worker fetching large pages, per page in flight.

What is measured: one ``newsmill worker --queues io --pool threads --concurrency T`` process fetches N
pages of S MiB each (``newsmill.fetch`` tasks: robots.txt, rate slot, body read under the cap, decoded,
stashed in Redis), all enqueued at once from a loopback server, so T pages are in flight together. The
RSS of the worker (and any children) is sampled every 10 ms; the idle RSS before the first task is the
baseline. The number that matters is ``(peak - baseline) / (T x S)``: how many copies of a body one page
in flight costs (issue 11 target: <= 1.5, and <= 250 MiB peak for 16 threads x 9 MiB). Stored bodies
are deleted as they arrive so the private Redis stays small.

    python bench/fetch_memory.py [-n 48] [--threads 16] [--mib 9]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from newsmill.testing.httpserver import HTTPTestServer, Reply  # noqa: E402
from newsmill.testing.worker_processes import WorkerProcesses  # noqa: E402

HOST = "big.bench.example"


def big_page(mib: int) -> bytes:
    """An ASCII HTML page of ``mib`` MiB (the common case: UTF-8 that decodes to a compact str)."""
    paragraph = b"<p>The council voted to extend the tram line to the northern districts of the city.</p>\n"
    head = b"<!doctype html><html><head><title>Big page</title></head><body><article><h1>Big</h1>\n"
    tail = b"</article></body></html>\n"
    size = mib * 1024 * 1024
    return head + paragraph * ((size - len(head) - len(tail)) // len(paragraph)) + tail


class Sampler:
    """RSS of a process tree every 10 ms, in a thread; ``peak`` is the largest sample."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        try:
            return int(self.process.memory_info().rss + sum(
                child.memory_info().rss for child in self.process.children(recursive=True)))
        except psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=48, help="pages fetched")
    parser.add_argument("--threads", type=int, default=16, help="threads of the io worker")
    parser.add_argument("--mib", type=int, default=9, help="size of each page in MiB")
    args = parser.parse_args()

    from newsmill.processes import stop_process_group
    from workers.embedded import embedded_server

    body = big_page(args.mib)
    with HTTPTestServer() as server, embedded_server() as redis_server:
        server.route("/big", Reply(body=body, headers={"Content-Type": "text/html; charset=utf-8"}))
        prefix = f"mbench{uuid.uuid4().hex[:6]}"
        os.environ.update({
            "NEWSMILL_BROKER_URL": redis_server.url, "NEWSMILL_REDIS_URL": redis_server.url,
            "NEWSMILL_PREFIX": prefix, "NEWSMILL_ENRICH": "reading_time", "NEWSMILL_LOG_LEVEL": "WARNING",
            "NEWSMILL_FETCH_ALLOW_ADDRESSES": f"127.0.0.1:{server.port}",
            "NEWSMILL_FETCH_RESOLVE": f"{HOST}=127.0.0.1",
            "NEWSMILL_FETCH_RATE": "1000", "NEWSMILL_FETCH_MAX_BYTES": str(10 * 1024 * 1024),
        })
        import redis

        from newsmill.keys import Keys
        from newsmill.record import Source, WorkItem, payload_to_dict
        from workers.config import IO_QUEUE

        client = redis.Redis.from_url(redis_server.url)
        procs = WorkerProcesses(dict(os.environ), Path(tempfile.mkdtemp(prefix="fetch-memory-")), cwd=ROOT)
        worker = procs.start("--queues", "io", "--pool", "threads", "--concurrency", str(args.threads))
        procs.wait_ready()
        from newsmill.settings import Settings
        from workers.app import make_app

        app = make_app(Settings.from_env())  # from the environment above, like the workers

        job = "bench-memory"
        try:
            time.sleep(1.0)
            with Sampler(worker.pid) as sampler:
                baseline = sampler.rss()
                started = time.perf_counter()
                with app.producer_or_acquire() as producer:
                    for i in range(args.n):
                        url = f"http://{HOST}:{server.port}/big?n={i}"
                        item = WorkItem(job_id=job, source=Source(kind="url", location=url))
                        app.send_task("newsmill.fetch", args=(payload_to_dict(item),), queue=IO_QUEUE,
                                      producer=producer)
                done = 0
                while done < args.n:
                    for key in client.scan_iter(match=Keys(prefix).body(job, "*"), count=1000):
                        done += int(client.delete(key))
                    if worker.poll() is not None:
                        raise SystemExit(f"the worker died: {procs.logs()}")
                    time.sleep(0.02)
                seconds = time.perf_counter() - started
        finally:
            stop_process_group(worker, grace=10)
            app.close()
    in_flight = args.threads * len(body)
    mib = 1024 * 1024
    print(f"{args.n} pages of {len(body) / mib:.1f} MiB through 1 io worker x {args.threads} threads in "
          f"{seconds:.1f} s: baseline RSS {baseline / mib:.0f} MiB, peak RSS {sampler.peak / mib:.0f} MiB, "
          f"growth {(sampler.peak - baseline) / mib:.0f} MiB = "
          f"{(sampler.peak - baseline) / in_flight:.2f} x the bodies in flight ({in_flight / mib:.0f} MiB)")


if __name__ == "__main__":
    main()
