"""Exactly-once delivery of records to the JSONL file and the Redis stream.

A worker can die after writing and before acknowledging, a message can be delivered twice (``acks_late``,
a re-drive by the reconciler racing a message kombu gives back an hour later), and Redis can come back
from its append-only file having forgotten its last second. Delivery therefore runs in three steps keyed
by job and input, each safe to repeat:

1. *claim* (atomic in Redis): learn whether the input was delivered already (write nothing) and whether
   its article was delivered by another input of the job (a ``duplicate``);
2. the PostgreSQL row (:class:`~newsmill.sinks.postgres.PostgresSink`, if configured) and the JSONL line
   (:class:`~newsmill.sinks.jsonl.JsonlSink`), each written at most once per job and input by its own
   record of what it holds, whatever Redis remembers;
3. *commit* (atomic in Redis): append to the stream (and the dead-letter stream for ``failed``), mark the
   input ``done``, count the outcome, and take the input off the progress ledger; for a fetched page
   whose article ended ``dropped`` or ``failed``, also forget the page's conditional-GET validators.

A sink that cannot write raises :class:`~newsmill.errors.InfrastructureError` (``sink_error`` for the
file or the database, ``redis_*`` for Redis): the task retries it, and never turns it into a record it
then loses. The database is written before the file: it is the sink more likely to be away, and a record
it refuses to the end is then in neither (only in the dead-letter stream). A record the database took and
the file refused to the end is in the database and in the dead-letter stream: two writes outside Redis
cannot be made atomic.

An article that an earlier job delivered with the same content (same id, same content hash, within
``delivered_window``) becomes an ``unchanged``/``already_delivered`` record, unless its job asks to
reprocess: re-running the same folder delivers nothing twice.

An ``unchanged`` record (a conditional re-fetch answered 304, or already delivered) is claimed, committed
and counted in the job like any other, but written to neither the JSONL file nor the stream: consumers
already hold the article from the job that first delivered it, and a second record would read as a new
version.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple

import redis

from newsmill.errors import InfrastructureError
from newsmill.keys import JOB_TTL_SECONDS, Keys
from newsmill.record import ArticleRecord
from newsmill.redistext import text
from newsmill.sinks.jsonl import JsonlSink

if TYPE_CHECKING:
    from newsmill.sinks.postgres import PostgresSink  # psycopg is loaded only where a database is configured

# KEYS: deliveries hash, articles hash, job hash, delivered (this article, any job).
# ARGV: input key, article id ('' unless the record is ok), ttl, content hash, job id.
_CLAIM = """
local state = redis.call('HGET', KEYS[1], ARGV[1])
if state == 'done' then return {'done', ''} end
redis.call('HSET', KEYS[1], ARGV[1], 'pending')
redis.call('EXPIRE', KEYS[1], ARGV[3])
if ARGV[2] ~= '' then
  local first = redis.call('HGET', KEYS[2], ARGV[2])
  if first and first ~= ARGV[1] then return {'duplicate', first} end
  if ARGV[4] ~= '' and redis.call('HGET', KEYS[3], 'reprocess') ~= '1' then
    local before = redis.call('HMGET', KEYS[4], 'hash', 'job')
    if before[1] == ARGV[4] and before[2] ~= ARGV[5] then return {'unchanged', before[2]} end
  end
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return {'new', ''}
"""

# KEYS: deliveries, job, reasons, stream, deadletter, ledger, items, due, active jobs, delivered, the
# input's stored document (deleted with the commit: a worker killed right after it leaves none behind),
# the job's enqueue times, and, only for a fetched page that did not end ok, its validators (deleted with
# the commit too).
# ARGV: input key, status, reason, record JSON, job id, article id, stream maxlen ('' = none), ttl,
# publish ('1' = append to the stream), message (of a failed record, kept per reason for `status`),
# content hash and window (remember an ok article as delivered by this job; '' = do not).
# Returns 0 if the input was committed already, else {1, seconds since it was enqueued ('' if unknown)}.
_COMMIT = """
if redis.call('HGET', KEYS[1], ARGV[1]) == 'done' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'done')
local fields = {'job_id', ARGV[5], 'id', ARGV[6], 'status', ARGV[2], 'record', ARGV[4]}
if ARGV[9] ~= '1' then
  -- unchanged (304): counted below, never published as a second record
elseif ARGV[7] ~= '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', unpack(fields))
else
  redis.call('XADD', KEYS[4], '*', unpack(fields))
end
if ARGV[2] == 'failed' then
  redis.call('XADD', KEYS[5], '*', unpack(fields))
  redis.call('HSET', KEYS[2], 'error:' .. ARGV[3], ARGV[10])
end
local t = redis.call('TIME')
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('HSET', KEYS[2], 'progress', t[1])
redis.call('EXPIRE', KEYS[2], ARGV[8])
if ARGV[3] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[3], ARGV[8])
end
if ARGV[2] == 'ok' and ARGV[11] ~= '' then
  redis.call('HSET', KEYS[10], 'hash', ARGV[11], 'job', ARGV[5])
  redis.call('EXPIRE', KEYS[10], ARGV[12])
