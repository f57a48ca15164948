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
