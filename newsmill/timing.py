"""A stopwatch for provenance: the pipeline times every stage it runs (:func:`newsmill.pipeline.run_stage`)."""

from __future__ import annotations

import time


class Stopwatch:
    """Started on creation; ``ms`` is the time elapsed since then."""

    __slots__ = ("_start",)

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self._start) * 1000.0
