"""Exactly-once delivery of records to the JSONL file and the Redis stream.

A worker can die after writing and before acknowledging, and the message is then delivered again
(``acks_late``). Delivery therefore runs in two steps keyed by job and input:

1. *claim* (atomic in Redis): mark the input ``pending``; learn whether it was already ``done`` (a
   redelivery: write nothing) or left ``pending`` by a worker that died mid-way (recover);
2. *commit* (atomic in Redis): append to the stream, mark the input ``done`` and count the outcome.

The JSONL line is written between the two. After a crash between the line and the commit, the
recovering delivery looks the line up in the file before writing it, so the file too gets it once.
Two different inputs of one job that are the same article (same id) give one ``ok`` record and one
``dropped`` record with reason ``duplicate``.

An ``unchanged`` record (a conditional re-fetch answered 304) is claimed, committed and counted in the
job like any other, but written to neither the JSONL file nor the stream: consumers already hold the
article from the fetch that first delivered it, and a second record would read as a new version.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

import redis

from newsmill.keys import JOB_TTL_SECONDS, Keys
from newsmill.record import ArticleRecord
from newsmill.sinks.jsonl import JsonlSink

# KEYS: deliveries hash, articles hash. ARGV: input key, article id ('' unless the record is ok).
_CLAIM = """
local state = redis.call('HGET', KEYS[1], ARGV[1])
if state == 'done' then return {'done', '', 0} end
local recovering = 0
if state == 'pending' then recovering = 1 end
redis.call('HSET', KEYS[1], ARGV[1], 'pending')
redis.call('EXPIRE', KEYS[1], ARGV[3])
if ARGV[2] ~= '' then
  local first = redis.call('HGET', KEYS[2], ARGV[2])
  if first and first ~= ARGV[1] then return {'duplicate', first, recovering} end
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return {'new', '', recovering}
"""

# KEYS: deliveries, job, reasons, stream, deadletter.
# ARGV: input key, status, reason, record JSON, job id, article id, stream maxlen ('' = none), ttl,
# publish ('1' = append to the stream).
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
if ARGV[2] == 'failed' then redis.call('XADD', KEYS[5], '*', unpack(fields)) end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('EXPIRE', KEYS[2], ARGV[8])
if ARGV[3] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[3], ARGV[8])
end
return 1
"""


class DeliveryOutcome(enum.Enum):
    DELIVERED = "delivered"
    REDELIVERY_SKIPPED = "redelivery_skipped"
    """The same input was already delivered for this job: nothing was written again."""


class Delivery:
    """Writes one record to the configured sinks, exactly once per job and input."""

    def __init__(self, client: redis.Redis, keys: Keys, *, jsonl: JsonlSink | None = None,
                 stream_maxlen: int | None = None) -> None:
        self._redis = client
        self._keys = keys
        self._jsonl = jsonl
        self._maxlen = stream_maxlen
        self._claim = client.register_script(_CLAIM)
        self._commit = client.register_script(_COMMIT)

    def deliver(self, record: ArticleRecord) -> tuple[DeliveryOutcome, ArticleRecord]:
        """Deliver ``record``; returns what happened and the record as delivered (a duplicate becomes
        a ``dropped`` record)."""
        job, input_key = record.job_id, record.source.key
        raw_state, raw_first, recovering = self._claim(
            keys=[self._keys.job_deliveries(job), self._keys.job_articles(job)],
            args=[input_key, record.id if record.status == "ok" else "", JOB_TTL_SECONDS],
        )
        state, first = _text(raw_state), _text(raw_first)
        if state == "done":
            return DeliveryOutcome.REDELIVERY_SKIPPED, record
        if state == "duplicate":
            record = dataclasses.replace(
                record, status="dropped", reason="duplicate",
                message=f"same article as input {first}",
                extra={**record.extra, "duplicate_of": record.id},
            )
        data = record.to_dict()
        publish = record.status != "unchanged"
        if publish and self._jsonl is not None and not (
            recovering
            and self._jsonl.contains(job_id=job, article_id=record.id, source_key=input_key)
        ):
            self._jsonl.append(data)
        self._commit(
            keys=[self._keys.job_deliveries(job), self._keys.job(job), self._keys.job_reasons(job),
                  self._keys.stream(), self._keys.deadletter()],
            args=[input_key, record.status, record.reason or "", _dumps(data), job, record.id,
                  self._maxlen or "", JOB_TTL_SECONDS, "1" if publish else "0"],
        )
        return DeliveryOutcome.DELIVERED, record


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
