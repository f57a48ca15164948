"""The watcher: polls each due source through the safe, polite fetcher, asks "changed?" with the
validators of its last poll, and hands each poll's new article URLs to ``enqueue`` as one new job.

Exactly once, across polls and restarts: a URL is enqueued only if the seen-URL window does not know it,
and remembered only after its job is enqueued. In between, the poll's job id and URLs are journalled in
the source's state (:mod:`newsmill.watch.state`); a watcher killed there enqueues the same job again when
it restarts, and the ledger's registration (one entry per job and input) lets no input out twice. A
source's validators are stored with the poll's outcome, after the enqueue, so a crash never leaves a
304 standing in front of articles that were not enqueued.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass

import redis
import structlog

from newsmill.errors import Deferred, Drop, Failure, Retryable, Unchanged
from newsmill.fetch.body import BodyError
from newsmill.fetch.discovery import DiscoveryError, listing_links
from newsmill.fetch.fetcher import FetchDeferred, Fetched, Fetcher
from newsmill.fetch.state import Resume, SeenUrls, Validators
from newsmill.jobs import new_job_id
from newsmill.watch.interval import backoff, format_duration, jittered
from newsmill.watch.options import WatchOptions
from newsmill.watch.sources import SourceError, SourceList, WatchedSource
from newsmill.watch.state import Outcome, Pending, SourceState, WatchStore

log = structlog.get_logger("newsmill.watch")

Enqueue = Callable[[str, str, Sequence[str]], int]
"""``enqueue(job_id, source_url, urls)``: enqueue ``urls`` as job ``job_id`` (creating it unless it
exists: a resumed poll), returning how many inputs went out now."""

MAX_DEFERRAL_WAIT = 60.0
"""Seconds one poll may sleep off politeness deferrals (the host's request budget, robots.txt being
fetched by another) before it counts as failed and is backed off."""
INFRASTRUCTURE_RETRY = 30.0
"""At most this long before a poll that Redis or the broker broke (not the source) is tried again."""


@dataclass(frozen=True)
class Poll:
    """One poll, as logged and returned (for tests and the embedded run)."""

    url: str
    status: str
    next_in: float
    new: int = 0
    job_id: str = ""
    error: str = ""


class Watcher:
    def __init__(self, sources: SourceList, *, fetcher: Fetcher, client: redis.Redis, prefix: str,
                 options: WatchOptions, enqueue: Enqueue, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.sources = sources
        self.options = options
        self._fetcher = fetcher
        self._enqueue = enqueue
        self._store = WatchStore(client, prefix, ttl=max(options.seen_window, options.max_backoff * 2))
        self._seen = SeenUrls(client, prefix, window=options.seen_window)
        self._rng = rng or random.Random()
        self._clock = clock
        # The same on this host for the same sources, across restarts: see WatchStore.lock.
        self.owner = f"{socket.gethostname()}:{_digest(' '.join(sources.arguments))}"
        self._due: dict[str, float] = {}
        self._known_poll: dict[str, float] = {}
        """The last poll of each source this watcher knows of (its own, or seen in the state)."""
        self._lock = threading.Lock()  # the two dicts above, written by polling threads too
        # Polls of different sources overlap, so one feed that times out does not hold the others back.
        self._pool = (ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="watch-poll")
                      if options.concurrency > 1 else None)
        self._in_flight: dict[str, Future[Poll]] = {}

    def every(self, source: WatchedSource) -> float:
        return source.every if source.every is not None else self.options.every

    # --- scheduling ------------------------------------------------------------------------------------

    def _refresh_sources(self) -> None:
        try:
            if self.sources.changed():
                log.info("watch.sources_changed", sources=len(self.sources.sources))
        except SourceError as exc:
            log.warning("watch.sources_unreadable", error=str(exc), kept=len(self.sources.sources))
        known = {source.url for source in self.sources.sources}
        with self._lock:
            for url in list(self._due):
                if url not in known:
                    del self._due[url]
                    self._known_poll.pop(url, None)

    def _due_from_state(self, source: WatchedSource, state: SourceState) -> float:
        """When the stored state says the source is due; never later than a (backed-off) interval after
        its last poll, so a shortened interval takes effect at once."""
        if not state.last_poll:
            return state.next_due
        latest = state.last_poll + backoff(self.every(source), state.failures, self.options.max_backoff) * (
            1 + self.options.jitter)
        return min(state.next_due, latest)

    def tick(self, *, wait_all: bool = False) -> tuple[list[Poll], float]:
        """Start a poll of every source due now (up to ``concurrency`` at once); returns the polls that
        ended since the last tick (``wait_all``: after waiting for every poll under way) and the seconds
        until the next source is due."""
        self._refresh_sources()
        polls = self._collect()
        for source in self.sources.sources:
            url = source.url
            if url in self._in_flight:
                continue
            if url not in self._due:
                state = self._store.load(url)
                with self._lock:
                    self._due[url] = self._due_from_state(source, state)
                    self._known_poll[url] = state.last_poll
            if self._due[url] <= self._clock():
                if self._pool is None:
                    polls.append(self.poll(source))
                else:
                    self._in_flight[url] = self._pool.submit(self.poll, source)
        if wait_all and self._in_flight:
            wait_for_futures(list(self._in_flight.values()))
        polls += self._collect()
        with self._lock:
            idle = [self._due[source.url] for source in self.sources.sources
                    if source.url in self._due and source.url not in self._in_flight]
        wait = min(idle) - self._clock() if idle else self.options.every
        if self._in_flight:
            wait = min(wait, 0.2)  # back soon to hand on what they found
        return polls, max(0.0, wait)

    def _collect(self) -> list[Poll]:
        """The polls under way that have ended (a poll Redis broke is logged and tried again soon)."""
        polls = []
        for url in [url for url, future in self._in_flight.items() if future.done()]:
            try:
                polls.append(self._in_flight.pop(url).result())
            except redis.RedisError as exc:
                log.warning("watch.redis_unavailable", url=url, error=f"{type(exc).__name__}: {exc}")
                with self._lock:
                    self._due[url] = self._clock() + INFRASTRUCTURE_RETRY
        return polls

    def close(self) -> None:
        """Let the polls under way finish (each is recorded), then stop the polling threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._collect()

    def run(self, stop: threading.Event, *, between: Callable[[list[Poll]], None] | None = None,
            pause: float = 1.0) -> None:
        """Tick until ``stop`` is set, waiting at most ``pause`` seconds between ticks; ``between`` is given
        each tick's polls (the command prints new job ids there, the embedded run writes records)."""
        log.info("watch.started", sources=len(self.sources.sources), every=format_duration(self.options.every))
        if not self.sources.sources:
            log.warning("watch.no_sources", arguments=list(self.sources.arguments))
        try:
            while not stop.is_set():
                polls: list[Poll] = []
                try:
                    polls, wait = self.tick()
                except redis.RedisError as exc:
                    log.warning("watch.redis_unavailable", error=f"{type(exc).__name__}: {exc}")
                    wait = min(pause, 5.0)
                if between is not None:
                    between(polls)
                stop.wait(min(wait, pause))
        finally:
            self.close()
        log.info("watch.stopped")

    # --- one poll --------------------------------------------------------------------------------------

    def poll(self, source: WatchedSource) -> Poll:
        """Poll ``source`` now (if no other watcher is polling it), record the outcome and schedule it."""
        url = source.url
        lock_for = self._fetcher.options.deadline + MAX_DEFERRAL_WAIT + 60.0
        if not self._store.lock(url, self.owner, lock_for):
            wait = min(self.every(source), lock_for)
            with self._lock:
                self._due[url] = self._clock() + wait
            return Poll(url, "busy", wait)
        try:
            state = self._store.load(url)
            if state.last_poll > self._known_poll.get(url, 0.0) and state.next_due > self._clock():
                # Another watcher polled it since this one looked: follow its schedule.
                with self._lock:
                    self._known_poll[url] = state.last_poll
                    self._due[url] = state.next_due
                return Poll(url, "busy", state.next_due - self._clock())
            try:
                result = self._poll(source, state)
            except Exception as exc:  # Redis or the broker, not the source: try again soon, not backed off
                wait = min(self.every(source), INFRASTRUCTURE_RETRY)
                log.warning("watch.poll_interrupted", url=url, error=f"{type(exc).__name__}: {exc}",
                            retry_in=round(wait, 1))
                result = Poll(url, "interrupted", wait, error=str(exc))
            last_poll = self._store.load(url).last_poll
            with self._lock:
                self._due[url] = self._clock() + result.next_in
                self._known_poll[url] = last_poll
            return result
        finally:
            with contextlib.suppress(redis.RedisError):  # else it expires
                self._store.unlock(url, self.owner)

    def _poll(self, source: WatchedSource, state: SourceState) -> Poll:
        url = source.url
        if state.pending is not None:
            self._resume(url, state.pending)
        every = self.every(source)
        now = self._clock()
        validators = state.validators if state.validators.request_headers() else None
        try:
            fetched = self._fetch(url, validators)
        except Unchanged:
            wait = jittered(every, self.options.jitter, self._rng)
            # Nothing read, nothing parsed: the counter `not_modified` grows, `parses` does not.
            self._store.record(url, Outcome("not_modified", now + wait, now), parsed=False)
            log.info("watch.not_modified", url=url, next_in=round(wait, 1))
            return Poll(url, "not_modified", wait)
        except (Drop, Failure, Retryable, Deferred, DiscoveryError, BodyError) as exc:
            return self._failed(source, state, now, exc)
        try:
            links = listing_links(self._fetcher, fetched)
        except BodyError as exc:  # a gzipped sitemap over the size limit
            return self._failed(source, state, now, exc)
        fresh = self._seen.unseen(links)
        job_id, enqueued = "", 0
        if fresh:
            job_id = new_job_id()
            self._store.begin_enqueue(url, Pending(job_id, tuple(fresh)))
            enqueued = self._enqueue(job_id, url, fresh)
        self._seen.remember(links)
        wait = jittered(every, self.options.jitter, self._rng)
        status = "new" if fresh else "nothing_new"
        self._store.record(url, Outcome(status, now + wait, now, validators=fetched.validators, job_id=job_id,
                                        enqueued=enqueued), parsed=True)
        log.info("watch.polled", url=url, status=status, listed=len(links), new=len(fresh), job_id=job_id or None,
                 next_in=round(wait, 1))
        return Poll(url, status, wait, new=len(fresh), job_id=job_id)

    def _failed(self, source: WatchedSource, state: SourceState, now: float, exc: Exception) -> Poll:
        failures = state.failures + 1
        wait = backoff(self.every(source), failures, self.options.max_backoff)
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > wait:
            wait = float(retry_after)  # the server asked for longer
        wait = jittered(wait, self.options.jitter, self._rng)
        error = _describe(exc)
        self._store.record(source.url, Outcome("failed", now + wait, now, failures=failures, error=error),
                           parsed=False)
        log.warning("watch.failed", url=source.url, error=error, failures=failures, next_in=round(wait, 1))
        return Poll(source.url, "failed", wait, error=error)

    def _resume(self, url: str, pending: Pending) -> None:
        """Finish the enqueue a killed watcher left journalled, under the same job id."""
        enqueued = self._enqueue(pending.job_id, url, pending.urls)
        self._seen.remember(pending.urls)
        self._store.finish_pending(url, pending.job_id, enqueued)
        log.info("watch.resumed", url=url, job_id=pending.job_id, urls=len(pending.urls), enqueued=enqueued)

    def _fetch(self, url: str, validators: Validators | None) -> Fetched:
        """One fetch of the source; politeness deferrals are slept off (a while), anything else raises."""
        resume: Resume | None = None
        waited = 0.0
        while True:
            try:
                return self._fetcher.fetch(url, kind="listing", resume=resume, validators=validators)
            except FetchDeferred as deferred:
                resume, delay = deferred.resume, deferred.delay
            except Deferred as deferred:
                resume, delay = None, deferred.delay
            if waited + delay > MAX_DEFERRAL_WAIT:
                raise DiscoveryError(f"{url}: still deferred by politeness after {waited:.0f}s")
            time.sleep(delay)
            waited += delay


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def _describe(exc: Exception) -> str:
    if isinstance(exc, Drop):
        return f"{exc.reason}: {exc.message}" if exc.message else exc.reason
    if isinstance(exc, Failure | Retryable):
        return f"{exc.code}: {exc.message}"
    return str(exc) or type(exc).__name__
