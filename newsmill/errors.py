"""Outcomes other than success: a stage raises one of these and the pipeline turns it into a record."""

from __future__ import annotations


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
