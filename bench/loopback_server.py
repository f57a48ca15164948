"""A lean loopback HTTP/1.1 server for the fetch benchmarks, run as its own process.

The tests' ``HTTPTestServer`` (stdlib ``ThreadingHTTPServer``: a thread per connection, the email
parser for headers) cost about 7 ms of CPU per request inside the benchmark's own process, more than the
io workers it was measuring (``bench/fetch_throughput.py`` prints CPU per page by process). This one is
one asyncio loop: every request is answered with the same page after ``--latency`` seconds (the waits
overlap), ``/robots.txt`` with a 404 (no rules), keep-alive honoured; ``--log`` records when each page
request arrived. Nothing else: it exists to be cheap, so that a benchmark measures the client side.

    python bench/loopback_server.py --latency 0.1 --body-file page.html   # prints "port N", then serves
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

_MAX_HEAD = 64 * 1024


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n")
    return head.encode("ascii") + body


async def _serve(latency: float, page: bytes, log: Path | None) -> None:
    ok = _response("200 OK", page, "text/html; charset=utf-8")
    missing = _response("404 Not Found", b"not found", "text/plain")
    arrivals = log.open("a", buffering=1) if log else None  # line-buffered: readable while serving

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if len(head) > _MAX_HEAD:
                    break
                target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
                if arrivals is not None and not target.startswith(b"/robots.txt"):
                    arrivals.write(f"{time.time():.6f}\n")
                await asyncio.sleep(latency)
                writer.write(missing if target.startswith(b"/robots.txt") else ok)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=1024, limit=_MAX_HEAD)
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    async with server:
        await server.serve_forever()


class LoopbackServer:
    """This server in a child process, for a ``with`` block: ``port`` and ``pid`` once started."""

    def __init__(self, latency: float, page: bytes, *, log_arrivals: bool = False) -> None:
        self._latency = latency
        self._page = page
        self._log = Path(tempfile.mkdtemp(prefix="loopback-log-")) / "arrivals.txt" if log_arrivals else None
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> LoopbackServer:
        body = Path(tempfile.mkdtemp(prefix="loopback-")) / "page.html"
        body.write_bytes(self._page)
        command = [sys.executable, __file__, "--latency", str(self._latency), "--body-file", str(body)]
        if self._log is not None:
            command += ["--log", str(self._log)]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("port "):
            self._process.kill()
            raise RuntimeError(f"the loopback server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def arrivals(self) -> list[float]:
        """When each page request arrived so far (``log_arrivals=True``), epoch seconds."""
        assert self._log is not None
        return [float(line) for line in self._log.read_text().split()] if self._log.exists() else []

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each response")
    parser.add_argument("--body-file", type=Path, required=True, help="the page every request gets")
    parser.add_argument("--log", type=Path, help="append each page request's arrival time (epoch s) here")
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.latency, args.body_file.read_bytes(), args.log))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
