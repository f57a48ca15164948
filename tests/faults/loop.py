"""Run fault scenarios many times and print what an operator would want to know of each: runs, lost,
duplicated, stalled, and the worst recovery time (fault healed → job finished).

    python -m tests.faults.loop --runs 5                         # every scenario, Redis then RabbitMQ
    python -m tests.faults.loop --runs 10 --broker redis redis_crash network_cut_hold

Not a test: the tests in this folder run each scenario once. Work folders of runs that went wrong are
kept (their path is printed) with the workers' logs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.harness import SCENARIOS, Outcome, recovery_bound, run_scenario


@dataclass
class Tally:
    runs: int = 0
    lost: int = 0
    duplicated: int = 0
    stalled: int = 0
    leftovers: int = 0
    unexpected_exits: int = 0
    recoveries: list[float] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome, killed: str | None) -> bool:
        self.runs += 1
        self.lost += outcome.lost
        self.duplicated += outcome.duplicated_jsonl + outcome.duplicated_stream
        self.stalled += int(outcome.stalled)
        self.leftovers += int(bool(outcome.leftovers))
        self.unexpected_exits += len([e for e in outcome.worker_exits if e[0] != killed])
        if outcome.recovery_s is not None:
            self.recoveries.append(outcome.recovery_s)
        return not (outcome.lost or outcome.duplicated_jsonl or outcome.duplicated_stream or outcome.stalled
                    or outcome.leftovers)


KILLED = {"kill_cpu_worker": "cpu", "kill_io_worker": "io"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help=f"from {', '.join(SCENARIOS)}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--broker", choices=["redis", "rabbitmq", "both"], default="both")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="a folder of real pages to use as inputs instead of the shipped texts")
    args = parser.parse_args(argv)
    brokers = ["redis", "rabbitmq"] if args.broker == "both" else [args.broker]
    tallies: dict[tuple[str, str], Tally] = {}
    for broker in brokers:
        for name in args.scenarios:
            scenario = SCENARIOS[name]
            tally = tallies.setdefault((name, broker), Tally())
            for run in range(args.runs):
                workdir = Path(tempfile.mkdtemp(prefix=f"newsmill-fault-{name}-{broker}-"))
                options = dict(scenario.options)
                if args.corpus is not None and "inputs_folder" not in options:
                    options["inputs_folder"] = args.corpus
                started = time.monotonic()
                try:
                    outcome = run_scenario(name, scenario.fault, workdir / "world", broker=broker, **options)
                except Exception as exc:  # a run that could not even start is reported, not hidden
                    print(f"{name} [{broker}] run {run + 1}: error {type(exc).__name__}: {exc}", flush=True)
                    tally.runs += 1
                    tally.stalled += 1
                    tally.kept.append(str(workdir))
                    continue
                clean = tally.add(outcome, KILLED.get(name))
                print(f"{name} [{broker}] run {run + 1}: finished={outcome.finished} lost={outcome.lost} "
                      f"dup={outcome.duplicated_jsonl}/{outcome.duplicated_stream} recovery={outcome.recovery_s}s "
                      f"exits={outcome.worker_exits} ({time.monotonic() - started:.0f} s)", flush=True)
                if clean:
                    shutil.rmtree(workdir, ignore_errors=True)
                else:
                    (workdir / "notes.txt").write_text("\n".join(outcome.notes), encoding="utf-8")
                    tally.kept.append(str(workdir))
    bound = recovery_bound({"NEWSMILL_HARD_TIME_LIMIT": "30"})
    print(f"\n| scenario | broker | runs | lost | duplicated | stalled | left behind | worker exits | "
          f"worst recovery (bound {bound:.0f} s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, broker), tally in tallies.items():
        worst = f"{max(tally.recoveries):.1f} s" if tally.recoveries else "-"
        print(f"| {name} | {broker} | {tally.runs} | {tally.lost} | {tally.duplicated} | {tally.stalled} | "
              f"{tally.leftovers} | {tally.unexpected_exits} | {worst} |")
    kept = [path for tally in tallies.values() for path in tally.kept]
    if kept:
        print("\nkept for inspection:", *kept, sep="\n  ")
    bad = any(t.lost or t.duplicated or t.stalled or t.leftovers for t in tallies.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
