"""No orphans: whatever ends ``newsmill run`` (Ctrl-C, SIGTERM, SIGHUP, even SIGKILL), the server and workers it
started stop and its temporary files go.

``run`` starts a small watchdog process (``python -m workers.lifeline``) whose standard input is a pipe that
only ``run`` holds open. ``run`` tells it, line by line, which process groups it started, which folder holds
its temporary files and which scratch files it keeps elsewhere (beside ``-o``). When that pipe reaches end of
file (``run`` exited, however it died: the kernel closes a dead process's descriptors), the watchdog
terminates those process groups (SIGTERM, then SIGKILL after a grace period) and removes the folder and the
scratch files. A clean exit says ``done`` first, after ``run`` stopped everything itself. The watchdog runs in
a session of its own, so a signal to ``run``'s process group does not stop it before its work is done.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

GRACE_SECONDS = 10.0
"""How long a worker gets to stop after SIGTERM before it is killed (it stops taking tasks at once)."""


class Lifeline:
    """The parent's end: registers what the watchdog must clean up if this process dies."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "workers.lifeline"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        assert self._watchdog.stdin is not None
        self._pipe: IO[bytes] = self._watchdog.stdin
        self._send(f"dir {directory}")

    def _send(self, line: str) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._pipe.write(line.encode() + b"\n")
            self._pipe.flush()

    def watch(self, process: subprocess.Popen[bytes]) -> None:
        """Stop ``process``'s group (it was started with ``start_new_session``) if we die."""
        self._send(f"group {process.pid}")

    def remove_on_death(self, path: Path) -> None:
        """Remove ``path`` if we die (a scratch file that must sit beside the output, not in our folder)."""
        self._send(f"file {path}")

    def close(self) -> None:
        """Everything was stopped and removed by us: the watchdog only checks, then exits."""
        self._send("done")
        with contextlib.suppress(BrokenPipeError, OSError):
            self._pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._watchdog.wait(timeout=GRACE_SECONDS + 10)


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def clean_up(groups: list[int], directory: Path | None, files: Sequence[Path] = ()) -> None:
    """SIGTERM each process group, SIGKILL what is left after the grace period, remove ``directory`` and
    ``files``."""
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while any(_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
    for path in files:
        with contextlib.suppress(OSError):
            path.unlink()


def watchdog(stream: IO[bytes]) -> None:
    groups: list[int] = []
    directory: Path | None = None
    files: list[Path] = []
    for raw in stream:
        word, _, value = raw.decode(errors="replace").strip().partition(" ")
        if word == "dir":
            directory = Path(value)
        elif word == "group":
            groups.append(int(value))
        elif word == "file":
            files.append(Path(value))
        elif word == "done":
            # The parent stopped its groups itself; signalling them now could hit a reused group id. Its
            # scratch files are its own to finish or remove from here on.
            groups, files = [], []
            break
    clean_up(groups, directory, files)


if __name__ == "__main__":
    # The terminal's Ctrl-C and hang-up are for `run`, which tells us (or dies and closes the pipe).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    watchdog(sys.stdin.buffer)
