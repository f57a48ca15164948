"""Durations (``30s``, ``10m``, ``1h30m``, ``2d``), and the arithmetic of when a source is polled next:
back-off after failures, jitter."""

from __future__ import annotations

import random
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``10m``, ``1h``, ``1h30m``, ``1.5d``; raises ``ValueError`` with a one-line
    message naming the value for anything else (a bare number included: minutes or seconds?)."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise ValueError(f"{text!r} is not a duration: expected e.g. 30s, 10m, 1h, 1h30m, 2d")
    seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a duration: it must be longer than 0s")
    return seconds


def format_duration(seconds: float) -> str:
    """``600`` → ``10m``, ``5400`` → ``1h30m``: whole units largest first, as :func:`parse_duration` reads
    them (a fraction of a second stays ``1.5s``)."""
    if seconds != int(seconds) or seconds <= 0:
        return f"{seconds:g}s"
    left, parts = int(seconds), []
    for unit in ("d", "h", "m", "s"):
        count, left = divmod(left, int(_UNITS[unit]))
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def backoff(every: float, failures: int, cap: float) -> float:
    """The wait after ``failures`` consecutive failed polls: the interval doubled per failure, at most
    ``cap`` (never less than the interval itself: back-off never polls a source more often)."""
    if failures <= 0:
        return every
    ceiling = max(every, cap)
    # 2**failures overflows a float past ~1000 failures; the cap is reached long before.
    return min(ceiling, every * 2.0 ** min(failures, 64))


def jittered(seconds: float, fraction: float, rng: random.Random | None = None) -> float:
    """``seconds`` stretched or shrunk by up to ``fraction`` of itself, uniformly at random."""
    if fraction <= 0:
        return seconds
    return seconds * (1.0 + (rng or random).uniform(-fraction, fraction))
