"""How the watcher schedules its polls: one value object, composed into the settings by
:mod:`newsmill.settings` (which imports this module, never the other way)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WatchOptions:
    every: float = 600.0
    """Seconds between two polls of a source that names no interval of its own."""
    jitter: float = 0.1
    """Each wait is stretched or shrunk by up to this fraction, at random, so sources added together do
    not stay in lock-step and hosts do not see a poll on the dot."""
    max_backoff: float = 6 * 3600.0
    """Longest wait after failures (never shorter than the source's own interval)."""
    concurrency: int = 4
    """Sources polled at once (threads): a feed that times out holds back no more than its own slot."""
    seen_window: float = 30 * 24 * 3600.0
    """A URL a watched source listed is not enqueued again until this long after the last poll that
    listed it."""
