"""Stopping a process group: a worker and its pool children, started with ``start_new_session=True``.

Shared by the embedded runner (``workers/embedded.py``) and the test and benchmark harness
(``newsmill/testing``), which sits below ``workers`` and so cannot import it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``process``, wait up to ``grace`` seconds, then SIGKILL the group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # Pool children may outlive their parent for a moment: clear the whole group either way.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
