"""How the fetch stage talks to web servers: one value object, composed into the settings by
:mod:`newsmill.settings` (which imports this module, never the other way)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = "newsmill/0.1 (+https://github.com/newsmill/newsmill)"


@dataclass(frozen=True)
class FetchOptions:
    """How the plain fetcher talks to web servers."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    deadline: float = 30.0
    """Wall-clock seconds one fetch may take in total (every hop, every byte), whatever the server does."""
    allow_addresses: tuple[str, ...] = ()
    """Addresses or networks (``127.0.0.1``, ``10.0.0.0/8``, ``127.0.0.1:8080`` for one port) exempt
    from the SSRF guard. Empty: every private, loopback, link-local, … address is refused."""
    resolve: tuple[str, ...] = ()
    """Static host overrides ``host=address`` (like curl's ``--resolve``); the guard still checks them."""
    rate: float = 1.0
    """Requests per second per host, shared by every worker."""
    domain_rates: tuple[str, ...] = ()
    """Per-domain rates ``domain=requests_per_second``; a domain covers its subdomains."""
    robots_ttl: float = 24 * 3600.0
    """How long a robots.txt stays cached in Redis (RFC 9309 caps this at 24 hours)."""
    seen_window: float = 24 * 3600.0
    """Discovered URLs seen by an earlier job this recently are not enqueued again (0: per job only)."""
    max_connections: int = 100
