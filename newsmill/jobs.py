"""Jobs: a producer's batch of inputs, with counts in Redis that anyone can read while it runs."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import redis

from newsmill.keys import JOB_TTL_SECONDS, Keys

BYTES_PER_INPUT = 8192
"""Redis memory one enqueued input takes until it is delivered: its message in the queue (~6.2 KB: Celery
carries the rest of the chain in it), its registration (~340 B) and ledger entries (~250 B); measured
with ``MEMORY USAGE`` after enqueueing 400 inputs. Documents waiting for the clean stage come on top,
and are freed as they are cleaned."""
HEADROOM = 0.9
"""Enqueueing stops before Redis would be more than this full."""


class RedisFull(Exception):
    """Redis has no room for more inputs: enqueueing stops before Redis refuses writes mid-job."""

    def __init__(self, used: int, maxmemory: int) -> None:
        super().__init__(f"Redis is out of memory ({_mib(used)}/{_mib(maxmemory)} MiB used)")
        self.used = used
        self.maxmemory = maxmemory


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f}"


def new_job_id() -> str:
    """Sortable by creation time (so listings read naturally) and unique across producers."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class JobCounts:
    job_id: str
    exists: bool
    enqueued: int = 0
    ok: int = 0
    dropped: int = 0
    failed: int = 0
    unchanged: int = 0
    """Re-fetched inputs the server answered 304 Not Modified: counted, not delivered again."""
    enqueue_complete: bool = False
    aborted: str | None = None
    """Why enqueueing stopped early (the job then holds only the inputs enqueued before)."""
    progress: float | None = None
    """When the last input of the job reached the sink (Redis clock, Unix seconds)."""
    created: float | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    """The last message seen for each failure reason (``sink_error``: the OS error)."""

    @property
    def done(self) -> int:
        """Inputs that reached the sink, whatever their status."""
        return self.ok + self.dropped + self.failed + self.unchanged

    @property
    def delivered(self) -> int:
        """Inputs that left a record in the sinks (``unchanged`` ones do not)."""
        return self.done - self.unchanged

    @property
    def pending(self) -> int:
        return max(0, self.enqueued - self.done)

    @property
    def finished(self) -> bool:
        return self.exists and self.enqueue_complete and self.done >= self.enqueued

    def stalled(self, now: float, after: float) -> bool:
        """Unfinished, and no input reached the sink for ``after`` seconds (since it was created, if none)."""
        last = self.progress or self.created
        return not self.finished and last is not None and now - last > after

    def to_dict(self) -> dict[str, object]:
        return {
            "job_id": self.job_id,
            "enqueued": self.enqueued,
            "ok": self.ok,
            "dropped": self.dropped,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "done": self.done,
            "pending": self.pending,
            "finished": self.finished,
            "aborted": self.aborted,
            "reasons": dict(sorted(self.reasons.items())),
            "messages": dict(sorted(self.messages.items())),
        }


class JobStore:
    """Reads and writes job bookkeeping; the sink's delivery script updates the outcome counts."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def create(self, job_id: str, *, inputs: list[str], reprocess: bool = False) -> None:
        """A new job. ``reprocess``: deliver articles again that an earlier job delivered unchanged."""
        key = self._keys.job(job_id)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={"created": time.time(), "inputs": "\n".join(inputs)[:10_000],
                                "enqueued": 0, "enqueue_complete": 0, "reprocess": int(reprocess)})
        pipe.expire(key, JOB_TTL_SECONDS)
        pipe.execute()

    def mark_enqueue_complete(self, job_id: str) -> None:
        self._redis.hset(self._keys.job(job_id), "enqueue_complete", 1)

    def mark_aborted(self, job_id: str, why: str) -> None:
        """Enqueueing stopped early: the job is complete with the inputs enqueued so far."""
        self._redis.hset(self._keys.job(job_id), mapping={"enqueue_complete": 1, "aborted": why})

    def check_headroom(self, inputs: int) -> None:
        """Raise :class:`RedisFull` if Redis (with ``maxmemory`` set) has no room for ``inputs`` more."""
        info = self._redis.info("memory")
        maxmemory = int(info.get("maxmemory") or 0)
        used = int(info.get("used_memory") or 0)
        if maxmemory and used + inputs * BYTES_PER_INPUT > maxmemory * HEADROOM:
            raise RedisFull(used, maxmemory)

    def counts(self, job_id: str) -> JobCounts:
        # No MULTI: a Redis at maxmemory refuses transactions, even read-only ones.
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(self._keys.job(job_id))
        pipe.hgetall(self._keys.job_reasons(job_id))
        raw, reasons = pipe.execute()
        if not raw:
            return JobCounts(job_id=job_id, exists=False)

        def num(name: str) -> int:
            return int(raw.get(name.encode(), 0))

        return JobCounts(
            job_id=job_id,
            exists=True,
            enqueued=num("enqueued"),
            ok=num("ok"),
            dropped=num("dropped"),
            failed=num("failed"),
            unchanged=num("unchanged"),
            enqueue_complete=bool(num("enqueue_complete")),
            aborted=raw[b"aborted"].decode() if b"aborted" in raw else None,
            progress=float(raw[b"progress"]) if b"progress" in raw else None,
            created=float(raw[b"created"]) if b"created" in raw else None,
            reasons={k.decode(): int(v) for k, v in reasons.items()},
            messages={k.decode()[len("error:"):]: v.decode(errors="replace") for k, v in raw.items()
                      if k.startswith(b"error:")},
        )
