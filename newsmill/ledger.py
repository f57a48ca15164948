"""The progress ledger: where every unfinished input of every job is, so that nothing waits on a lost message.

A broker can lose a message (kombu's Redis transport between ``BRPOP`` and its ``unacked`` table, a Redis
restarted from an append-only file that missed its last second, a chain step whose publish failed) and
only gives back an unacknowledged one after its visibility timeout, an hour later. The ledger lets the
reconciler (:mod:`newsmill.reconcile`) see such an input and drive it again from its last durable point.

One hash field per unfinished input, written at most twice per task (when it starts, when it hands over
to the next stage), each time by one Lua script that also does the rest of that step's bookkeeping:

``drive|state|stage|t|eta|node|task``
    ``drive`` counts re-drives (a message from an older drive is *superseded* and stops);
    ``state`` is ``q`` (handed over to ``stage``'s queue at ``t``, due at ``eta``, later than ``t`` for a
    retry countdown) or ``r`` (started at ``t`` as task ``task`` on worker ``node``).

Times are Redis's own clock (``TIME``), so hosts with skewed clocks agree. The sink's commit removes the
input's entry in the same script that counts its record (:mod:`newsmill.sinks.delivery`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

from newsmill.keys import JOB_TTL_SECONDS, Keys
from newsmill.record import WorkItem
from newsmill.redistext import text

State = Literal["q", "r"]
Verdict = Literal["go", "done", "superseded"]
"""What :meth:`Ledger.start` says of a message: run it, or stop (its input was delivered already, or a
newer drive of it exists)."""

_LUA_HELPERS = """
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function fields(s)
  local out, start = {}, 1
  while true do
    local i = string.find(s, '|', start, true)
    if not i then table.insert(out, string.sub(s, start)); return out end
    table.insert(out, string.sub(s, start, i - 1))
    start = i + 1
  end
end
local function stamp(x) return string.format('%.3f', x) end
"""

# KEYS: job, ledger, items, due, active jobs, enqueued. ARGV: ttl, grace, job id, then (input, stage, item
# JSON)... Returns one flag per input: 1 registered now, 0 already in the job (listed twice, or a re-run
# enqueue).
_REGISTER = _LUA_HELPERS + """
local now = clock()
local grace = tonumber(ARGV[2])
local flags, n = {}, 0
for i = 4, #ARGV, 3 do
  local input, stage = ARGV[i], ARGV[i + 1]
  if redis.call('HSETNX', KEYS[3], input, ARGV[i + 2]) == 1 then
    redis.call('HSET', KEYS[2], input, '0|q|' .. stage .. '|' .. stamp(now) .. '|' .. stamp(now) .. '||')
    redis.call('ZADD', KEYS[4], now + grace, input)
    redis.call('HSET', KEYS[6], input, stamp(now))
    n = n + 1
    table.insert(flags, 1)
  else
    table.insert(flags, 0)
  end
end
redis.call('HINCRBY', KEYS[1], 'enqueued', n)
redis.call('ZADD', KEYS[5], 'NX', now, ARGV[3])
for k = 1, 4 do redis.call('EXPIRE', KEYS[k], ARGV[1]) end
if n > 0 then redis.call('EXPIRE', KEYS[6], ARGV[1]) end
return flags
"""

# KEYS: ledger, items, due, deliveries, active jobs, lane marks.
# ARGV: input, drive, stage, node, task id, item JSON, job id, first look (seconds from now), lane, ttl.
_START = _LUA_HELPERS + """
if redis.call('HGET', KEYS[4], ARGV[1]) == 'done' then return 'done' end
local now = clock()
local drive = tonumber(ARGV[2])
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local f = fields(current)
  if tonumber(f[1]) > drive then return 'superseded' end
  -- A message handed over without a countdown (t == eta) and started now: every message handed to the
  -- same lane before it should have started too (FIFO); the reconciler compares waiting ones to this.
  -- A lane is a queue and one priority level (the caller's key): only within a level is a queue FIFO.
  if f[2] == 'q' and f[3] == ARGV[3] and f[4] == f[5] then
    local mark = tonumber(redis.call('HGET', KEYS[6], ARGV[9]) or '0')
    if tonumber(f[4]) > mark then redis.call('HSET', KEYS[6], ARGV[9], f[4]) end
  end
else
  -- Not in the ledger (a Redis restarted from a file that missed its last second): register it again.
  redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[6])
  redis.call('ZADD', KEYS[5], 'NX', now, ARGV[7])
  for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ARGV[10]) end
