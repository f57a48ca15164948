"""Name resolution for the fetcher, injectable: the SSRF guard checks what this returns, and the
transport connects to exactly those addresses, so DNS cannot change between the check and the connect."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from typing import Protocol

from newsmill.fetch.addresses import IPAddress, literal_ip


class ResolveError(OSError):
    """The name does not resolve (NXDOMAIN, no network): a connection error."""


class Resolver(Protocol):
    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, in the order to try them."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``)."""

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolveError(f"cannot resolve {host}: {exc}") from exc
        found: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            ip = literal_ip(str(sockaddr[0]))
            if ip is not None and ip not in found:
                found.append(ip)
        return found


class StaticResolver:
    """Fixed answers for some names (``NEWSMILL_FETCH_RESOLVE``, tests), the fallback for the rest."""

    def __init__(self, overrides: Mapping[str, Iterable[str]], fallback: Resolver | None = None) -> None:
        self._overrides: dict[str, list[IPAddress]] = {}
        for name, values in overrides.items():
            addresses = [literal_ip(value) for value in values]
            if any(ip is None for ip in addresses):
                raise ValueError(f"not an IP address in the override for {name}: {list(values)}")
            self._overrides[name.lower().rstrip(".")] = [ip for ip in addresses if ip is not None]
        self._fallback = fallback or SystemResolver()

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        fixed = self._overrides.get(host.lower().rstrip("."))
        return list(fixed) if fixed is not None else self._fallback.resolve(host, port)


def build_resolver(entries: Iterable[str]) -> Resolver:
    """A resolver from ``host=address`` entries (several entries for one host add addresses)."""
    overrides: dict[str, list[str]] = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep:
            raise ValueError(f"resolve entry {entry!r} is not host=address")
        overrides.setdefault(name.strip(), []).append(value.strip())
    return StaticResolver(overrides) if overrides else SystemResolver()


def resolve_host(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """A literal address as itself (never sent to DNS), any other name through ``resolver``."""
    ip = literal_ip(host)
    return [ip] if ip is not None else resolver.resolve(host, port)
