"""Benchmark (not a test): how early records arrive in a ``newsmill run``-like job, and how well the
progress bar's ETA predicts the end.

An embedded server, an ``io`` worker (threads) and a ``cpu`` worker with one prefork process per core,
as ``newsmill run`` starts them; N pages enqueued at once (full enrichment unless ``NEWSMILL_ENRICH``
says otherwise), records read from the stream as ``newsmill run`` reads them. Pages come from the WCXB
dev corpus (Murrough Foley, 2026, CC-BY-4.0) unless a folder is given. Prints:

- the time from the first clean task's start to the first record;
- when the 50th record arrived, as a fraction of the run's time;
- article latency, enqueued → delivered (p50, p90), and in flight, its clean task's start → delivered
  (p50) next to the p50 of each article's own stage time (the provenance's durations), both over the
  articles that started while more were waiting than the cpu pool has processes;
- the progress ETA's error from 20 % done on: ``click.progressbar`` (what ``newsmill run`` shows) says
  (time since the bar started / records so far) × records left; compared with the time actually left.

``--rabbitmq`` uses the RabbitMQ on 127.0.0.1:5672 (guest/guest) as the broker, in a vhost of its own
made with ``rabbitmqctl`` and deleted afterwards; the embedded server keeps the state. Its queues are
quorum queues unless ``NEWSMILL_RABBITMQ_QUEUE_TYPE=classic`` is set.

    python bench/latency.py [-n 200] [--folder DIR] [--cores 2] [--rabbitmq]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmill.jobs import JobStore  # noqa: E402
from newsmill.keys import Keys  # noqa: E402
from newsmill.record import Source  # noqa: E402
from newsmill.resources import Resources  # noqa: E402
from newsmill.results import JobRecordReader, stream_position  # noqa: E402
from newsmill.settings import Settings  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "corpus" / "wcxb-dev" / "html"
WARM_UP = 4


def pick_pages(folder: Path, count: int) -> list[Path]:
    pages = sorted(p for p in folder.rglob("*") if p.is_file())
    if len(pages) < count:
        raise SystemExit(f"{folder} has {len(pages)} files, fewer than {count}")
    return pages[:count]


def clean_starts(log_file: Path, job_id: str) -> dict[str, float]:
    """Article id → when its clean task was received by the cpu worker (prefetch 1 and acks late: it
    starts then), from the workers' JSON logs: ``received`` names the task id, ``succeeded`` the article."""
    received: dict[str, float] = {}
    article_of: dict[str, str] = {}
    for line in log_file.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        message = str(event.get("event", ""))
        if not message.startswith("Task newsmill.clean["):
            continue
        task_id = message[len("Task newsmill.clean["):].split("]", 1)[0]
        if message.endswith("received"):
            stamp = str(event["timestamp"]).replace("Z", "+00:00")
            received[task_id] = datetime.fromisoformat(stamp).timestamp()
        elif event.get("job_id") == job_id and event.get("article_id"):
            article_of[task_id] = str(event["article_id"])
    return {article: received[task] for task, article in article_of.items() if task in received}


