"""Benchmark (not a test): does the distributed pipeline scale with cpu worker processes?

The same dev-corpus pages go through the distributed chain (an ``io`` worker and a ``cpu`` worker, default
enrichment, the default task granularity) with 1 and then 2 prefork processes in the cpu worker; printed:
articles/s for each and the ratio (2 processes on 2 cores should approach 2.0). Uses the runner of
``bench/throughput.py``. Pages from the WCXB dev corpus (Murrough Foley, 2026, CC-BY-4.0) unless a folder
is given.

    python bench/scaling.py [-n 120] [--folder DIR] [--max-processes 2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from throughput import DEFAULT_FOLDER, bench_distributed, pick_pages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=120, help="articles per measurement")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--max-processes", type=int, default=os.cpu_count() or 1,
                        help="measure 1, 2, … up to this many cpu pool processes")
    args = parser.parse_args()

    from newsmill.settings import Settings
    from workers.embedded import embedded_server

    granularity = Settings().task_granularity
    pages = pick_pages(args.folder, args.n)
    rates: dict[int, float] = {}
    with embedded_server() as server:
        for processes in range(1, args.max_processes + 1):
            rates[processes] = bench_distributed(server.url, pages, processes, granularity)
    print(f"articles: {len(pages)}  cores: {os.cpu_count()}  granularity: {granularity}  folder: {args.folder}")
    for processes, rate in rates.items():
        print(f"cpu pool processes {processes}: {rate:6.2f} articles/s   x{rate / rates[1]:.2f} of one process")


if __name__ == "__main__":
    main()
