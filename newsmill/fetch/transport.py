"""The connection layer: resolve, check, connect to the checked address, and keep a wall-clock deadline.

httpx resolves names inside the socket connect, after any check we could make on the URL, so a name
could resolve to a public address for the check and to 127.0.0.1 for the connect (DNS rebinding). The
guard therefore lives in httpcore's network backend: ``connect_tcp`` gets the host name, resolves it
with our resolver, checks every address and connects to those. The URL keeps its host name, so the
Host header, SNI, certificate checks and the connection pool (keyed by host) are unchanged.

Every socket operation also gets at most what is left of the fetch's deadline as its timeout: a
server that drips one byte every few seconds, in the headers or the body, hits the deadline instead
of resetting the read timeout for ever.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from newsmill.fetch.addresses import AddressPolicy
from newsmill.fetch.options import FetchOptions
from newsmill.fetch.pools import OriginPools
from newsmill.fetch.resolver import ResolveError, Resolver, resolve_host

KEEPALIVE_EXPIRY = 30.0
"""Seconds an idle connection is kept; a host's pool unused this long is dropped too."""
KEEPALIVE_PER_ORIGIN = 16
"""Idle connections kept per host: a politely rate-limited host rarely has more requests in flight."""

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("fetch_deadline", default=None)


@contextlib.contextmanager
def deadline_scope(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread inside the block ends by ``seconds`` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def deadline_passed() -> bool:
    deadline = _deadline.get()
    return deadline is not None and time.monotonic() >= deadline


def _budget(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the deadline; ``error`` once nothing is left."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the fetch deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never outlive the current fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _budget(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the policy permits, and only to the ones it checked."""

    def __init__(self, resolver: Resolver, policy: AddressPolicy) -> None:
        self._resolver = resolver
        self._policy = policy
        self._plain = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = resolve_host(host, port, self._resolver)
        except ResolveError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        # BlockedAddress propagates through httpx untouched: it is not a transport error.
        checked = self._policy.check(host, addresses, port)
        last: Exception | None = None
        for ip in checked:
            try:
                stream = self._plain.connect_tcp(str(ip), port, _budget(timeout, httpcore.ConnectTimeout),
                                                 local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (request/response mapping, error translation) over the guarded backend,
    with a connection pool per origin (:mod:`newsmill.fetch.pools` says why)."""

    def __init__(self, backend: GuardedBackend, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx 0.28 has no parameter for the network backend or the pool; its pool is replaced with
        # ours (httpx is pinned below 0.29 in pyproject.toml, so this private attribute is stable).
        self._pool = OriginPools(  # type: ignore[assignment]
            max_in_flight=limits.max_connections or FetchOptions.max_connections,
            max_keepalive_per_origin=min(limits.max_keepalive_connections or KEEPALIVE_PER_ORIGIN,
                                         KEEPALIVE_PER_ORIGIN),
            keepalive_expiry=limits.keepalive_expiry or KEEPALIVE_EXPIRY,
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=backend,
        )


def guarded_client(*, resolver: Resolver, policy: AddressPolicy, connect_timeout: float,
                   read_timeout: float, max_connections: int, headers: dict[str, str]) -> httpx.Client:
    """The one client a worker process shares: keep-alive pool, no redirects, no environment proxies."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections,
                          keepalive_expiry=KEEPALIVE_EXPIRY)
    return httpx.Client(
        transport=GuardedTransport(GuardedBackend(resolver, policy), limits=limits),
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    )


