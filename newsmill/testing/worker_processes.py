"""Real ``newsmill worker`` processes for tests and benchmarks, each in a process group of its own so
stopping one also stops its pool children."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from newsmill.processes import stop_process_group

PING_SECONDS = 1.0
"""How long one ``newsmill healthcheck`` waits for the workers' answers."""


class WorkersNotReady(AssertionError):
    """A worker exited, or too few answered in time. An AssertionError, so a test reports it as the
    failure it is, with the workers' logs in the message."""


CountAnswering = Callable[[dict[str, str]], int]
"""How many workers started with this environment answer a ping now."""


class WorkerProcesses:
    """``newsmill worker`` processes started with ``env`` (broker, prefix, sink) and logging into
    ``log_dir``; :meth:`stop` stops (and reaps) them.

    ``cwd`` is where the processes run: a checkout's root, so ``python -m workers.cli`` imports that
    checkout's code ahead of an installed copy. ``count_answering`` replaces the readiness probe
    (:meth:`answering` in a subprocess) with one that can ask the broker in-process, as the tests do:
    a subprocess pays Python's and the Celery app's start-up on every probe, a few seconds per
    :meth:`wait_ready` on a busy machine.
    """

    def __init__(self, env: dict[str, str], log_dir: Path, *, cwd: Path | None = None,
                 count_answering: CountAnswering | None = None) -> None:
        self.env = env
        self.log_dir = log_dir
        self.cwd = cwd
        self.count_answering = count_answering
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start one worker with ``newsmill worker`` options ``args`` (``--queues io --pool threads``)."""
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker", *args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.cwd,
        )
        log.close()
        self.processes.append(process)
        return process

    def wait_ready(self, count: int | None = None, timeout: float = 60.0) -> None:
        """Wait until ``count`` workers (default: all started) answer a ping through the broker, that is,
        until they are consuming."""
        expected = count if count is not None else len(self.processes)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise WorkersNotReady(f"worker exited with code {process.returncode}: {self.logs()}")
            answering = (self.count_answering(self.env) if self.count_answering
                         else len(self.answering()))
            if answering >= expected:
                return
        raise WorkersNotReady(f"workers not ready after {timeout}s: {self.logs()}")

    def answering(self) -> list[str]:
        """Node names of the workers on this host that answer a ping within :data:`PING_SECONDS`."""
        probe = subprocess.run(
            [sys.executable, "-m", "workers.cli", "healthcheck", "--timeout", str(PING_SECONDS)],
            env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=60, check=False,
        )
        # Exit 1 with nothing on stdout is "no worker answered"; the names are space-separated.
        return probe.stdout.split() if probe.returncode == 0 else []

    def logs(self, tail: int | None = 3000) -> str:
        """The workers' logs, the last ``tail`` characters of each (all of them with ``tail=None``)."""
        texts = (p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))
        return "\n".join(text[-tail:] if tail else text for text in texts)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM each worker's group (a warm shutdown: running tasks finish), then SIGKILL what is left
        after ``grace`` seconds."""
        for process in self.processes:
            stop_process_group(process, grace=grace)
        self.processes.clear()

