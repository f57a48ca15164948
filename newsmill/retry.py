"""The one back-off policy of the project: exponential with full jitter, or what the source asked for.

Every runner that retries (Celery tasks, the in-process runner, feed and sitemap discovery in the
producer, workers waiting for a full Redis) asks this module how long to wait, so that they all behave
alike and one setting changes them all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` retries after the first attempt; the n-th waits up to ``base * 2**n`` seconds."""

    max_retries: int = 3
    base: float = 2.0
    cap: float = 300.0
    jitter: bool = True

    def delay(self, retries: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retries + 1`` (``retries`` already made).

        ``retry_after`` is what the source asked for (an HTTP ``Retry-After``): honoured, within the cap.
        Full jitter (a uniform draw up to the exponential bound) keeps many workers that failed together
        from coming back together.
        """
        if retry_after is not None:
            return min(self.cap, max(0.0, retry_after))
        bound = min(self.cap, self.base * 2.0 ** max(0, retries))
        return random.uniform(0.0, bound) if self.jitter else bound

    def exhausted(self, retries: int) -> bool:
        """True when ``retries`` retries were made already and no more are allowed."""
        return retries >= self.max_retries
