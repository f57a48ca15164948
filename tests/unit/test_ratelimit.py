"""The per-host slot script against the real Redis: a slot due within a moment is committed (the caller
sleeps until it and sends), spacing holds even when a reserved slot is claimed late, and a Retry-After
push-back holds back slots that were already reserved or committed."""

from __future__ import annotations

import itertools
import time

import pytest
import redis

from newsmill.fetch.ratelimit import SHORT_WAIT, SPACING_MARGIN, HostRateLimiter

HOST = "example.test"


def last_request(client: redis.Redis, prefix: str) -> float:
    """When the host last got a request, on Redis's clock (the script's own record, free of the test's
    scheduling jitter)."""
    return float(client.hget(f"{prefix}:slots:{HOST}", "last") or 0)


def claim_when_due(limiter: HostRateLimiter, reserved: str, *, crawl_delay: float | None = None,
                   give_up: float = 10.0) -> float:
    """Claim ``reserved`` the way a deferred task does (sleep the wait, ask again; once committed, sleep
    until the moment and check no Retry-After came meanwhile); the time it went."""
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        slot = limiter.acquire(HOST, crawl_delay=crawl_delay, reserved=reserved)
        reserved = slot.reserved or reserved  # a held-back reservation may be handed a fresh slot
        time.sleep(slot.wait)
        if slot.go and not limiter.held_back(HOST, reserved):
            return time.monotonic()
    raise AssertionError("reserved slot never came due")


def test_first_request_goes_and_the_next_is_reserved_one_interval_later(redis_client: redis.Redis,
                                                                       prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=1.0)  # 1.02 s apart, with the margin
    assert limiter.acquire(HOST).go
    second = limiter.acquire(HOST)
    assert not second.go and second.reserved is not None
    assert 0.97 <= second.wait <= 1.02
    third = limiter.acquire(HOST)
    assert 1.99 <= third.wait <= 2.04


def test_a_slot_due_within_a_moment_is_committed(redis_client: redis.Redis, prefix: str) -> None:
    """The caller sleeps until a committed moment and sends without asking again; the host's record
    already says so, so the next request is spaced from that moment, not from when the caller woke."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=10.0)  # 0.102 s apart
    first, second, third = (limiter.acquire(HOST) for _ in range(3))
    assert first.go and first.wait == 0
    assert second.go and 0.09 <= second.wait <= 0.102 and third.go and 0.19 <= third.wait <= 0.204
    assert second.reserved is not None and third.reserved is not None
    assert float(third.reserved) - float(second.reserved) == pytest.approx(0.102, abs=1e-5)
    assert last_request(redis_client, prefix) == float(third.reserved)
    fifth = [limiter.acquire(HOST) for _ in range(2)][-1]  # 0.408 s ahead: the last one committed
    assert fifth.go
    beyond = limiter.acquire(HOST)  # 0.51 s ahead: past the commit window, a reservation
    assert not beyond.go and beyond.reserved is not None and beyond.wait > SHORT_WAIT


def test_crawl_delay_longer_than_the_rate_wins(redis_client: redis.Redis, prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=50.0)
    assert limiter.interval(HOST) == 0.02
    assert limiter.interval(HOST, crawl_delay=2.0) == 2.0
    assert limiter.acquire(HOST, crawl_delay=2.0).go
    assert 1.95 <= limiter.acquire(HOST, crawl_delay=2.0).wait <= 2.0 * SPACING_MARGIN


def test_a_late_claim_pushes_the_next_reservation_back(redis_client: redis.Redis, prefix: str) -> None:
    """The CI failure this guards against: slot A is claimed late (its task waited for a busy worker),
    slot B is claimed on time, and the host saw two requests closer than the interval."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=2.0)  # 0.5 s apart
    assert limiter.acquire(HOST).go
    a = limiter.acquire(HOST)
    b = limiter.acquire(HOST)
    assert a.reserved and b.reserved
    time.sleep(a.wait + 0.3)  # A's task comes back 0.3 s after its slot
    claim_when_due(limiter, a.reserved)
    a_went = last_request(redis_client, prefix)
    claim_when_due(limiter, b.reserved)
    b_went = last_request(redis_client, prefix)
    assert b_went - a_went >= 0.5 - 1e-5, b_went - a_went  # microsecond rounding of the stored times


def test_retry_after_holds_back_slots_already_reserved(redis_client: redis.Redis, prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=2.0)  # 0.51 s apart: a reservation
    assert limiter.acquire(HOST).go
    reserved = limiter.acquire(HOST)
    assert not reserved.go and reserved.reserved and reserved.wait <= 0.51
    limiter.push_back(HOST, 1.5)
    pushed = time.monotonic()
    went = claim_when_due(limiter, reserved.reserved)
    assert went - pushed >= 1.45
    assert limiter.acquire(HOST).wait >= 0.5  # and new slots queue behind it


