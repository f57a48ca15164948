"""Each watched source's state in Redis, so a restarted watcher (or a second one) carries on where the
last stopped: validators for conditional GET, when it is due, its consecutive failures, counters, and the
poll being enqueued (a journal: a watcher killed mid-enqueue finishes that poll's job when it restarts,
with the same job id, instead of losing or repeating it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import cast

import redis
from redis.typing import EncodableT, FieldT

from newsmill.fetch.state import Validators
from newsmill.keys import Keys
from newsmill.redistext import text

COUNTERS = ("polls", "not_modified", "parses", "failed", "enqueued")
"""Totals kept per source: polls, of which answered 304 (no parse), parsed, failed; URLs enqueued."""


@dataclass(frozen=True)
class Pending:
    """A poll's new URLs, written before they are enqueued as ``job_id``."""

    job_id: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class SourceState:
    url: str
    next_due: float = 0.0
    """When the source is next polled (Unix seconds); 0: never polled, due now."""
    last_poll: float = 0.0
    last_status: str = ""
    """``new`` (articles enqueued), ``nothing_new``, ``not_modified`` (304), ``failed``."""
    last_error: str = ""
    failures: int = 0
    """Consecutive failed polls (0 after a success): the back-off grows with it."""
    validators: Validators = field(default_factory=Validators)
    last_job: str = ""
    pending: Pending | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What one poll did, to be recorded in one transaction."""

    status: str
    next_due: float
    polled_at: float
    failures: int = 0
    error: str = ""
    validators: Validators | None = None
    """New validators (a 200 that was parsed and enqueued); ``None`` keeps the stored ones."""
    job_id: str = ""
    enqueued: int = 0


# KEYS: the lock. ARGV: owner, milliseconds.
_LOCK = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


class WatchStore:
    def __init__(self, client: redis.Redis, prefix: str, *, ttl: float) -> None:
        self._redis = client
        self._lock = client.register_script(_LOCK)
        self._keys = Keys(prefix)
        self._ttl = max(1, int(ttl))

    def load(self, url: str) -> SourceState:
        stored = cast(dict[bytes, bytes], self._redis.hgetall(self._keys.watch_source(url)))
        raw = {text(key): text(value) for key, value in stored.items()}
        pending = None
        if raw.get("pending_job"):
            pending = Pending(raw["pending_job"], tuple(json.loads(raw.get("pending_urls") or "[]")))
        return SourceState(
            url=url,
            next_due=float(raw.get("next_due") or 0),
            last_poll=float(raw.get("last_poll") or 0),
            last_status=raw.get("last_status", ""),
            last_error=raw.get("last_error", ""),
            failures=int(raw.get("failures") or 0),
            validators=Validators(etag=raw.get("etag") or None, last_modified=raw.get("last_modified") or None),
            last_job=raw.get("last_job", ""),
            pending=pending,
            counts={name: int(raw.get(name) or 0) for name in COUNTERS},
        )

    def begin_enqueue(self, url: str, pending: Pending) -> None:
        key = self._keys.watch_source(url)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={"pending_job": pending.job_id, "pending_urls": json.dumps(pending.urls)})
        pipe.expire(key, self._ttl)
        pipe.execute()

    def record(self, url: str, outcome: Outcome, *, parsed: bool) -> None:
        """The poll's outcome, its counters, and the end of its pending enqueue, at once."""
        key = self._keys.watch_source(url)
        fields: dict[FieldT, EncodableT] = {
            "url": url, "next_due": outcome.next_due, "last_poll": outcome.polled_at,
            "last_status": outcome.status, "last_error": outcome.error, "failures": outcome.failures,
        }
        if outcome.validators is not None:
            fields["etag"] = outcome.validators.etag or ""
            fields["last_modified"] = outcome.validators.last_modified or ""
        if outcome.job_id:
            fields["last_job"] = outcome.job_id
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping=fields)
        pipe.hdel(key, "pending_job", "pending_urls")
        pipe.hincrby(key, "polls", 1)
        if outcome.status == "not_modified":
            pipe.hincrby(key, "not_modified", 1)
        if outcome.status == "failed":
            pipe.hincrby(key, "failed", 1)
        if parsed:
            pipe.hincrby(key, "parses", 1)
        if outcome.enqueued:
            pipe.hincrby(key, "enqueued", outcome.enqueued)
        pipe.expire(key, self._ttl)
        pipe.execute()

    def finish_pending(self, url: str, job_id: str, enqueued: int) -> None:
        """A journalled enqueue completed on its own (resumed after a restart)."""
        key = self._keys.watch_source(url)
        pipe = self._redis.pipeline()
        pipe.hdel(key, "pending_job", "pending_urls")
        pipe.hset(key, "last_job", job_id)
        pipe.hincrby(key, "enqueued", enqueued)
        pipe.execute()

    def lock(self, url: str, owner: str, seconds: float) -> bool:
        """Take the source's poll lock, or take it over from ``owner``'s previous life (a watcher killed
        mid-poll and restarted has the same owner name, and must not wait for its own lock to expire)."""
        return bool(self._lock(keys=[self._keys.watch_lock(url)], args=[owner, max(1, int(seconds * 1000))]))

    def unlock(self, url: str, owner: str) -> None:
        key = self._keys.watch_lock(url)
        if self._redis.get(key) == owner.encode():
            self._redis.delete(key)
