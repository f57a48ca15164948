"""Fetching the web safely and politely: the SSRF guard, robots.txt, a per-host rate limit shared by
every worker through Redis, bounded bodies, conditional GET, and discovery from feeds and sitemaps.

The modules are small and private in spirit; import from here.
"""

from __future__ import annotations

from newsmill.fetch.addresses import AddressPolicy, BlockedAddress, is_public, literal_ip
from newsmill.fetch.fetcher import FetchDeferred, Fetched, Fetcher, Kind
from newsmill.fetch.resolver import Resolver, StaticResolver, SystemResolver, build_resolver
from newsmill.fetch.state import Resume

__all__ = [
    "AddressPolicy",
    "BlockedAddress",
    "FetchDeferred",
    "Fetched",
    "Fetcher",
    "Kind",
    "Resolver",
    "Resume",
    "StaticResolver",
    "SystemResolver",
    "build_resolver",
    "is_public",
    "literal_ip",
]
