"""Local processes for the deployment tests: started with their own log file, stopped and reaped at the end."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from newsmill.processes import stop_process_group


class ProcessGroup:
    """Processes started by one test; ``stop()`` ends them all, latest first."""

    def __init__(self, log_dir: Path, cwd: Path) -> None:
        self.log_dir = log_dir
        self.cwd = cwd
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}-{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(argv, env=env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.started.append((name, process))
        return process

    def assert_alive(self) -> None:
        for name, process in self.started:
            assert process.poll() is None, f"{name} exited with {process.returncode}:\n{self.logs()}"

    def logs(self, tail: int = 2500) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}"
                         for p in sorted(self.log_dir.glob("*.log")))

    def stop(self) -> None:
        for _name, process in reversed(self.started):
            stop_process_group(process, grace=20)
        self.started.clear()


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, group: ProcessGroup | None = None,
               interval: float = 0.5) -> None:
    """Poll ``check`` until it is true; fail with the processes' logs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if group is not None:
            group.assert_alive()
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{group.logs() if group else ''}")


def http_ok(url: str, *, auth: tuple[str, str] | None = None) -> bool:
    try:
        return httpx.get(url, auth=auth, timeout=5).status_code == 200
    except httpx.TransportError:
        return False
