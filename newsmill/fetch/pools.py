"""One httpcore connection pool per origin, under one cap on requests in flight.

Why not httpcore's single pool: httpcore 1.0.9 re-scans every connection of the pool for every queued
request, and counts idle connections once per connection (O(N² + N×M) per assignment pass, called
twice per request; encode/httpcore#1035, unmerged). With 64 threads talking to 50 hosts that pass was
62 % of the io worker's CPU (``python bench/fetch_throughput.py --profile DIR``). A pool per origin
keeps N at the handful of connections one host needs; the cap that ``NEWSMILL_FETCH_MAX_CONNECTIONS``
sets for the whole process becomes a semaphore held from the request until its response is closed.

Pools of origins not used for longer than the keep-alive expiry (their idle connections have expired
anyway) are closed and dropped, so a long crawl over many hosts does not accumulate them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore

SWEEP_EVERY_SECONDS = 5.0


class _Shard:
    """One origin's pool, how many requests are between checkout and handing back, and when last used."""

    __slots__ = ("pool", "used_at", "users")

    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        self.pool = pool
        self.users = 0
        self.used_at = time.monotonic()


class _ReleasingStream:
    """A response body stream that gives its in-flight slot back once, when it is closed."""

    def __init__(self, inner: Any, release: Any) -> None:
        self._inner = inner
        self._release = release
        self._released = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            if hasattr(self._inner, "close"):
                self._inner.close()
        finally:
            if not self._released:
                self._released = True
                self._release()


class OriginPools:
    """httpcore's request interface (``handle_request``, ``close``) over a pool per origin."""

    def __init__(self, *, max_in_flight: int, max_keepalive_per_origin: int, keepalive_expiry: float,
                 **pool_options: Any) -> None:
        self._in_flight = threading.BoundedSemaphore(max_in_flight)
        self._keepalive = max_keepalive_per_origin
        self._expiry = keepalive_expiry
        self._max_per_origin = max_in_flight
        self._pool_options = pool_options
        self._shards: dict[tuple[bytes, bytes, int | None], _Shard] = {}
        self._lock = threading.Lock()
        self._swept_at = time.monotonic()

    @property
    def origins(self) -> int:
        """How many origins have a pool now (for tests and diagnostics)."""
        with self._lock:
            return len(self._shards)

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        timeout = request.extensions.get("timeout", {}).get("pool")
        if not self._in_flight.acquire(timeout=timeout if timeout is not None else -1):
            raise httpcore.PoolTimeout("no connection slot became free in time")
        try:
            shard = self._checkout(request.url)
            try:
                response = shard.pool.handle_request(request)
            finally:
                with self._lock:
                    shard.users -= 1
                    shard.used_at = time.monotonic()
        except BaseException:
            self._in_flight.release()
            raise
        response.stream = _ReleasingStream(response.stream, self._in_flight.release)
        return response

    def close(self) -> None:
        with self._lock:
            shards, self._shards = list(self._shards.values()), {}
        for shard in shards:
            shard.pool.close()

    def __enter__(self) -> OriginPools:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _checkout(self, url: httpcore.URL) -> _Shard:
        key = (url.scheme, url.host, url.port)
        now = time.monotonic()
        with self._lock:
            shard = self._shards.get(key)
            if shard is None:
                shard = self._shards[key] = _Shard(httpcore.ConnectionPool(
                    max_connections=self._max_per_origin, max_keepalive_connections=self._keepalive,
                    keepalive_expiry=self._expiry, **self._pool_options))
            shard.users += 1
            shard.used_at = now
            stale = self._take_stale(now) if now - self._swept_at >= SWEEP_EVERY_SECONDS else []
        for old in stale:
            old.pool.close()
        return shard

    def _take_stale(self, now: float) -> list[_Shard]:
        """Remove (under the lock) the pools nobody holds, unused for longer than the keep-alive expiry
        and with no connection still carrying a response."""
        self._swept_at = now
        stale = [key for key, shard in self._shards.items()
                 if shard.users == 0 and now - shard.used_at > self._expiry
                 and all(c.is_idle() or c.is_closed() for c in shard.pool.connections)]
        return [self._shards.pop(key) for key in stale]