def rabbitmqctl(*args: str) -> None:
    binary = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([binary, *args], check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A fresh vhost on the local RabbitMQ; its broker URL."""
    vhost = f"newsmill-bench-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="articles in the job")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rabbitmq", action="store_true", help="RabbitMQ on 127.0.0.1:5672 as the broker")
    args = parser.parse_args()

    import redis

    from tasks.chains import enqueue_sources
    from workers.app import make_app
    from workers.embedded import WorkerPool, embedded_server

    pages = pick_pages(args.folder, args.n + WARM_UP)
    warm, pages = pages[args.n:], pages[:args.n]
    with embedded_server() as server, (rabbitmq_vhost() if args.rabbitmq else contextlib.nullcontext(server.url)) \
            as broker_url:
        prefix = f"bench-lat-{uuid.uuid4().hex[:6]}"
        # INFO: the cpu worker's "received" lines date each clean task's start.
        os.environ.update({"NEWSMILL_BROKER_URL": broker_url, "NEWSMILL_REDIS_URL": server.url,
                           "NEWSMILL_PREFIX": prefix, "NEWSMILL_LOG_LEVEL": "INFO", "NEWSMILL_LOG_FORMAT": "json"})
        settings = Settings.from_env()
        client = redis.Redis.from_url(server.url)
        keys = Keys(prefix)
        jobs = JobStore(client, keys)
        res = Resources(settings, redis_client=client)
        app = make_app(settings)
        log_file = Path(tempfile.mkstemp(prefix="newsmill-bench-", suffix=".log")[1])
        pool = WorkerPool()
        pool.start(env=dict(os.environ), cpu_concurrency=args.cores, io_concurrency=8, log_file=log_file)
        try:
            def job(paths: list[Path]) -> tuple[str, float, float, list[tuple[float, dict[str, object]]]]:
                job_id = "bench-lat-" + uuid.uuid4().hex
                jobs.create(job_id, inputs=[])
                reader = JobRecordReader(client, keys, job_id, start=stream_position(client, keys))
                enqueued = time.time()
                enqueue_sources(job_id, (Source("file", str(p)) for p in paths), settings, jobs, res, app=app)
                bar_start = time.time()  # newsmill run starts its progress bar once enqueueing returns
                arrivals: list[tuple[float, dict[str, object]]] = []
                while len(arrivals) < len(paths):
                    pool.check_alive()
                    for record in reader.poll(block_ms=50):
                        arrivals.append((time.time(), record))
                return job_id, enqueued, bar_start, arrivals

            job(warm)  # worker start-up and model loading in every pool process
            job_id, enqueued, bar_start, arrivals = job(pages)
        finally:
            pool.stop()
        starts = clean_starts(log_file, job_id)
        log_file.unlink(missing_ok=True)

    n = len(arrivals)
    times = [t for t, _record in arrivals]
    end = times[-1]
    run_time = end - enqueued
    first_clean = min(starts.values())
    fiftieth = times[min(49, n - 1)]
    latencies = [t - enqueued for t in times]
    # In flight while the queue is longer than the pool: articles whose clean started while at least
    # ``cores`` more cleans had not started yet.
    order = sorted(starts.values())
    busy_until = order[max(0, len(order) - args.cores - 1)]
    in_flight: list[float] = []
    own: list[float] = []
    for t, record in arrivals:
        started = starts.get(str(record.get("id")))
        if started is None or started > busy_until:
            continue
        in_flight.append(t - started)
        provenance = record.get("provenance") or []
        assert isinstance(provenance, list)
        own.append(sum(float(run.get("duration_ms", 0.0)) for run in provenance) / 1000)
    errors: list[float] = []
    for k, t in enumerate(times, start=1):
        if k < 0.2 * n or k >= n:
            continue
        eta = (t - bar_start) / k * (n - k)
        actual = end - t
        errors.append((eta - actual) / actual)  # > 0: the bar says longer than it takes
    broker = f"RabbitMQ ({settings.rabbitmq_queue_type} queues)" if args.rabbitmq else "Redis (embedded)"
    print(f"articles: {n}  cores: {args.cores}  broker: {broker}  folder: {args.folder}  run time: {run_time:.1f} s")
    print(f"first clean start -> first record      : {times[0] - first_clean:7.2f} s   (target < 5 s)")
    print(f"50th record at                         : {(fiftieth - enqueued) / run_time:7.1%} of run time"
          f"   (target < 30 %)")
    print(f"latency enqueued -> delivered           : p50 {pct(latencies, 0.5):6.1f} s   p90 "
          f"{pct(latencies, 0.9):6.1f} s")
    print(f"in flight (clean start -> delivered)    : p50 {pct(in_flight, 0.5):6.2f} s   own stage time p50 "
          f"{pct(own, 0.5):6.2f} s   ratio {pct(in_flight, 0.5) / max(pct(own, 0.5), 1e-9):5.1f}   "
          f"(target < 3, {len(in_flight)} articles)")
    absolute = [abs(e) for e in errors]
    print(f"progress ETA error from 20 % done       : median |error| {pct(absolute, 0.5):6.1%}   p90 "
          f"{pct(absolute, 0.9):6.1%}   at 20 % {errors[0] if errors else float('nan'):+6.1%}   "
          f"(target < 30 %)")

if __name__ == "__main__":
    main()
