"""The hostile web through real `newsmill worker` processes: every case ends with its status and
reason, the io worker stays healthy and under 300 MB, and a 304 re-fetch is counted as unchanged. A
robots.txt that cannot be read fails the page with what happened (retried when that may heal), never
as a robots.txt refusal."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from newsmill.testing.httpserver import HTTPTestServer, Reply, page, redirect
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import read_jsonl, validate_record
from tests.fetch.sites import (
    CHALLENGE,
    GZIP_MEMBERS,
    GZIP_MEMBERS_TEXT,
    RUSSIAN,
    Flaky,
    Site,
    Versioned,
    article,
    dead_port,
    drip,
    endless,
    gzip_bomb,
    redirect_chain,
)
from tests.integration.test_seed_distributed import cli

pytestmark = pytest.mark.integration

HOSTS = ("hostile.test", "disallow.test", "robots503.test", "crawldelay.test", "refused.test", "tlsrobots.test")
MEMORY_LIMIT = 300 * 1024 * 1024


DEAD_PORT = dead_port()


@pytest.fixture()
def site() -> Iterator[Site]:
    with HTTPTestServer() as server:
        site = Site(server)
        site.route("/article", article())
        site.route("/latency", Reply(body=article().body, headers={"Content-Type": "text/html"}, delay=0.2))
        site.route("/drip", lambda _r: Reply(body=drip(3.0, 40), headers={"Content-Type": "text/html"}))
        site.route("/huge", lambda _r: Reply(body=endless(), headers={"Content-Type": "text/html"}))
        site.route("/bomb", lambda _r: Reply(body=gzip_bomb(), headers={"Content-Type": "text/html",
                                                                        "Content-Encoding": "gzip"}))
        site.route("/to-metadata", redirect("http://169.254.169.254/"))
        site.route("/to-redis", redirect("http://127.0.0.1:6379/"))
        site.route("/report.pdf", page(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf"))
        site.route("/ru", page(RUSSIAN.encode("cp1251"), content_type="text/html"))
        site.route("/challenge", page(CHALLENGE, status=503))
        site.route("/busy", Flaky(retry_after=2))
        site.route("/versioned", Versioned())
        site.route("/private/a", article())
        site.route("/a1", article("First"))
        site.route("/a2", article("Second"))
        site.robots["disallow.test"] = page("User-agent: *\nDisallow: /private\n", content_type="text/plain")
        site.robots["robots503.test"] = Reply(status=503)
        site.robots["crawldelay.test"] = page("User-agent: newsmill\nCrawl-delay: 2\n", content_type="text/plain")
        site.robots["refused.test"] = redirect(f"http://refused.test:{DEAD_PORT}/robots.txt")
        site.robots["tlsrobots.test"] = redirect(f"https://tlsrobots.test:{server.port}/robots.txt")
        site.route("/gzip-members", Reply(body=GZIP_MEMBERS, headers={"Content-Type": "text/html; charset=utf-8",
                                                                      "Content-Encoding": "gzip"}))
        site.route("/big-header", Reply(body=article().body, headers={  # type: ignore[arg-type]
            "Content-Type": "text/html", "X-Padding": "a" * (1 << 20)}))
        yield site


class PeakMemory:
    """Samples the RSS of a process and its children every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, *, interval: float = 0.1) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.process.memory_info().rss + sum(
                    child.memory_info().rss for child in self.process.children(recursive=True))
            except psutil.Error:
                rss = 0
            self.peak = max(self.peak, rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def _by_url(records: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["source"]["location"]): r for r in records}  # type: ignore[index]


