"""The per-origin connection pools under one in-flight cap, against a real loopback server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from newsmill.fetch import pools
from newsmill.fetch.addresses import AddressPolicy
from newsmill.fetch.pools import OriginPools
from newsmill.fetch.resolver import StaticResolver
from newsmill.fetch.transport import GuardedBackend, GuardedTransport
from newsmill.testing.httpserver import HTTPTestServer, page


@pytest.fixture
def server() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as http:
        http.route("/page", page("<p>hello</p>"))
        yield http


def _client(server: HTTPTestServer, *, max_connections: int = 10, expiry: float = 30.0) -> httpx.Client:
    resolver = StaticResolver({"a.example": ["127.0.0.1"], "b.example": ["127.0.0.1"]})
    backend = GuardedBackend(resolver, AddressPolicy.from_entries(["127.0.0.1"]))
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections,
                          keepalive_expiry=expiry)
    return httpx.Client(transport=GuardedTransport(backend, limits=limits), trust_env=False,
                        timeout=httpx.Timeout(5.0, pool=0.3))


def _pools(client: httpx.Client) -> OriginPools:
    transport = client._transport
    assert isinstance(transport, GuardedTransport)
    found = transport._pool
    assert isinstance(found, OriginPools)
    return found


def test_each_origin_gets_its_own_pool_and_keeps_its_connection(server: HTTPTestServer) -> None:
    with _client(server) as client:
        for _ in range(3):
            for host in ("a.example", "b.example"):
                assert client.get(f"http://{host}:{server.port}/page").text == "<p>hello</p>"
        origin_pools = _pools(client)
        assert origin_pools.origins == 2
        # Three sequential requests per origin went over one kept-alive connection each.
        assert [len(shard.pool.connections) for shard in origin_pools._shards.values()] == [1, 1]


def test_requests_in_flight_are_capped_until_a_response_is_closed(server: HTTPTestServer) -> None:
    with _client(server, max_connections=1) as client:
        held = client.send(client.build_request("GET", f"http://a.example:{server.port}/page"), stream=True)
        with pytest.raises(httpx.PoolTimeout):
            client.get(f"http://b.example:{server.port}/page")  # another origin, same process-wide cap
        held.read()
        held.close()
        assert client.get(f"http://b.example:{server.port}/page").status_code == 200
        assert client.get(f"http://b.example:{server.port}/page").status_code == 200  # slots come back


def test_a_failed_request_gives_its_slot_back(server: HTTPTestServer) -> None:
    with _client(server, max_connections=1) as client:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        with pytest.raises(httpx.ConnectError):
            client.get(f"http://a.example:{closed_port}/page")  # nothing listens there now
        assert client.get(f"http://a.example:{server.port}/page").status_code == 200


def test_pools_unused_past_the_keepalive_expiry_are_dropped(server: HTTPTestServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pools, "SWEEP_EVERY_SECONDS", 0.0)
    with _client(server, expiry=0.2) as client:
        client.get(f"http://a.example:{server.port}/page")
        time.sleep(0.4)
        client.get(f"http://b.example:{server.port}/page")
        assert _pools(client).origins == 1
        assert list(_pools(client)._shards) == [(b"http", b"b.example", server.port)]
