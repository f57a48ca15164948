"""The SSRF guard: which network addresses a fetch may connect to.

A URL from a queue is attacker-controlled, so its host must not reach the broker, a cloud metadata
service or anything else on the inside. Only globally routable unicast addresses pass; loopback,
private, link-local, CGNAT, multicast, reserved and IPv4-mapped IPv6 addresses are refused, in every
spelling a URL parser or ``inet_aton`` accepts (``2130706433``, ``0x7f000001``, ``127.1``, ``0177.1``).
An explicit allow-list (addresses or networks, optionally with one port) is the only way around it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")
# inet_aton also accepts trailing garbage after whitespace; only pure numeric spellings go to it.

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class BlockedAddress(Exception):
    """The host is, or resolves to, an address the guard refuses."""


def literal_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells literally (any IPv4 spelling, bracketed or bare IPv6), else None."""
    text = host.strip().strip("[]").rstrip(".")
    if "%" in text:  # an IPv6 zone id (fe80::1%eth0) is link-local by construction
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(text) and any(char.isdigit() for char in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a translation prefix carries (6to4, NAT64, Teredo server), if any."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[0]
    return None


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address; everything else is refused."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            # ::ffff:a.b.c.d reaches a.b.c.d on dual-stack sockets; no public site needs that spelling.
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


@dataclass(frozen=True)
class AllowEntry:
    network: IPNetwork
    port: int | None = None

    def allows(self, ip: IPAddress, port: int) -> bool:
        return ip.version == self.network.version and ip in self.network and self.port in (None, port)


def parse_allow_entry(text: str) -> AllowEntry:
    """``127.0.0.1``, ``10.0.0.0/8``, ``127.0.0.1:8080``, ``[::1]:8080`` or ``::1``."""
    value = text.strip()
    port: int | None = None
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", value)
    if match:
        value, port = match.group(1), int(match.group(2)) if match.group(2) else None
    elif value.count(":") == 1:
        value, port_text = value.split(":")
        port = int(port_text)
    return AllowEntry(ipaddress.ip_network(value, strict=False), port)


@dataclass(frozen=True)
class AddressPolicy:
    allow: tuple[AllowEntry, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        return cls(tuple(parse_allow_entry(entry) for entry in entries if entry.strip()))

    def permits(self, ip: IPAddress, port: int) -> bool:
        return is_public(ip) or any(entry.allows(ip, port) for entry in self.allow)

    def check(self, host: str, addresses: list[IPAddress], port: int) -> list[IPAddress]:
        """The addresses to connect to, or :class:`BlockedAddress`.

        A name with even one refused address is refused whole: a mix of public and private answers is
        how DNS-rebinding attacks look, and connecting to "the public one" would still be steered.
        """
        if not addresses:
            raise BlockedAddress(f"{host} has no address")
        refused = [ip for ip in addresses if not self.permits(ip, port)]
        if refused:
            raise BlockedAddress(f"{host}:{port} resolves to refused address {refused[0]}")
        return addresses
