"""The per-host slot script against the real Redis: spacing holds even when a reserved slot is claimed
late, and a Retry-After push-back holds back slots that were already reserved."""

from __future__ import annotations

import itertools
import time

import redis

from newsmill.fetch.ratelimit import HostRateLimiter

HOST = "example.test"


def last_request(client: redis.Redis, prefix: str) -> float:
    """When the host last got a request, on Redis's clock (the script's own record, free of the test's
    scheduling jitter)."""
    return float(client.hget(f"{prefix}:slots:{HOST}", "last") or 0)


def claim_when_due(limiter: HostRateLimiter, reserved: str, *, crawl_delay: float | None = None,
                   give_up: float = 10.0) -> float:
    """Claim ``reserved`` the way a deferred task does (sleep the wait, ask again); the time it went."""
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        slot = limiter.acquire(HOST, crawl_delay=crawl_delay, reserved=reserved)
        if slot.go:
            return time.monotonic()
        reserved = slot.reserved or reserved  # a held-back reservation may be handed a fresh slot
        time.sleep(slot.wait)
    raise AssertionError("reserved slot never came due")


def test_first_request_goes_and_the_next_is_reserved_one_interval_later(redis_client: redis.Redis,
                                                                       prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=4.0)
    assert limiter.acquire(HOST).go
    second = limiter.acquire(HOST)
    assert not second.go and second.reserved is not None
    assert 0.2 <= second.wait <= 0.25
    third = limiter.acquire(HOST)
    assert 0.45 <= third.wait <= 0.5


def test_crawl_delay_longer_than_the_rate_wins(redis_client: redis.Redis, prefix: str) -> None:
    limiter = HostRateLimiter(redis_client, prefix, default_rate=50.0)
    assert limiter.interval(HOST) == 0.02
    assert limiter.interval(HOST, crawl_delay=2.0) == 2.0
    assert limiter.acquire(HOST, crawl_delay=2.0).go
    assert 1.9 <= limiter.acquire(HOST, crawl_delay=2.0).wait <= 2.0


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
    limiter = HostRateLimiter(redis_client, prefix, default_rate=10.0)
    assert limiter.acquire(HOST).go
    reserved = limiter.acquire(HOST)
    assert reserved.reserved and reserved.wait <= 0.1
    limiter.push_back(HOST, 1.0)
    pushed = time.monotonic()
    went = claim_when_due(limiter, reserved.reserved)
    assert went - pushed >= 0.95
    assert limiter.acquire(HOST).wait >= 0.05  # and new slots queue behind it


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
    """20 reservations, then a Retry-After: each held-back one is re-slotted once, not re-deferred
    over and over, and the requests still go one interval apart."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=20.0)  # 0.05 s apart
    assert limiter.acquire(HOST).go
    waiting = [limiter.acquire(HOST) for _ in range(20)]
    assert all(slot.reserved for slot in waiting)
    limiter.push_back(HOST, 0.5)
    pending = {index: (time.monotonic() + slot.wait, slot.reserved) for index, slot in enumerate(waiting)}
    asked, reslotted, went = 0, 0, []
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        index, (due, reserved) = min(pending.items(), key=lambda item: item[1][0])
        time.sleep(max(0.0, due - time.monotonic()))
        slot = limiter.acquire(HOST, reserved=reserved)
        asked += 1
        if slot.go:
            went.append(last_request(redis_client, prefix))
            del pending[index]
        else:
            reslotted += slot.reserved != reserved
            pending[index] = (time.monotonic() + slot.wait, slot.reserved)
    assert not pending
    # Each one held back by the Retry-After is re-slotted once; the rest may wait a moment in place.
    assert reslotted <= len(waiting), reslotted
    assert asked <= 3 * len(waiting), asked
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


def test_late_claims_wait_a_moment_in_a_lane_instead_of_behind_the_queue(redis_client: redis.Redis,
                                                                         prefix: str) -> None:
    """Deferred tasks come back a little late all the time. Two late claims that find another request
    just went keep their slots and wait one and two intervals (their own moments, not a herd), instead of
    being sent behind a queue of 30 reservations and leaving their slots of the host's budget unused."""
    limiter = HostRateLimiter(redis_client, prefix, default_rate=20.0)  # 0.05 s apart
    assert limiter.acquire(HOST).go
    a, b, c, *_queue = [limiter.acquire(HOST) for _ in range(30)]
    time.sleep(c.wait + 0.01)  # all three are due, and late
    assert c.reserved is not None and limiter.acquire(HOST, reserved=c.reserved).go
    late_a = limiter.acquire(HOST, reserved=a.reserved)
    late_b = limiter.acquire(HOST, reserved=b.reserved)
    assert (late_a.reserved, late_b.reserved) == (a.reserved, b.reserved)
    assert 0.03 <= late_a.wait <= 0.05 and 0.08 <= late_b.wait <= 0.1, (late_a.wait, late_b.wait)
    went = [last_request(redis_client, prefix)]
    for reserved in (late_a.reserved, late_b.reserved):
        assert reserved is not None
        claim_when_due(limiter, reserved)
        went.append(last_request(redis_client, prefix))
    assert min(b - a for a, b in itertools.pairwise(went)) >= 0.05 - 1e-5
    assert went[-1] - went[0] < 0.8  # both within moments, not behind the queue (1.5 s later)