end
redis.call('HSET', KEYS[1], ARGV[1], table.concat({drive, 'r', ARGV[3], stamp(now), stamp(now), ARGV[4], ARGV[5]}, '|'))
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[8]), ARGV[1])
return 'go'
"""

# KEYS: ledger, due, deliveries. ARGV: input, drive, stage, delay, grace, newer ('1': only over an older
# drive — the reconciler's mark after publishing a re-drive, which must not undo that drive's own start).
_HANDOVER = _LUA_HELPERS + """
if redis.call('HGET', KEYS[3], ARGV[1]) == 'done' then return 0 end
local drive = tonumber(ARGV[2])
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local was = tonumber(fields(current)[1])
  if was > drive or (ARGV[6] == '1' and was == drive) then return 0 end
end
local now = clock()
local eta = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], table.concat({drive, 'q', ARGV[3], stamp(now), stamp(eta), '', ''}, '|'))
redis.call('ZADD', KEYS[2], eta + tonumber(ARGV[5]), ARGV[1])
return 1
"""

# KEYS: workers. ARGV: node, ids of the tasks it holds (comma-separated).
_HEARTBEAT = _LUA_HELPERS + """
redis.call('HSET', KEYS[1], ARGV[1], stamp(clock()) .. '|' .. ARGV[2])
return 1
"""

# KEYS: lease. ARGV: node, ttl ms. Take the lease if free, renew it if ours.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Entry:
    """Where one unfinished input is."""

    drive: int
    state: State
    stage: str
    t: float
    eta: float
    node: str = ""
    task_id: str = ""

    @classmethod
    def parse(cls, raw: bytes | str) -> Entry:
        drive, state, stage, t, eta, node, task_id = (text(raw).split("|") + [""] * 7)[:7]
        return cls(int(drive), cast(State, state), stage, float(t), float(eta), node, task_id)

    @property
    def delayed(self) -> bool:
        """Handed over with a countdown (a retry or a politeness deferral)."""
        return self.eta > self.t


@dataclass(frozen=True)
class Heartbeat:
    """A worker node's last sign of life, and the tasks it held then."""

    t: float
    task_ids: frozenset[str]

    @classmethod
    def parse(cls, raw: bytes | str) -> Heartbeat:
        t, _, ids = text(raw).partition("|")
        return cls(float(t), frozenset(i for i in ids.split(",") if i))


