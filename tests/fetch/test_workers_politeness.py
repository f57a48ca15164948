"""Politeness shared by every worker: three `newsmill worker --queues io` processes fetching 60 URLs of
one host limited to 2 requests/s take at least 29 s, the server never sees that host more than 2 (+1)
times in one second, and another host's URLs are not held up behind them."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmill.testing.httpserver import HTTPTestServer
from newsmill.testing.worker_processes import WorkerProcesses
from tests.fetch.sites import Site, article
from tests.integration.test_seed_distributed import cli

pytestmark = pytest.mark.integration

POLITE, FAST = "polite.test", "fast.test"
PAGES, RATE = 60, 2


@pytest.fixture()
def site() -> Iterator[Site]:
    with HTTPTestServer() as server:
        site = Site(server)
        for index in range(PAGES):
            site.route(f"/story/{index}", article(f"Story number {index}"))
        yield site


def test_three_workers_share_one_hosts_budget(site: Site, workers: WorkerProcesses, worker_env: dict[str, str],
                                              tmp_path: Path) -> None:
    """60 URLs at 2 requests/s across 3 io workers: ≥ 29 s, ≤ 3 requests in any second, and 10 URLs of
    another host enqueued after them finish long before."""
    worker_env.update({
        "NEWSMILL_FETCH_ALLOW_ADDRESSES": site.allow_entry(),
        "NEWSMILL_FETCH_RESOLVE": f"{POLITE}=127.0.0.1,{FAST}=127.0.0.1",
        "NEWSMILL_FETCH_DOMAIN_RATES": f"{POLITE}={RATE},{FAST}=100",
        "NEWSMILL_ENRICH": "reading_time",
    })
    for _ in range(3):
        workers.start("--queues", "io", "--concurrency", "8")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    urls = tmp_path / "urls.txt"
    lines = [site.url(POLITE, f"/story/{i}") for i in range(PAGES)] + \
            [site.url(FAST, f"/story/{i}") for i in range(10)]
    urls.write_text("\n".join(lines) + "\n", encoding="utf-8")

    started = time.time()
    job_id = cli(worker_env, "enqueue", str(urls)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=150))
    elapsed = time.time() - started
    assert status["ok"] == PAGES + 10, status

    polite = site.hits_for(POLITE)
    stories = Counter(hit.path for hit in polite if hit.path.startswith("/story/"))
    assert sorted(stories) == sorted(f"/story/{i}" for i in range(PAGES))
    assert [path for path, hits in stories.items() if hits > 1] == [], [
        (hit.at, hit.path) for hit in polite]
    assert elapsed >= 29.0, elapsed
    span = max(h.at for h in polite) - min(h.at for h in polite)
    assert span >= (len(polite) - 1) / RATE - 0.5, span
    per_second = Counter(int(hit.at) for hit in polite)
    assert max(per_second.values()) <= RATE + 1, sorted(per_second.items())
    fast_done = max(hit.at for hit in site.hits_for(FAST))
    assert fast_done - started < 15, fast_done - started
