"""Jobs: a producer's batch of inputs, with counts in Redis that anyone can read while it runs."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import redis

from newsmill.keys import JOB_TTL_SECONDS, Keys


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
    reasons: dict[str, int] = field(default_factory=dict)

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
            "reasons": dict(sorted(self.reasons.items())),
        }


class JobStore:
    """Reads and writes job bookkeeping; the sink's delivery script updates the outcome counts."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def create(self, job_id: str, *, inputs: list[str]) -> None:
        key = self._keys.job(job_id)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={"created": time.time(), "inputs": "\n".join(inputs)[:10_000],
                                "enqueued": 0, "enqueue_complete": 0})
        pipe.expire(key, JOB_TTL_SECONDS)
        pipe.execute()

    def add_enqueued(self, job_id: str, count: int) -> None:
        self._redis.hincrby(self._keys.job(job_id), "enqueued", count)

    def mark_enqueue_complete(self, job_id: str) -> None:
        self._redis.hset(self._keys.job(job_id), "enqueue_complete", 1)

    def counts(self, job_id: str) -> JobCounts:
        pipe = self._redis.pipeline()
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
            reasons={k.decode(): int(v) for k, v in reasons.items()},
        )