def test_retry_after_holds_back_a_committed_request(redis_client: redis.Redis, prefix: str) -> None:
    """A request committed for a moment, then a 429 with Retry-After from another request of the host:
    the committed one must not go at its moment; it claims again and waits out the Retry-After."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=10.0)
    assert limiter.acquire(HOST).go
    committed = limiter.acquire(HOST)
    assert committed.go and committed.reserved is not None and committed.wait > 0
    assert not limiter.held_back(HOST, committed.reserved)
    limiter.push_back(HOST, 1.0)
    pushed = time.monotonic()
    assert limiter.held_back(HOST, committed.reserved)
    went = claim_when_due(limiter, committed.reserved)
    assert went - pushed >= 0.95


def test_hosts_do_not_share_a_budget(redis_client: redis.Redis, prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=1.0)
    assert limiter.acquire(HOST).go
    assert not limiter.acquire(HOST).go
    assert limiter.acquire("other.test").go


def test_state_expires_once_the_host_is_idle(redis_client: redis.Redis, prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=10.0)
    assert limiter.acquire(HOST).go
    ttl = redis_client.pttl(f"{prefix}:slots:{HOST}")
    assert 0 < ttl <= 1100 + 100


def test_too_far_ahead_reserves_nothing(redis_client: redis.Redis, prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=1.0, horizon=2.5)
    for _ in range(4):
        limiter.acquire(HOST)  # go, +1, +2, +3 → the last is past the horizon
    later = limiter.acquire(HOST)
    assert not later.go and later.reserved is None and later.wait == 2.5  # ask again at the horizon


def test_held_back_reservations_do_not_wake_as_a_herd(redis_client: redis.Redis, prefix: str) -> None:
    """20 slots (committed and reserved), then a Retry-After: each held-back one is re-slotted at most
    once, not re-deferred over and over, and the requests still go one interval apart."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=20.0)  # 0.051 s apart
    assert limiter.acquire(HOST).go
    waiting = [limiter.acquire(HOST) for _ in range(20)]
    assert all(slot.reserved for slot in waiting)
    assert any(slot.go for slot in waiting) and not all(slot.go for slot in waiting)
    limiter.push_back(HOST, 0.5)
    pending = {index: (time.monotonic() + slot.wait, slot) for index, slot in enumerate(waiting)}
    asked, reslotted, went = 0, 0, []
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        index, (due, slot) = min(pending.items(), key=lambda item: item[1][0])
        time.sleep(max(0.0, due - time.monotonic()))
        assert slot.reserved is not None
        if slot.go and not limiter.held_back(HOST, slot.reserved):
            went.append(float(slot.reserved))  # the committed moment: the host's record of the request
            del pending[index]
            continue
        fresh = limiter.acquire(HOST, reserved=slot.reserved)
        asked += 1
        reslotted += not fresh.go and fresh.reserved != slot.reserved
        pending[index] = (time.monotonic() + fresh.wait, fresh)
    assert not pending
    # Each one held back by the Retry-After is re-slotted at most once; the rest are committed in place.
    assert reslotted <= len(waiting), reslotted
    assert asked <= 3 * len(waiting), asked
    went.sort()
    assert min(b - a for a, b in itertools.pairwise(went)) >= 0.05 - 1e-5


def test_waits_never_exceed_the_horizon(redis_client: redis.Redis, prefix: str) -> None:
    """A one-hour Retry-After does not become a one-hour countdown (past the broker's visibility timeout)."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=1.0, horizon=120.0)
    reserved = limiter.acquire(HOST)
    assert reserved.go
    held = limiter.acquire(HOST)
    limiter.push_back(HOST, 3600)
    assert limiter.acquire(HOST).wait <= 120.0
    assert held.reserved and limiter.acquire(HOST, reserved=held.reserved).wait <= 120.0


def test_late_claims_are_committed_in_turn_instead_of_behind_the_queue(redis_client: redis.Redis,
                                                                      prefix: str) -> None:
    """Deferred tasks come back a little late all the time. Two late claims that find another request
    just went are committed one and two intervals later (their own moments, not a herd), instead of
    being sent behind a queue of 30 reservations and leaving their slots of the host's budget unused."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=5.0)  # 0.204 s apart
    assert all(limiter.acquire(HOST).go for _ in range(3))  # now, and two committed within 0.5 s
    a, b, c, *_queue = [limiter.acquire(HOST) for _ in range(30)]
    assert not (a.go or b.go or c.go) and c.reserved is not None
    time.sleep(c.wait + 0.01)  # all three are due, and late
    assert limiter.acquire(HOST, reserved=c.reserved).go
    went = [last_request(redis_client, prefix)]
    late_a = limiter.acquire(HOST, reserved=a.reserved)
    late_b = limiter.acquire(HOST, reserved=b.reserved)
    assert late_a.go and late_b.go, (late_a, late_b)
    assert 0.18 <= late_a.wait <= 0.204 and 0.38 <= late_b.wait <= 0.408, (late_a.wait, late_b.wait)
    assert late_a.reserved is not None and late_b.reserved is not None
    went += [float(late_a.reserved), float(late_b.reserved)]
    assert went[-1] == last_request(redis_client, prefix)
    assert min(b - a for a, b in itertools.pairwise(went)) >= 0.204 - 1e-5
    assert went[-1] - went[0] < 0.6  # both within moments, not behind the queue (6 s later)