end
redis.call('DEL', KEYS[11])
if KEYS[13] then redis.call('DEL', KEYS[13]) end
local enqueued = redis.call('HGET', KEYS[12], ARGV[1])
local latency = ''
if enqueued then
  redis.call('HDEL', KEYS[12], ARGV[1])
  -- A string: Redis would truncate a Lua number to an integer.
  latency = string.format('%.3f', tonumber(t[1]) + tonumber(t[2]) / 1000000 - tonumber(enqueued))
end
redis.call('HDEL', KEYS[6], ARGV[1])
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
if redis.call('HLEN', KEYS[6]) == 0 and redis.call('HGET', KEYS[2], 'enqueue_complete') == '1' then
  redis.call('ZREM', KEYS[9], ARGV[5])
end
return {1, latency}
"""


class DeliveryOutcome(enum.Enum):
    DELIVERED = "delivered"
    REDELIVERY_SKIPPED = "redelivery_skipped"
    """The same input was already delivered for this job: nothing was written again."""


class Delivered(NamedTuple):
    """What one :meth:`Delivery.deliver` did."""

    outcome: DeliveryOutcome
    record: ArticleRecord
    """The record as delivered (a duplicate becomes a ``dropped`` record)."""
    latency_s: float | None = None
    """Seconds from the input's enqueueing to this commit (``None``: skipped, or the time is unknown)."""


class Delivery:
    """Writes one record to the configured sinks, exactly once per job and input."""

    def __init__(self, client: redis.Redis, keys: Keys, *, jsonl: JsonlSink | None = None,
                 postgres: PostgresSink | None = None, stream_maxlen: int | None = None,
                 delivered_window: float = 0.0) -> None:
        self._redis = client
        self._window = int(delivered_window)
        self._keys = keys
        self._jsonl = jsonl
        self._postgres = postgres
        self._maxlen = stream_maxlen
        self._claim = client.register_script(_CLAIM)
        self._commit = client.register_script(_COMMIT)

    def deliver(self, record: ArticleRecord, *, to_stores: bool = True) -> Delivered:
        """Deliver ``record``; returns what happened, the record as delivered and its end-to-end latency.
        ``to_stores=False`` skips the JSONL file and the database (a record that one of them refused, on its
        way to the dead-letter stream). Only the first commit of an input is ``DELIVERED``: two deliveries
        racing past the claim (a re-drive and a late message) write the stores at most once each, and the
        second commit finds the input done and reports ``REDELIVERY_SKIPPED``, so nothing counts twice."""
        job, input_key = record.job_id, record.source.key
        k = self._keys
        remembered = record.content_hash if self._window > 0 and record.status == "ok" else None
        raw_state, raw_first = self._claim(
            keys=[k.job_deliveries(job), k.job_articles(job), k.job(job), k.delivered(record.id)],
            args=[input_key, record.id if record.status == "ok" else "", JOB_TTL_SECONDS, remembered or "", job],
        )
        state, first = text(raw_state), text(raw_first)
        if state == "done":
            return Delivered(DeliveryOutcome.REDELIVERY_SKIPPED, record)
        if state == "unchanged":
            record = dataclasses.replace(record, status="unchanged", reason="already_delivered",
                                         message=f"delivered unchanged by job {first}")
        if state == "duplicate":
            record = dataclasses.replace(
                record, status="dropped", reason="duplicate",
                message=f"same article as input {first}",
                duplicate_of=record.id,
            )
        data = record.to_dict()
        publish = record.status != "unchanged"
        if publish and to_stores and self._postgres is not None:
            self._postgres.write_once(job_id=job, input_key=input_key, record=data)  # raises sink_error
        if publish and to_stores and self._jsonl is not None:
            try:
                self._jsonl.append_once(job_id=job, input_key=input_key, record=data)
            except (OSError, sqlite3.Error) as exc:
                raise InfrastructureError("sink_error", f"JSONL file {self._jsonl.path}: {_reason(exc)}") from exc
        keys = [k.job_deliveries(job), k.job(job), k.job_reasons(job), k.stream(), k.deadletter(),
                k.job_ledger(job), k.job_items(job), k.job_due(job), k.active_jobs(), k.delivered(record.id),
                k.document(job, input_key), k.job_enqueued(job)]
        if record.source.kind == "url" and record.status in ("dropped", "failed"):
            # The fetcher stored the page's validators; if they outlived an article that was never
            # delivered, the next fetch would get a 304 and call it unchanged. A full fetch it is.
            keys.append(k.validators(record.source.location))
        committed = self._commit(
            keys=keys,
            args=[input_key, record.status, record.reason or "", _dumps(data), job, record.id,
                  self._maxlen or "", JOB_TTL_SECONDS, "1" if publish else "0", (record.message or "")[:500],
                  remembered or "", self._window],  # the script remembers ok records only
        )
        if not committed:
            return Delivered(DeliveryOutcome.REDELIVERY_SKIPPED, record)
        latency = text(committed[1])
        return Delivered(DeliveryOutcome.DELIVERED, record, float(latency) if latency else None)


    def close(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
        if self._postgres is not None:
            self._postgres.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

