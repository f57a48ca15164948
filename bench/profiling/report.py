"""``--profile DIR`` of the fetch benchmarks: start workers under :mod:`sitecustomize` of this folder, then
print where their CPU time went (merged over every thread of every worker process)."""

from __future__ import annotations

import os
import pstats
from pathlib import Path

HERE = Path(__file__).resolve().parent


def profiled(env: dict[str, str], out: Path) -> dict[str, str]:
    """``env`` for worker processes that profile every thread into ``out``."""
    path = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path, "NEWSMILL_BENCH_PROFILE": str(out)}


def print_report(out: Path, pids: list[int], *, lines: int = 45) -> None:
    """The workers' merged profile by own time and by cumulative time; saved as ``out/workers.pstats``."""
    files = [str(out / f"{pid}.pstats") for pid in pids if (out / f"{pid}.pstats").exists()]
    if not files:
        print(f"no profile in {out} for {pids}")
        return
    stats = pstats.Stats(*files)
    stats.dump_stats(str(out / "workers.pstats"))
    print(f"CPU seconds of {len(files)} worker processes (every thread, time.thread_time): "
          f"{stats.total_tt:.1f}")  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
