"""Outcomes other than success: a stage raises one of these and the pipeline turns it into a record."""

from __future__ import annotations

from redis import exceptions as redis_errors


class Drop(Exception):
    """The input is not (or no longer) an article: the record ends with status ``dropped``.

    ``reason`` is a short, stable snake_case code that downstream consumers can count and filter by.
    """

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message


class Failure(Exception):
    """The stage could not process the input: the record ends with status ``failed``.

    Unlike :class:`Drop`, a failure is about the pipeline or the source (unreadable, timed out),
    not about the content.
    """

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class Retryable(Failure):
    """A failure that may go away if the stage runs again later (timeouts, 5xx, 429).

    ``retry_after`` is the delay in seconds the source asked for, if it said one.
    """

    def __init__(self, code: str, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class Deferred(Retryable):
    """Not now, but not a failure either: the host is over its politeness budget, come back in ``delay``
    seconds. Runners re-schedule it without blocking a worker and without counting a retry attempt.

    It subclasses :class:`Retryable` so that the pipeline's rules let it escape to the runner.
    """

    def __init__(self, delay: float, message: str = "") -> None:
        super().__init__("deferred", message, retry_after=delay)
        self.delay = delay


class Unchanged(Exception):
    """A conditional re-fetch was answered ``304 Not Modified``: the article is as delivered before."""


class InfrastructureError(Retryable):
    """Something the pipeline stands on failed (Redis, a sink's file), not the input: retried with
    back-off like any retryable failure, and never turned into a verdict on the article.

    Codes: ``redis_unavailable`` (no connection, timeout, loading, read-only replica), ``redis_full``
    (Redis at ``maxmemory`` refused a write), ``sink_error`` (a sink could not write: the OS message
    says why).
    """


def infrastructure_error(exc: BaseException) -> InfrastructureError | None:
    """The infrastructure failure ``exc`` stands for, or ``None`` if it is not one.

    Redis errors are classified by type, so a Redis outage met anywhere (the rate limiter, the dedup
    index, a claim check) is retried instead of failing the article as ``internal_error``.
    """
    if isinstance(exc, InfrastructureError):
        return exc
    if isinstance(exc, redis_errors.OutOfMemoryError) or _MAXMEMORY_REFUSAL in str(exc):
        return InfrastructureError("redis_full", f"Redis is out of memory: {exc}")
    if isinstance(exc, _REDIS_UNAVAILABLE):
        return InfrastructureError("redis_unavailable", f"{type(exc).__name__}: {exc}")
    return None


_MAXMEMORY_REFUSAL = "used memory > 'maxmemory'"
"""What Redis says when it refuses a write; kept when another layer (kombu's publish) wraps the error."""

_REDIS_UNAVAILABLE = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError,
                      redis_errors.ReadOnlyError, redis_errors.MasterDownError, redis_errors.TryAgainError)
