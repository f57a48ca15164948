"""Benchmark (not a test): what the pipeline costs beyond its extractor, with no enrichment.

On the same N dev-corpus pages and cores, measured one after the other:

(t) trafilatura alone: ``bare_extraction(with_metadata=True)`` in a pool of one process per core (the
    pool started and its imports done before the clock starts, as a long-lived extractor would be);
(r) ``newsmill run DIR --enrich reading_time`` (clean and extract only), timed as a whole process:
    start-up of its embedded server and workers included, as a user sees it;
(w) the same run's steady state: from its first record to its last, over the records in between.

Printed: pages/s of each and the ratios r/t and w/t; then where the clean stage's time goes in this
process (CPU ms per page of each step, over the same pages), the profile that explains the gap.

Pages from the WCXB dev corpus (Murrough Foley, 2026, CC-BY-4.0) unless a folder is given.

    python bench/clean_only.py [-n 300] [--folder DIR] [--cores 2]
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import multiprocessing
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_FOLDER = ROOT.parent / "shared" / "corpus" / "wcxb-dev" / "html"


def read_page(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def _trafilatura_one(path: str) -> bool:
    import trafilatura

    return trafilatura.bare_extraction(read_page(Path(path)), with_metadata=True) is not None


def _warm(_: int) -> None:
    import trafilatura  # noqa: F401 - the import is the warm-up


def trafilatura_rate(pages: list[Path], cores: int) -> float:
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        pool.map(_warm, range(cores))
        started = time.perf_counter()
        pool.map(_trafilatura_one, [str(p) for p in pages], chunksize=4)
        return len(pages) / (time.perf_counter() - started)


def run_rates(pages: list[Path], cores: int) -> tuple[float, float, int]:
    work = Path(tempfile.mkdtemp(prefix="newsmill-bench-clean-"))
    try:
        inputs = work / "in"
        inputs.mkdir()
        for page in pages:
            shutil.copy(page, inputs / page.name)
        out = work / "out.jsonl"
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
        started = time.perf_counter()
        arrivals: list[float] = []
        proc = subprocess.Popen([sys.executable, "-m", "workers.cli", "run", str(inputs), "-o", str(out),
                                 "--enrich", "reading_time", "--workers", str(cores)],
                                env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = 0
        while proc.poll() is None:
            if out.exists():
                count = out.read_bytes().count(b"\n")
                arrivals += [time.perf_counter()] * (count - seen)
                seen = count
            time.sleep(0.05)
        whole = time.perf_counter() - started
        _, stderr = proc.communicate()
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        if proc.returncode not in (0, 3) or len(records) != len(pages):
            raise SystemExit(f"run failed ({proc.returncode}): {stderr.decode(errors='replace')[-1500:]}")
        ok = sum(r["status"] == "ok" for r in records)
        steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
        return len(pages) / whole, steady, ok
    finally:
        shutil.rmtree(work, ignore_errors=True)


def clean_profile(pages: list[Path], top: int) -> None:
    """CPU time of the clean and extract stages in this process, by function (cumulative)."""
    from newsmill.pipeline import run_stage, stages_for, warm_up
    from newsmill.record import Source, WorkItem
    from newsmill.resources import Resources
    from newsmill.settings import Settings
    from workers.embedded import embedded_server

    with embedded_server() as server:
        settings = Settings.from_env({"NEWSMILL_ENRICH": "reading_time"}, redis_url=server.url,
                                     prefix="bench-clean-only")
        res = Resources(settings)
        warm_up(settings)
        profiler = cProfile.Profile(time.process_time)
        spent: dict[str, float] = {}
        for page in pages:
            payload: object = WorkItem("bench", Source("file", str(page)))
            for stage in stages_for(Source("file", str(page)), settings.enrich):
                if stage.name in ("clean", "extract"):
                    before = time.process_time()
                    profiler.enable()
                    payload = run_stage(stage, payload, res)  # type: ignore[arg-type]
                    profiler.disable()
                    spent[stage.name] = spent.get(stage.name, 0.0) + time.process_time() - before
                else:
                    payload = run_stage(stage, payload, res)  # type: ignore[arg-type]
        res.close()
    print("in-process CPU ms per page: " + ", ".join(f"{k} {v * 1000 / len(pages):.1f}" for k, v in spent.items()))
    print(f"profile of clean + extract, top {top} by cumulative CPU time (cProfile adds its own overhead):")
    stats = pstats.Stats(profiler)
    total = sum(spent.values())
    rows = []
    for (filename, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        rows.append((cumulative, f"{where}:{line} {name}"))
    for cumulative, label in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative * 1000 / len(pages):7.1f} ms/page {cumulative / total:6.1%}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--top", type=int, default=40, help="rows of the profile")
    args = parser.parse_args()
    pages = sorted(p for p in args.folder.rglob("*") if p.is_file())[: args.n]

    from workers.logging import configure_logging

    configure_logging(log_format="json", level="WARNING")
    traf = trafilatura_rate(pages, args.cores)
    whole, steady, ok = run_rates(pages, args.cores)
    print(f"pages: {len(pages)}  cores: {args.cores}  folder: {args.folder}")
    print(f"(t) trafilatura bare_extraction, pool of {args.cores}: {traf:6.1f} pages/s")
    print(f"(r) newsmill run --enrich reading_time, whole:  {whole:6.1f} pages/s   x{whole / traf:.2f} of (t)")
    print(f"(w) the same run, first to last record:         {steady:6.1f} pages/s   x{steady / traf:.2f} of (t)"
          f"   ({ok} ok)")
    clean_profile(pages, args.top)


if __name__ == "__main__":
    main()
