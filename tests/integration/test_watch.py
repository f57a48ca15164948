"""`newsmill watch` as a real process against real workers and a loopback feed that gains items over time:
each new item is delivered exactly once across polls and a restart (SIGKILL) of the watcher; a feed that
answers 304 is not parsed; a dead feed is polled less and less often, its failures recorded in Redis."""

from __future__ import annotations

import hashlib
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import redis

from newsmill.fetch.fetcher import Fetcher
from newsmill.keys import Keys
from newsmill.settings import Settings
from newsmill.testing.httpserver import HTTPTestServer, Reply, Request, status
from newsmill.testing.worker_processes import WorkerProcesses
from newsmill.watch.sources import SourceList
from newsmill.watch.state import Pending, WatchStore
from newsmill.watch.watcher import Watcher
from tests.conftest import ROOT, read_jsonl
from tests.fetch.sites import Site, article, dead_port
from workers.app import make_app
from workers.watch import JobEnqueuer

HOST = "feeds.test"


class GrowingFeed:
    """An RSS feed whose items are added by the test; it answers If-None-Match with 304 while unchanged,
    and counts what it answered."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.items: list[int] = []
        self.replies: Counter[int] = Counter()
        self._lock = threading.Lock()

    def add(self, *numbers: int) -> None:
        with self._lock:
            self.items += numbers

    def url(self) -> str:
        return self.site.url(HOST, "/rss.xml")

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            items = "".join(f"<item><title>Story {n}</title><link>{self.site.url(HOST, f'/story/{n}')}</link></item>"
                            for n in self.items)
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        code = 304 if request.headers.get("if-none-match") == etag else 200
        with self._lock:
            self.replies[code] += 1
        if code == 304:
            return Reply(status=304, headers={"ETag": etag})
        return Reply(body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag})


@pytest.fixture()
def site() -> Iterator[Site]:
    with HTTPTestServer() as server:
        site = Site(server)
        for n in range(10):
            site.route(f"/story/{n}", article(f"Story number {n} of the watched feed"))
        yield site


@pytest.fixture()
def feed(site: Site) -> GrowingFeed:
    growing = GrowingFeed(site)
    site.route("/rss.xml", growing)
    return growing


@pytest.fixture()
def watch_env(worker_env: dict[str, str], site: Site) -> dict[str, str]:
    worker_env.update({
        "NEWSMILL_FETCH_ALLOW_ADDRESSES": site.allow_entry(),
        "NEWSMILL_FETCH_RESOLVE": f"{HOST}=127.0.0.1",
        "NEWSMILL_FETCH_RATE": "100",
        "NEWSMILL_ENRICH": "reading_time",
    })
    return worker_env


class WatchProcess:
    """`newsmill watch …` in a process of its own: job ids on stdout, JSON log lines on stderr."""

    def __init__(self, env: dict[str, str], args: list[str], out_dir: Path) -> None:
        self.env, self.args, self.out_dir = env, args, out_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self._files: list[IO[bytes]] = []

    def start(self) -> None:
        self.runs += 1
        stdout = open(self.out_dir / f"watch-{self.runs}.out", "wb")  # noqa: SIM115 - closed in stop
        stderr = open(self.out_dir / f"watch-{self.runs}.log", "wb")  # noqa: SIM115
        self._files += [stdout, stderr]
        self.process = subprocess.Popen([sys.executable, "-m", "workers.cli", "watch", *self.args], env=self.env,
                                        cwd=ROOT, stdout=stdout, stderr=stderr)

    def stop(self, signum: int | None = signal.SIGTERM) -> int:
        """Send ``signum`` (``None``: none, the process ends by itself) and wait for the exit code."""
        assert self.process is not None
        if signum is not None and self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        for handle in self._files:
            handle.close()
        self._files.clear()
        return code

    def job_ids(self) -> list[str]:
        return [line for n in range(1, self.runs + 1)
                for line in (self.out_dir / f"watch-{n}.out").read_text().split()]

    def events(self) -> list[dict[str, Any]]:
        found = []
        for n in range(1, self.runs + 1):
            for line in (self.out_dir / f"watch-{n}.log").read_text().splitlines():
                if line.startswith("{"):
                    found.append(json.loads(line))
        return found

    def log(self) -> str:
        return "\n".join((self.out_dir / f"watch-{n}.log").read_text()[-3000:] for n in range(1, self.runs + 1))


@pytest.fixture()
def watcher_process(watch_env: dict[str, str], feed: GrowingFeed, tmp_path: Path) -> Iterator[WatchProcess]:
    process = WatchProcess(watch_env, [feed.url(), "--every", "1s"], tmp_path)
    yield process
    if process.process is not None and process.process.poll() is None:
        process.stop(signal.SIGKILL)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0, *, log: Callable[[], str] = str
             ) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{log()}")
        time.sleep(0.2)


def state(client: redis.Redis, prefix: str, url: str) -> dict[str, str]:
    raw = client.hgetall(Keys(prefix).watch_source(url))
    return {key.decode(): value.decode() for key, value in raw.items()}


def story_paths(records: list[dict[str, Any]]) -> list[str]:
    return sorted(record["source"]["location"].split(HOST, 1)[1].split("/", 1)[1] for record in records)


def test_each_new_item_is_delivered_once_across_polls_and_a_restart(
        feed: GrowingFeed, watcher_process: WatchProcess, workers: WorkerProcesses, watch_env: dict[str, str],
        redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    """Items 0-1, then 2 while it polls every second, then 3-4 while the watcher is dead (SIGKILL): five
    records, one per story, in five… at most three jobs; unchanged polls are 304s, never parsed."""
    workers.start("--queues", "io", "--concurrency", "4")
    workers.start("--queues", "cpu", "--concurrency", "1")
    workers.wait_ready()
    sink = Path(watch_env["NEWSMILL_JSONL_PATH"])
    feed.add(0, 1)
    watcher_process.start()
    log = watcher_process.log

    def delivered(count: int) -> Callable[[], bool]:
        return lambda: len(read_jsonl(sink)) >= count

    def polls_after(count: int) -> Callable[[], bool]:
        return lambda: int(state(redis_client, prefix, feed.url()).get("polls", 0)) >= count

    wait_for(delivered(2), "the first two stories", log=log)
    polled = int(state(redis_client, prefix, feed.url())["polls"])
    wait_for(polls_after(polled + 3), "three more polls of the unchanged feed", log=log)
    feed.add(2)
    wait_for(delivered(3), "story 2", log=log)

    assert watcher_process.stop(signal.SIGKILL) == -signal.SIGKILL
    feed.add(3, 4)
    watcher_process.start()
    wait_for(delivered(5), "stories 3 and 4 after the restart", log=log)
    polled = int(state(redis_client, prefix, feed.url())["polls"])
    wait_for(polls_after(polled + 3), "three more polls after the restart", log=log)
    assert watcher_process.stop() == 0, log()  # SIGTERM: a clean stop

    records = read_jsonl(sink)
    assert story_paths(records) == [f"story/{n}" for n in range(5)], records
    assert all(record["status"] == "ok" for record in records)
    stream = redis_client.xrange(Keys(prefix).stream())
    assert len(stream) == 5
    jobs = watcher_process.job_ids()
    assert len(jobs) == 3 and len(set(jobs)) == 3, jobs  # one job per poll that found new items
    assert {record["job_id"] for record in records} == set(jobs)
    # Every 200 the feed sent was parsed once; every 304 cost no parse.
    final = state(redis_client, prefix, feed.url())
    assert feed.replies[304] >= 6 and int(final["not_modified"]) == feed.replies[304], (feed.replies, final)
    assert int(final["parses"]) == feed.replies[200] == 3, (feed.replies, final)
    assert int(final["enqueued"]) == 5 and final["failures"] == "0"
    events = Counter(event["event"] for event in watcher_process.events())
    assert events["watch.not_modified"] == feed.replies[304] and events["watch.polled"] == 3, events
    assert events["watch.stopped"] == 1  # the SIGTERM run said goodbye; the SIGKILLed one could not


def test_a_304_is_not_parsed(feed: GrowingFeed, watch_env: dict[str, str], redis_client: redis.Redis, prefix: str,
                             tmp_path: Path) -> None:
    """`watch --once` twice, a second apart: the first poll parses the feed, the second sends its ETag,
    gets 304 and parses nothing (the counters in Redis and the log say so)."""
    feed.add(0)
    watch = WatchProcess(watch_env, [feed.url(), "--every", "1s", "--once"], tmp_path)
    watch.start()
    assert watch.stop(None) == 0, watch.log()  # --once: it ends by itself
    time.sleep(1.2)  # --every 1s (jitter ±10 %): due again
    watch.start()
    assert watch.stop(None) == 0, watch.log()
    final = state(redis_client, prefix, feed.url())
    assert feed.replies == Counter({200: 1, 304: 1})
    assert final["parses"] == "1" and final["not_modified"] == "1" and final["polls"] == "2", final
    assert final["last_status"] == "not_modified"
    assert [e["event"] for e in watch.events() if e["event"].startswith("watch.")] == [
        "watch.polled", "watch.not_modified"]
    assert len(watch.job_ids()) == 1
    shown = subprocess.run([sys.executable, "-m", "workers.cli", "watch", feed.url(), "--status", "--json"],
                           env=watch_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    [line] = [json.loads(text) for text in shown.stdout.splitlines()]
    assert (line["last_status"], line["polls"], line["parses"], line["not_modified"], line["every"]) == (
        "not_modified", 2, 1, 1, 600.0), line  # no --every here: the default


def test_a_dead_feed_backs_off(site: Site, watch_env: dict[str, str], redis_client: redis.Redis, prefix: str,
                               tmp_path: Path) -> None:
    """A feed answering 500 and one whose port refuses connections, polled `--every 1s` without jitter and
    a 4 s back-off cap: the server sees the 500 feed at growing intervals (1 s doubled per failure, then
    capped), and Redis holds each source's failures, error and next due time."""
    site.route("/broken.xml", status(500))
    broken = site.url(HOST, "/broken.xml")
    refused = f"http://127.0.0.1:{dead_port()}/rss.xml"
    watch_env.update({"NEWSMILL_WATCH_JITTER": "0", "NEWSMILL_WATCH_MAX_BACKOFF": "4s",
                      "NEWSMILL_FETCH_ALLOW_ADDRESSES": "127.0.0.1"})
    watch = WatchProcess(watch_env, [broken, refused, "--every", "1s"], tmp_path)
    watch.start()
    try:
        wait_for(lambda: len(site.hits_for(HOST, "/broken.xml")) >= 5, "five polls of the broken feed",
                 timeout=60, log=watch.log)
    finally:
        assert watch.stop() == 0, watch.log()
    hits = [hit.at for hit in site.hits_for(HOST, "/broken.xml")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(hits)]
    # Waits of 2, 4, 4 s (1 s doubled per failure, capped at 4 s); the loop wakes at least every second.
    assert 1.5 <= gaps[0] <= 3.2 and 3.5 <= gaps[1] <= 5.2 and 3.5 <= gaps[2] <= 5.2, gaps
    for url, error in ((broken, "http_5xx"), (refused, "")):
        stored = state(redis_client, prefix, url)
        assert stored["last_status"] == "failed" and int(stored["failures"]) >= 3, stored
        assert error in stored["last_error"] and stored["last_error"], stored
        wait = float(stored["next_due"]) - float(stored["last_poll"])
        assert wait == pytest.approx(4.0, abs=0.01), stored  # at the cap
        assert "parses" not in stored  # nothing was ever parsed
    shown = subprocess.run([sys.executable, "-m", "workers.cli", "watch", broken, refused, "--status"],
                           env=watch_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 3, shown  # a source is failing: a monitoring check can alert on it
    lines = shown.stdout.splitlines()
    assert len(lines) == 2 and all(" failed " in line and "failures " in line for line in lines), lines
    assert "http_5xx" in lines[0]


def test_a_watcher_killed_mid_enqueue_finishes_that_job_once(
        feed: GrowingFeed, watch_env: dict[str, str], redis_client: redis.Redis, prefix: str, redis_url: str
        ) -> None:
    """The journal: a poll whose job was written down but only half enqueued (as a watcher killed between
    the two would leave it) is finished under the same job id by the next watcher, each input once; the
    dead watcher's poll lock does not hold up its successor, another watcher's does."""
    feed.add(0, 1, 2)
    settings = Settings.from_env(watch_env)
    app = make_app(settings)
    fetcher = Fetcher(settings.fetch, redis_client=redis_client, prefix=prefix)
    try:
        enqueue = JobEnqueuer(settings, app, redis_client)
        urls = [feed.site.url(HOST, f"/story/{n}") for n in range(3)]
        assert enqueue("job-crashed", feed.url(), urls[:2]) == 2  # the part that went out before the kill
        WatchStore(redis_client, prefix, ttl=60).begin_enqueue(feed.url(), Pending("job-crashed", tuple(urls)))
        watcher = Watcher(SourceList([feed.url()]), fetcher=fetcher, client=redis_client, prefix=prefix,
                          options=settings.watch, enqueue=enqueue)
        lock = Keys(prefix).watch_lock(feed.url())
        redis_client.set(lock, "another-host:0123456789ab", px=60_000)  # another watcher is polling it
        busy, _wait = watcher.tick(wait_all=True)
        assert [poll.status for poll in busy] == ["busy"] and feed.replies == Counter()
        # The killed watcher's own lock (same host, same sources): taken over at once, not waited out.
        redis_client.set(lock, watcher.owner, px=60_000)
        watcher = Watcher(SourceList([feed.url()]), fetcher=fetcher, client=redis_client, prefix=prefix,
                          options=settings.watch, enqueue=enqueue)
        polls, _wait = watcher.tick(wait_all=True)
        watcher.close()
    finally:
        fetcher.close()
        app.close()
    counts = redis_client.hgetall(Keys(prefix).job("job-crashed"))
    assert int(counts[b"enqueued"]) == 3 and counts[b"enqueue_complete"] == b"1", counts
    # The poll itself found the three stories already taken by that job: nothing new, no second job.
    assert [(poll.status, poll.new) for poll in polls] == [("nothing_new", 0)], polls
    stored = state(redis_client, prefix, feed.url())
    assert "pending_job" not in stored and stored["last_job"] == "job-crashed" and stored["enqueued"] == "1", stored


def test_run_watch_embedded_writes_each_new_article_once(feed: GrowingFeed, watch_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    """`newsmill run --watch FEED --every 1s --timeout 20 -o out.jsonl` on its embedded server and workers:
    the feed's items, including one added while it watches, each written once; then it stops, exit 0."""
    env = {k: v for k, v in watch_env.items() if k not in ("NEWSMILL_BROKER_URL", "NEWSMILL_REDIS_URL")}
    feed.add(0, 1)
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "workers.cli", "run", "--watch", feed.url(), "--every", "1s",
                                "--timeout", "20", "--workers", "1", "-o", str(out)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(read_jsonl(out)) >= 2, "the first two records", timeout=90)
    feed.add(2)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert stdout == ""  # records go to -o, the log and progress to stderr
    records = read_jsonl(out)
    assert story_paths(records) == ["story/0", "story/1", "story/2"], (records, stderr)
    assert "2 new (job" in stderr and "1 new (job" in stderr
    assert feed.replies[304] >= 1


def test_run_watch_stopped_by_sigterm_keeps_its_records(feed: GrowingFeed, watch_env: dict[str, str],
                                                        tmp_path: Path) -> None:
    """SIGTERM (or Ctrl-C) is how a `run --watch` ends: exit 0, the records written so far kept."""
    env = {k: v for k, v in watch_env.items() if k not in ("NEWSMILL_BROKER_URL", "NEWSMILL_REDIS_URL")}
    feed.add(0, 1)
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "workers.cli", "run", "--watch", feed.url(), "--every", "1s",
                                "--workers", "1", "-o", str(out)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(read_jsonl(out)) >= 2, "the two records", timeout=90)
    process.send_signal(signal.SIGTERM)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "stopped watching" in stderr
    assert story_paths(read_jsonl(out)) == ["story/0", "story/1"]
