"""CPU profile of every thread of a benchmark's worker processes, for ``--profile DIR``.

The benchmarks put this folder first on ``PYTHONPATH`` of the workers they start, so Python imports it at
start-up (``sitecustomize``) and nothing in newsmill's own code knows about profiling. With
``NEWSMILL_BENCH_PROFILE=DIR`` set, every thread gets its own :class:`cProfile.Profile` timed by
``time.thread_time`` (CPU time of that thread, not the wall clock: an io worker's threads spend most of
their time waiting on sockets, and a wall-clock profile would say so and nothing else); at exit the
profiles are merged into ``DIR/<pid>.pstats``.
"""

from __future__ import annotations

import os

_DIR = os.environ.get("NEWSMILL_BENCH_PROFILE")

if _DIR:
    import atexit
    import cProfile
    import pstats
    import sys
    import threading
    import time
    from typing import Any

    _profiles: list[cProfile.Profile] = []
    _lock = threading.Lock()

    def _start() -> cProfile.Profile:
        profile = cProfile.Profile(time.thread_time)
        with _lock:
            _profiles.append(profile)
        profile.enable()
        return profile

    def _in_new_thread(*_: Any) -> None:
        # threading.setprofile's hook runs once, first thing in each new thread: swap it for a profiler.
        sys.setprofile(None)
        _start()

    class _Snapshot:
        """What pstats reads from a profile, taken without disabling it (other threads may still run)."""

        def __init__(self, profile: cProfile.Profile) -> None:
            profile.snapshot_stats()
            self.stats = profile.stats  # type: ignore[attr-defined]

        def create_stats(self) -> None:
            pass

    def _dump() -> None:
        with _lock:
            profiles = list(_profiles)
        merged = pstats.Stats(_Snapshot(profiles[0]))  # type: ignore[arg-type]
        for profile in profiles[1:]:
            merged.add(_Snapshot(profile))  # type: ignore[arg-type]
        os.makedirs(_DIR, exist_ok=True)
        merged.dump_stats(os.path.join(_DIR, f"{os.getpid()}.pstats"))

    threading.setprofile(_in_new_thread)
    _start()
    atexit.register(_dump)
