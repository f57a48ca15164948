"""The SSRF guard with the allow-list empty: every internal address, in every spelling, is refused
before any connection, and sentinel listeners on loopback prove nothing connected."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from newsmill.errors import Drop
from newsmill.fetch.addresses import AddressPolicy, BlockedAddress, is_public, literal_ip, parse_allow_entry
from newsmill.fetch.fetcher import Fetcher
from newsmill.fetch.options import FetchOptions
from newsmill.fetch.resolver import StaticResolver


class Sentinel:
    """A listener that counts every connection it accepts."""

    def __init__(self, family: socket.AddressFamily, host: str) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture()
def sentinels() -> Iterator[dict[str, Sentinel]]:
    found = {"v4": Sentinel(socket.AF_INET, "127.0.0.1")}
    if _ipv6_loopback():
        found["v6"] = Sentinel(socket.AF_INET6, "::1")
    yield found
    for sentinel in found.values():
        sentinel.close()


@pytest.fixture()
def fetcher(redis_client: redis.Redis, prefix: str) -> Iterator[Fetcher]:
    # The injected resolver maps a public-looking name to loopback; nothing else is allowed.
    resolver = StaticResolver({"news.example-public.com": ["127.0.0.1"],
                               "rebind.example.com": ["8.8.8.8", "127.0.0.1"]})
    built = Fetcher(FetchOptions(connect_timeout=1.0, deadline=3.0, rate=1000.0), redis_client=redis_client,
                    prefix=prefix, resolver=resolver)
    yield built
    built.close()


ISSUE_URLS = [
    ("http://127.0.0.1:6379/", "blocked_address"),
    ("http://[::1]/", "blocked_address"),
    ("http://[::ffff:127.0.0.1]/", "blocked_address"),
    ("http://2130706433/", "blocked_address"),
    ("http://0x7f000001/", "blocked_address"),
    ("http://127.1/", "blocked_address"),
    ("http://169.254.169.254/", "blocked_address"),
    ("http://100.64.0.1/", "blocked_address"),
    ("file:///etc/passwd", "bad_scheme"),
    ("gopher://127.0.0.1/", "bad_scheme"),
    ("http://news.example-public.com/", "blocked_address"),
]


def _reason(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(Drop) as info:
        fetcher.fetch(url)
    return info.value.reason


@pytest.mark.parametrize(("url", "reason"), ISSUE_URLS)
def test_issue_urls_are_refused(fetcher: Fetcher, url: str, reason: str) -> None:
    """Each URL from the issue is refused with blocked_address or bad_scheme."""
    assert _reason(fetcher, url) == reason


def test_no_connection_reaches_the_sentinels(fetcher: Fetcher, sentinels: dict[str, Sentinel]) -> None:
    """The same spellings aimed at live loopback listeners are refused and the listeners see nothing."""
    v4 = sentinels["v4"].port
    urls = [f"http://127.0.0.1:{v4}/", f"http://2130706433:{v4}/", f"http://0x7f000001:{v4}/",
            f"http://127.1:{v4}/", f"http://0177.0.0.1:{v4}/", f"http://news.example-public.com:{v4}/",
            f"http://rebind.example.com:{v4}/", f"http://localhost:{v4}/"]
    if "v6" in sentinels:
        v6 = sentinels["v6"].port
        urls += [f"http://[::1]:{v6}/", f"http://[0:0:0:0:0:0:0:1]:{v6}/"]
    for url in urls:
        assert _reason(fetcher, url) == "blocked_address", url
    for url in (f"gopher://127.0.0.1:{v4}/", f"ftp://127.0.0.1:{v4}/"):
        assert _reason(fetcher, url) == "bad_scheme"
    # Control: the sentinel does count a real connection, so zero above means something.
    socket.create_connection(("127.0.0.1", v4), timeout=1).close()
    deadline = time.monotonic() + 2
    while sentinels["v4"].connections < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sentinels["v4"].connections == 1
    assert all(s.connections == 0 for name, s in sentinels.items() if name != "v4")


def test_allow_list_with_port_opens_only_that_port(sentinels: dict[str, Sentinel]) -> None:
    """An allow-list entry with a port permits that port only; other loopback ports stay refused."""
    port = sentinels["v4"].port
    policy = AddressPolicy.from_entries([f"127.0.0.1:{port}"])
    loopback = [ipaddress.ip_address("127.0.0.1")]
    assert policy.check("127.0.0.1", loopback, port) == loopback
    with pytest.raises(BlockedAddress):
        policy.check("127.0.0.1", loopback, 6379)


@pytest.mark.parametrize(("spelling", "address"), [
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("017700000001", "127.0.0.1"),
    ("example.com", None), ("1.2.3.4.example", None),
])
def test_literal_ip_spellings(spelling: str, address: str | None) -> None:
    """Every numeric host spelling inet_aton or a URL parser accepts is read as the address it means."""
    parsed = literal_ip(spelling)
    assert (str(parsed) if parsed else None) == address


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
    ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False), ("0.0.0.0", False),
    ("255.255.255.255", False), ("::1", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:8.8.8.8", False), ("64:ff9b::a9fe:a9fe", False), ("2002:7f00:1::", False), ("::", False),
])
def test_public_addresses(address: str, public: bool) -> None:
    """Only globally routable unicast passes; IPv4-mapped and translated internal addresses do not."""
    assert is_public(ipaddress.ip_address(address)) is public


def test_allow_entry_forms() -> None:
    """Allow-list entries take an address, a network, or either with a port (IPv6 in brackets)."""
    assert parse_allow_entry("10.0.0.0/8").allows(ipaddress.ip_address("10.9.9.9"), 80)
    assert parse_allow_entry("[::1]:8080").allows(ipaddress.ip_address("::1"), 8080)
    assert not parse_allow_entry("[::1]:8080").allows(ipaddress.ip_address("::1"), 8081)
    assert not parse_allow_entry("127.0.0.1").allows(ipaddress.ip_address("::1"), 80)
