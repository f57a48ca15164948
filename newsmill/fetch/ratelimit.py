"""Per-host politeness shared by every worker: one atomic Redis script hands out request slots.

Each host has a "next free time" in Redis. Asking for a slot either gets one now, or *reserves* the
next free one and learns how long to wait, so a fetch over budget is deferred (its task re-scheduled
with that countdown) instead of holding a worker thread (waits under ``SHORT_WAIT`` are slept off in
the thread), and comes back to a slot that is its own: 60 URLs of one host make 60 reservations, not a
stampede of retries. Every request that goes is also at least one interval after the host's last one
and after its Retry-After, so a deferred task that comes back late cannot bunch up with the next one.
Reservations never reach further than ``horizon`` ahead (a huge backlog of one host is told to come
back later without reserving), so countdowns stay well inside the broker's visibility timeout. Time is
Redis's clock, not the workers'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from newsmill.keys import Keys

# Each host is one hash: ``next`` (the next slot not yet handed out), ``last`` (when the host last got a
# request from us), ``hold`` (no request before this: its Retry-After) and ``late`` (the last moment a
# held-back reservation was told to wait for). A reserved slot is a promise
# of *order*, not of time: a deferred task can come back late (its worker was busy), and the holder of the
# next slot must not then follow it closer than the interval, so every "go" also checks ``last``.
#
# A reservation that comes due while the host is held back (a late request just went, or a Retry-After)
# is not told to wait for the same moment as every other held-back reservation, which would wake them
# all together to be deferred again (N² re-deliveries): within a moment's wait it is given its own
# moment in the late lane, one interval after the previous held-back one; otherwise (a Retry-After, a
# long lane) it is handed a fresh slot behind the queue.
# Waits never exceed the horizon, so a countdown stays well inside the broker's visibility timeout.
#
# KEYS[1]: the host's hash. ARGV: interval seconds, horizon seconds, reserved slot to claim ('' = ask for
# a new one), the longest wait for which a held-back reservation keeps its place. Returns {state, seconds
# to wait, slot}: state 'go', 'reserved' (wait, then claim slot), or 'later' (too far ahead: nothing
# reserved, ask again after the wait).
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'next', 'last', 'hold', 'late')
local next_free = tonumber(state[1] or '0')
local earliest = math.max(tonumber(state[2] or '0') + interval, tonumber(state[3] or '0'))
local function expire_after(until_)
  redis.call('PEXPIRE', KEYS[1], math.ceil((until_ - now) * 1000) + 1000)
end
local function go()
  redis.call('HSET', KEYS[1], 'last', string.format('%.6f', now))
  expire_after(math.max(next_free, now + interval))
  return {'go', '0', ARGV[3]}
end
local function reserve()
  local slot = math.max(now, next_free, earliest)
  local wait = slot - now
  if wait > horizon then return {'later', tostring(horizon), ''} end
  redis.call('HSET', KEYS[1], 'next', string.format('%.6f', slot + interval))
  expire_after(slot + interval)
  if wait <= 0 then return go() end
  return {'reserved', tostring(wait), string.format('%.6f', slot)}
end
if ARGV[3] == '' then return reserve() end
local slot = tonumber(ARGV[3])
local at = math.max(slot, earliest)
if at <= now then return go() end
if slot >= earliest then return {'reserved', tostring(math.min(slot - now, horizon)), ARGV[3]} end
-- Held back: its slot is due, but another request went less than an interval ago. A moment's wait keeps
-- it in the host's budget; sending it behind the queue would leave its slot unused (deferred tasks come
-- back a little late all the time, so half the budget went unused that way). Held-back reservations
-- queue in a "late lane", one interval apart, so they never wait for the same moment and wake together.
-- One held back by a Retry-After, or by more than a moment, gets a fresh slot behind the queue.
local hold = tonumber(state[3] or '0')
if hold <= now then
  local when = math.max(at, tonumber(state[4] or '0') + interval)
  if when - now <= tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[1], 'late', string.format('%.6f', when))
    return {'reserved', tostring(when - now), ARGV[3]}
  end
end
return reserve()
"""

# KEYS[1]: the host's hash. ARGV: seconds the host asked us to stay away. Slots already reserved are
# held back too (``hold``), not only new ones (``next``).
_PUSH_BACK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'next', 'hold')
local text = string.format('%.6f', until_)
if until_ > tonumber(state[1] or '0') then redis.call('HSET', KEYS[1], 'next', text) end
if until_ > tonumber(state[2] or '0') then redis.call('HSET', KEYS[1], 'hold', text) end
local ttl = redis.call('PTTL', KEYS[1])
local want = math.ceil(tonumber(ARGV[1]) * 1000) + 1000
if ttl < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1
"""

DEFAULT_HORIZON = 120.0
SHORT_WAIT = 0.25
"""A wait this short is slept off in the fetching thread: cheaper than re-scheduling the task, and a
reservation claimed a few milliseconds after the request before it went is the normal case."""


@dataclass(frozen=True)
class Slot:
    """The answer for one request: go now, or wait ``wait`` seconds (holding ``reserved`` if set)."""

    go: bool
    wait: float = 0.0
    reserved: str | None = None


def parse_domain_rates(entries: Iterable[str]) -> dict[str, float]:
    """``{"example.com": 0.5}`` from ``example.com=0.5`` entries (requests per second)."""
    rates: dict[str, float] = {}
    for entry in entries:
        domain, sep, value = entry.partition("=")
        if not sep or float(value) <= 0:
            raise ValueError(f"domain rate {entry!r} is not domain=requests_per_second (> 0)")
        rates[domain.strip().lower().strip(".")] = float(value)
    return rates


class HostRateLimiter:
    """Slots per host, from a default rate, per-domain rates and the host's robots.txt Crawl-delay."""

    def __init__(self, client: redis.Redis, prefix: str, *, default_rate: float,
                 domain_rates: dict[str, float] | None = None, horizon: float = DEFAULT_HORIZON) -> None:
        self._script = client.register_script(_SLOT)
        self._push_back = client.register_script(_PUSH_BACK)
        self._keys = Keys(prefix)
        self._default = default_rate
        self._domains = domain_rates or {}
        self._horizon = horizon

    def interval(self, host: str, crawl_delay: float | None = None) -> float:
        """Seconds between two requests to ``host``: the configured rate, or the Crawl-delay if longer."""
        rate = self._default
        labels = host.lower().strip(".").split(".")
        for start in range(len(labels)):
            # The most specific configured domain wins: news.example.com before example.com.
            candidate = ".".join(labels[start:])
            if candidate in self._domains:
                rate = self._domains[candidate]
                break
        return max(1.0 / rate, crawl_delay or 0.0)

    def acquire(self, host: str, *, crawl_delay: float | None = None, reserved: str | None = None) -> Slot:
        """A slot for one request to ``host`` now, or how long to wait; ``reserved`` claims an earlier
        reservation instead of asking for a new slot."""
        state, wait, slot = self._script(
            keys=[self._keys.host_slots(host)],
            args=[self.interval(host, crawl_delay), self._horizon, reserved or "", SHORT_WAIT],
        )
        state = state.decode() if isinstance(state, bytes) else str(state)
        slot_text = slot.decode() if isinstance(slot, bytes) else str(slot)
        return Slot(go=state == "go", wait=float(wait), reserved=slot_text or None)

    def push_back(self, host: str, seconds: float) -> None:
        """No slot for ``host`` before ``seconds`` from now (its 429 or 503 said Retry-After), for every
        worker, not only for the fetch that was told."""
        self._push_back(keys=[self._keys.host_slots(host)], args=[min(seconds, 3600.0)])