@dataclass(frozen=True)
class Registered:
    """An input of a job as the ledger keeps it, to drive it again from its source."""

    item: WorkItem
    stages: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps({"item": self.item.to_dict(), "stages": list(self.stages)}, ensure_ascii=False,
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Registered:
        data = json.loads(raw)
        return cls(WorkItem.from_dict(data["item"]), tuple(data["stages"]))


class Ledger:
    """Reads and writes the progress ledger of all jobs under one key prefix."""

    def __init__(self, client: redis.Redis, keys: Keys, *, ttl: int = JOB_TTL_SECONDS) -> None:
        self._redis = client
        self._keys = keys
        self._ttl = ttl
        self._register = client.register_script(_REGISTER)
        self._start = client.register_script(_START)
        self._handover = client.register_script(_HANDOVER)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._lease = client.register_script(_LEASE)

    # --- producers and tasks -------------------------------------------------------------------------

    def register(self, job_id: str, inputs: Sequence[Registered], *, grace: float) -> list[bool]:
        """Add inputs to a job, counted as enqueued, before their messages are published: an input whose
        message never goes out is then re-driven, never forgotten. Returns, per input, whether it is new
        to the job (publish only those)."""
        args: list[Any] = [self._ttl, grace, job_id]
        for registered in inputs:
            args += [registered.item.source.key, registered.stages[0], registered.to_json()]
        k = self._keys
        flags = self._register(keys=[k.job(job_id), k.job_ledger(job_id), k.job_items(job_id), k.job_due(job_id),
                                     k.active_jobs(), k.job_enqueued(job_id)], args=args)
        return [bool(int(flag)) for flag in flags]

    def start(self, registered: Registered, *, drive: int, stage: str, node: str, task_id: str, lane: str,
              look_after: float) -> Verdict:
        """A task is starting ``stage`` for an input: record it, unless the input is finished or this
        message belongs to an older drive. The reconciler first looks at it ``look_after`` seconds later
        (is its worker still alive?)."""
        item = registered.item
        k = self._keys
        verdict = self._start(
            keys=[k.job_ledger(item.job_id), k.job_items(item.job_id), k.job_due(item.job_id),
                  k.job_deliveries(item.job_id), k.active_jobs(), k.lane_marks()],
            args=[item.source.key, drive, stage, node, task_id, registered.to_json(), item.job_id,
                  look_after, lane, self._ttl])
        return cast(Verdict, text(verdict))

    def handover(self, item: WorkItem, *, drive: int, stage: str, delay: float, grace: float,
                 redriven: bool = False) -> None:
        """The input's next message (for ``stage``, due in ``delay`` seconds) is about to be published
        (by a task), or was just published as a new drive (``redriven``, by the reconciler)."""
        k = self._keys
        self._handover(keys=[k.job_ledger(item.job_id), k.job_due(item.job_id), k.job_deliveries(item.job_id)],
                       args=[item.source.key, drive, stage, max(0.0, delay), grace, "1" if redriven else "0"])

    # --- workers and the reconciler ------------------------------------------------------------------

    def heartbeat(self, node: str, task_ids: Sequence[str]) -> None:
        self._heartbeat(keys=[self._keys.workers()], args=[node, ",".join(task_ids)])

    def forget_node(self, node: str) -> None:
        self._redis.hdel(self._keys.workers(), node)

    def heartbeats(self) -> dict[str, Heartbeat]:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._keys.workers()))
        return {node.decode(): Heartbeat.parse(value) for node, value in raw.items()}

    def forget_nodes(self, nodes: Sequence[str]) -> None:
        if nodes:
            self._redis.hdel(self._keys.workers(), *nodes)

    def hold_lease(self, node: str, ttl: float) -> bool:
        """Take or renew the reconciler's lease for ``node``; False while another node holds it."""
        return bool(self._lease(keys=[self._keys.reconciler_lease()], args=[node, int(ttl * 1000)]))

    def release_lease(self, node: str) -> None:
        key = self._keys.reconciler_lease()
        if self._redis.get(key) == node.encode():
            self._redis.delete(key)

    def now(self) -> float:
        seconds, micros = self._redis.time()
        return seconds + micros / 1_000_000

    def lane_marks(self) -> dict[str, float]:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._keys.lane_marks()))
        return {lane.decode(): float(mark) for lane, mark in raw.items()}

    def active_jobs(self) -> list[str]:
        return [job.decode() for job in cast(list[bytes], self._redis.zrange(self._keys.active_jobs(), 0, -1))]

    def drop_job(self, job_id: str) -> None:
        self._redis.zrem(self._keys.active_jobs(), job_id)

    def due(self, job_id: str, now: float, limit: int) -> list[tuple[str, Entry | None]]:
        """Inputs of a job whose next look is due, with their entries (``None``: finished meanwhile)."""
        k = self._keys
        inputs = [i.decode() for i in cast(list[bytes], self._redis.zrangebyscore(
            k.job_due(job_id), "-inf", now, start=0, num=limit))]
        if not inputs:
            return []
        raw = cast(list[bytes | None], self._redis.hmget(k.job_ledger(job_id), inputs))
        return [(i, Entry.parse(r) if r is not None else None) for i, r in zip(inputs, raw, strict=True)]

    def look_again(self, job_id: str, when: dict[str, float]) -> None:
        """Move the next look at inputs still due to ``when``. Only members still there (XX): an input
        delivered since the reconciler read it left the set, and must not come back as a leftover."""
        if when:
            self._redis.zadd(self._keys.job_due(job_id), when, xx=True)

    def forget(self, job_id: str, inputs: Sequence[str]) -> None:
        if inputs:
            self._redis.zrem(self._keys.job_due(job_id), *inputs)

    def entry(self, job_id: str, input_key: str) -> Entry | None:
        raw = cast(bytes | None, self._redis.hget(self._keys.job_ledger(job_id), input_key))
        return Entry.parse(raw) if raw is not None else None

    def registered(self, job_id: str, input_key: str) -> Registered | None:
        raw = cast(bytes | None, self._redis.hget(self._keys.job_items(job_id), input_key))
        return Registered.from_json(raw) if raw is not None else None

    def unfinished(self, job_id: str) -> int:
        return int(self._redis.hlen(self._keys.job_ledger(job_id)))

