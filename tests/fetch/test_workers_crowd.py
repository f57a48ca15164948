"""Many fetches at once through real `newsmill worker` processes: 50 pages of one origin started together
across two io workers ask for its robots.txt once, and 16 threads on 9 MiB pages cost well under the
four copies of each body in flight that issue 11 measured."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from newsmill.keys import Keys
from newsmill.record import Source, WorkItem, payload_to_dict
from newsmill.testing.httpserver import HTTPTestServer, Reply
from tests.conftest import WorkerProcesses, control_app
from tests.fetch.sites import Site, article
from tests.fetch.test_workers_hostile import PeakMemory

pytestmark = pytest.mark.integration

CROWD = "crowd.test"
THREADS, PAGE_MIB = 16, 9


def _big_page(mib: int) -> bytes:
    paragraph = b"<p>The council voted to extend the tram line to the northern districts of the city.</p>\n"
    head = b"<!doctype html><html><head><title>Big page</title></head><body><article><h1>Big</h1>\n"
    tail = b"</article></body></html>\n"
    return head + paragraph * ((mib * 1024 * 1024 - len(head) - len(tail)) // len(paragraph)) + tail


@pytest.fixture()
def site() -> Iterator[Site]:
    with HTTPTestServer() as server:
        site = Site(server)
        site.route("/story", article())
        # A slow robots.txt: every fetch of the crowd starts while the first one is still asking.
        site.robots[CROWD] = Reply(body=b"User-agent: *\nDisallow: /private\n",
                                   headers={"Content-Type": "text/plain"}, delay=1.0)
        yield site


def _send_fetches(env: dict[str, str], urls: list[str], job_id: str) -> None:
    """Fetch tasks only (no clean stage after them), all published at once."""
    from workers.config import IO_QUEUE

    app = control_app(env)
    try:
        with app.producer_or_acquire() as producer:
            for url in urls:
                item = WorkItem(job_id=job_id, source=Source(kind="url", location=url))
                app.send_task("newsmill.fetch", args=(payload_to_dict(item),), queue=IO_QUEUE, producer=producer)
    finally:
        app.close()


def _wait_for_documents(client: redis.Redis, prefix: str, job_id: str, count: int, workers: WorkerProcesses,
                        *, timeout: float = 120.0, delete: bool = False) -> None:
    """Until ``count`` fetched documents of the job are stored (deleted as they come with ``delete``)."""
    seen = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys = list(client.scan_iter(match=Keys(prefix).body(job_id, "*"), count=1000))
        if not delete:
            seen = len(keys)
        elif keys:
            seen += int(client.delete(*keys))
        if seen >= count:
            return
        for process in workers.processes:
            assert process.poll() is None, f"a worker died: {workers.logs()}"
        time.sleep(0.05)
    raise AssertionError(f"{seen} of {count} documents after {timeout}s: {workers.logs()}")


def test_fifty_fetches_of_one_origin_ask_robots_once(site: Site, workers: WorkerProcesses,
                                                      worker_env: dict[str, str], redis_client: redis.Redis,
                                                      prefix: str) -> None:
    """50 fetches of one origin published together to 2 io workers x 25 threads: one robots.txt request
    (the others wait for its answer, across threads and processes), and all 50 pages fetched."""
    worker_env.update({
        "NEWSMILL_FETCH_ALLOW_ADDRESSES": site.allow_entry(), "NEWSMILL_FETCH_RESOLVE": f"{CROWD}=127.0.0.1",
        "NEWSMILL_FETCH_RATE": "1000",
    })
    for _ in range(2):
        workers.start("--queues", "io", "--pool", "threads", "--concurrency", "25")
    workers.wait_ready()
    urls = [site.url(CROWD, f"/story?n={index}") for index in range(50)]
    _send_fetches(worker_env, urls, "crowd")
    _wait_for_documents(redis_client, prefix, "crowd", len(urls), workers)
    assert len(site.hits_for(CROWD, "/story")) == len(urls)
    assert len(site.hits_for(CROWD, "/robots.txt")) == 1


def test_large_pages_in_flight_cost_well_under_four_copies(workers: WorkerProcesses,
                                                          worker_env: dict[str, str]) -> None:
    """One io worker x 16 threads fetching 9 MiB pages: its RSS grows by less than 2.5 x the bodies in
    flight (16 x 9 MiB), where issue 11 measured about 4 x. The fetcher now holds a body once (held to
    1.25 x, exactly, in test_fetcher_outcomes); what the stage after it adds, the decoded text and its
    UTF-8 copy on the way to Redis, lasts as long as Redis takes to store the bodies, so this bound leaves
    room for a loaded machine (0.95-1.97 x measured here; a private Redis keeps other tests out of it).
    bench/fetch_memory.py prints the number."""
    from workers.embedded import embedded_server

    body = _big_page(PAGE_MIB)
    with HTTPTestServer() as server, embedded_server() as private_redis:
        server.route("/big", Reply(body=body, headers={"Content-Type": "text/html; charset=utf-8"}))
        worker_env.update({
            "NEWSMILL_BROKER_URL": private_redis.url, "NEWSMILL_REDIS_URL": private_redis.url,
            "NEWSMILL_FETCH_ALLOW_ADDRESSES": f"127.0.0.1:{server.port}",
            "NEWSMILL_FETCH_RESOLVE": "big.test=127.0.0.1", "NEWSMILL_FETCH_RATE": "1000",
            "NEWSMILL_FETCH_MAX_BYTES": str(10 * 1024 * 1024),
        })
        io = workers.start("--queues", "io", "--pool", "threads", "--concurrency", str(THREADS))
        workers.wait_ready()
        time.sleep(1.0)
        client = redis.Redis.from_url(private_redis.url)
        try:
            with PeakMemory(io.pid, interval=0.01) as memory:
                baseline = memory.process.memory_info().rss
                pages = 3 * THREADS
                _send_fetches(worker_env, [f"http://big.test:{server.port}/big?n={n}" for n in range(pages)],
                              "big")
                _wait_for_documents(client, worker_env["NEWSMILL_PREFIX"], "big", pages, workers, delete=True)
        finally:
            workers.stop()
            client.close()
    in_flight = THREADS * len(body)
    growth = memory.peak - baseline
    print(f"peak RSS {memory.peak / 2**20:.0f} MiB, grew {growth / 2**20:.0f} MiB = {growth / in_flight:.2f} x "
          f"the {in_flight / 2**20:.0f} MiB in flight")
    assert growth < 2.5 * in_flight, f"grew {growth / 2**20:.0f} MiB for {in_flight / 2**20:.0f} MiB in flight"