def test_hostile_server_through_real_workers(site: Site, workers: WorkerProcesses, worker_env: dict[str, str],
                                             tmp_path: Path) -> None:
    """Each hostile endpoint ends with the expected status and reason; the worker survives under 300 MB;
    Crawl-delay and Retry-After are visible in the server's log; a 304 re-fetch is unchanged."""
    worker_env.update({
        "NEWSMILL_FETCH_ALLOW_ADDRESSES": f"{site.allow_entry()},127.0.0.1:{DEAD_PORT}",
        "NEWSMILL_FETCH_RESOLVE": ",".join(f"{host}=127.0.0.1" for host in HOSTS),
        "NEWSMILL_FETCH_RATE": "50", "NEWSMILL_FETCH_DEADLINE": "5", "NEWSMILL_MAX_RETRIES": "1",
    })
    io = workers.start("--queues", "io", "--concurrency", "8")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    h = "hostile.test"
    expected = {
        site.url(h, "/article"): ("ok", None),
        site.url(h, "/latency"): ("ok", None),
        site.url(h, "/drip"): ("failed", "timeout"),
        site.url(h, "/huge"): ("failed", "too_large"),
        site.url(h, "/bomb"): ("failed", "too_large"),
        redirect_chain(site, h, 10): ("failed", "too_many_redirects"),
        site.url(h, "/to-metadata"): ("dropped", "blocked_address"),
        site.url(h, "/to-redis"): ("dropped", "blocked_address"),
        site.url("disallow.test", "/private/a"): ("dropped", "robots_disallowed"),
        site.url("robots503.test", "/article"): ("failed", "http_5xx"),
        site.url("refused.test", "/article"): ("failed", "connection_error"),
        site.url("tlsrobots.test", "/article"): ("failed", "tls_error"),
        site.url(h, "/gzip-members"): ("ok", None),
        site.url(h, "/big-header"): ("failed", "protocol_error"),
        site.url("crawldelay.test", "/a1"): ("ok", None),
        site.url("crawldelay.test", "/a2"): ("ok", None),
        site.url(h, "/busy"): ("ok", None),
        site.url(h, "/report.pdf"): ("dropped", "not_html"),
        site.url(h, "/ru"): ("ok", None),
        site.url(h, "/challenge"): ("failed", "challenge"),
        site.url(h, "/versioned"): ("ok", None),
    }
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(expected) + "\n", encoding="utf-8")
    baseline = psutil.Process(io.pid).memory_info().rss
    with PeakMemory(io.pid) as memory:
        job_id = cli(worker_env, "enqueue", str(urls)).strip()
        status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=150))
    assert status["finished"] and status["enqueued"] == len(expected)

    records = _by_url([r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id])
    assert len(records) == len(expected)
    outcomes = {url: (records[url]["status"], records[url]["reason"]) for url in expected}
    assert outcomes == expected
    for record in records.values():
        validate_record(record)
    assert "Москва" in str(records[site.url(h, "/ru")]["text"])
    assert GZIP_MEMBERS_TEXT in str(records[site.url(h, "/gzip-members")]["text"])
    # An unreadable robots.txt is retried like any failure that may heal (NEWSMILL_MAX_RETRIES=1), and
    # nothing of the page is requested meanwhile; a malformed response is not retried.
    for host in ("robots503.test", "refused.test"):
        message = str(records[site.url(host, "/article")]["message"])
        assert "robots.txt of" in message and "after 2 attempts" in message, message
        assert site.hits_for(host, "/article") == []
    assert "attempts" not in str(records[site.url("tlsrobots.test", "/article")]["message"])
    assert "attempts" not in str(records[site.url(h, "/big-header")]["message"])
    assert len(site.hits_for(h, "/big-header")) == 1
    assert memory.peak < MEMORY_LIMIT, f"peak RSS {memory.peak / 2**20:.0f} MiB"
    # 1 GiB body, 1 GB bomb: what they may cost is the 10 MiB cap a few times over, not their size.
    assert memory.peak - baseline < 100 * 1024 * 1024, f"grew {(memory.peak - baseline) / 2**20:.0f} MiB"

    delayed = sorted(hit.at for hit in site.hits_for("crawldelay.test") if hit.path in ("/a1", "/a2"))
    assert delayed[1] - delayed[0] >= 1.9  # Crawl-delay: 2, shared through Redis
    busy = [hit.at for hit in site.hits_for(h, "/busy")]
    assert len(busy) == 2 and busy[1] - busy[0] >= 1.9  # Retry-After: 2
    human = cli(worker_env, "status", job_id)
    assert "too_large: 2" in human and "robots_disallowed: 1" in human

    # The worker is still healthy, and a re-fetch of the ETag'd page is a 304: unchanged, no 2nd record.
    assert io.poll() is None
    again = cli(worker_env, "enqueue", site.url(h, "/versioned")).strip()
    second = json.loads(cli(worker_env, "status", again, "--json", "--wait", timeout=60))
    assert (second["unchanged"], second["ok"], second["reasons"]) == (1, 0, {"not_modified": 1})
    sink = read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"]))
    assert [r for r in sink if r["job_id"] == again] == []
