"""The project's one back-off policy."""

from __future__ import annotations

from newsmill.retry import RetryPolicy


def test_full_jitter_stays_under_the_exponential_bound_and_the_cap() -> None:
    policy = RetryPolicy(max_retries=3, base=2.0, cap=10.0)
    for retries, bound in ((0, 2.0), (1, 4.0), (2, 8.0), (5, 10.0)):
        draws = [policy.delay(retries) for _ in range(200)]
        assert all(0.0 <= d <= bound for d in draws)
        assert max(draws) > bound / 2, "draws spread over the whole range"


def test_what_the_source_asked_for_is_honoured_within_the_cap() -> None:
    policy = RetryPolicy(cap=300.0)
    assert policy.delay(0, retry_after=42.0) == 42.0
    assert policy.delay(0, retry_after=3600.0) == 300.0
    assert policy.delay(0, retry_after=-5.0) == 0.0


def test_exhausted_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=2)
    assert [policy.exhausted(n) for n in range(4)] == [False, False, True, True]
