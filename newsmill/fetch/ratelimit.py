"""Per-host politeness shared by every worker: one atomic Redis script hands out request slots.

Each host has a "next free time" in Redis. Asking for a slot either gets one now, or *reserves* the
next free one and learns how long to wait, so a fetch over budget is deferred (its task re-scheduled
with that countdown) instead of holding a worker thread (a slot due within ``SHORT_WAIT`` is committed
and slept off in the thread), and comes back to a slot that is its own: 60 URLs of one host make 60 reservations, not a
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

# Each host is one hash: ``next`` (the next slot not yet handed out), ``last`` (when the host last got,
# or is committed to get, a request from us) and ``hold`` (no request before this: its Retry-After).
#
# A slot due within a moment (``commit``, a fraction of a second) is *committed*: ``last`` becomes that
# moment and the caller sleeps until it, then sends without asking again. Committing the scheduled time,
# not the time the caller came back, keeps the spacing exact on Redis's record while a thread's wake-up
# and round-trip jitter no longer adds to every interval: when each "go" waited for the caller to ask
# again after ``last + interval``, the jitter (about 6 ms a request on a busy 2-core worker) accumulated
# and a host allowed 50 requests/s got 38 (issue 11, defect 6).
#
# A slot further ahead is *reserved*: the task is deferred and claims it when it comes back. A reserved
# slot is a promise of *order*, not of time: a deferred task can come back late (its worker was busy),
# and must then follow the last request by the interval; within a moment's wait it is committed there
# (each held-back claim one interval after the previous, never a herd waking together), otherwise (a
# Retry-After, a long run of late claims) it is handed a fresh slot behind the queue.
# Waits never exceed the horizon, so a countdown stays well inside the broker's visibility timeout.
#
# KEYS[1]: the host's hash. ARGV: interval seconds, horizon seconds, reserved slot to claim ('' = ask for
# a new one), the longest wait that is committed. Returns {state, seconds to wait, slot}: state 'go'
# (sleep the wait, then send; slot is the committed moment), 'reserved' (wait, then claim slot), or
# 'later' (too far ahead: nothing reserved, ask again after the wait).
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local commit = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'next', 'last', 'hold')
local next_free = tonumber(state[1] or '0')
local earliest = math.max(tonumber(state[2] or '0') + interval, tonumber(state[3] or '0'))
local function expire_after(until_)
  redis.call('PEXPIRE', KEYS[1], math.ceil((until_ - now) * 1000) + 1000)
end
local function go(at)
  at = math.max(at, now)
  redis.call('HSET', KEYS[1], 'last', string.format('%.6f', at))
  expire_after(math.max(next_free, at + interval))
  return {'go', tostring(at - now), string.format('%.6f', at)}
end
local function reserve()
  local slot = math.max(now, next_free, earliest)
  local wait = slot - now
  if wait > horizon then return {'later', tostring(horizon), ''} end
  next_free = slot + interval
  redis.call('HSET', KEYS[1], 'next', string.format('%.6f', next_free))
  if wait <= commit then return go(slot) end
  expire_after(next_free)
  return {'reserved', tostring(wait), string.format('%.6f', slot)}
end
if ARGV[3] == '' then return reserve() end
local slot = tonumber(ARGV[3])
local at = math.max(slot, earliest)
if at - now <= commit then return go(at) end
if slot >= earliest then return {'reserved', tostring(math.min(slot - now, horizon)), ARGV[3]} end
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
SPACING_MARGIN = 1.02
"""Committed requests are spaced 2 % wider than the rate asks: a request that reaches the host a few
milliseconds late (a thread woke late) must not put a 51st request into the host's second."""
SHORT_WAIT = 0.5
"""A slot due this soon is committed and slept off in the fetching thread: cheaper than re-scheduling
the task, and a request a few intervals behind the one before it is the normal case."""


@dataclass(frozen=True)
class Slot:
    """The answer for one request: ``go`` after sleeping ``wait`` seconds (``reserved`` is then the
    committed moment), or come back after ``wait`` seconds (holding ``reserved`` if set, asking afresh
    if not)."""

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
        self._client = client
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
            args=[self.interval(host, crawl_delay) * SPACING_MARGIN, self._horizon, reserved or "", SHORT_WAIT],
        )
        state = state.decode() if isinstance(state, bytes) else str(state)
        slot_text = slot.decode() if isinstance(slot, bytes) else str(slot)
        return Slot(go=state == "go", wait=float(wait), reserved=slot_text or None)

    def held_back(self, host: str, committed: str) -> bool:
        """True when a Retry-After arrived for ``host`` after a request was committed for the moment
        ``committed`` and holds the host past it: the request must not go then (it claims again)."""
        hold = self._client.hget(self._keys.host_slots(host), "hold")
        return hold is not None and float(hold) > float(committed)

    def push_back(self, host: str, seconds: float) -> None:
        """No slot for ``host`` before ``seconds`` from now (its 429 or 503 said Retry-After), for every
        worker, not only for the fetch that was told."""
        self._push_back(keys=[self._keys.host_slots(host)], args=[min(seconds, 3600.0)])
