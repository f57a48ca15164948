"""The safe, polite fetcher: one per worker process, shared by its threads.

One fetch walks the URL and its redirects hop by hop; every hop is checked (scheme, address),
allowed by the host's robots.txt, and given a request slot by the shared per-host rate limit before
anything is sent. A hop whose host is over budget raises :class:`FetchDeferred` carrying where to
resume, so the runner re-schedules the fetch instead of waiting. The whole fetch runs under one
wall-clock deadline, and bodies are read within size and decompression caps.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Literal, NoReturn
from urllib.parse import urlsplit

import httpx
import redis
from redis.exceptions import LockError

from newsmill.errors import Deferred, Drop, Failure, Retryable, Unchanged
from newsmill.fetch import challenge, taxonomy
from newsmill.fetch.addresses import AddressPolicy, BlockedAddress
from newsmill.fetch.body import ACCEPT_ENCODING, BodyError, read_limited
from newsmill.fetch.content import FEED_TYPES, SITEMAP_TYPES, check_body, check_media_type
from newsmill.fetch.malloc import map_large_blocks
from newsmill.fetch.options import FetchOptions
from newsmill.fetch.ratelimit import HostRateLimiter, parse_domain_rates
from newsmill.fetch.resolver import ResolveError, Resolver, build_resolver, resolve_host
from newsmill.fetch.responses import check_status, transport_failure
from newsmill.fetch.robots import (
    MAX_ROBOTS_BYTES,
    REFUSED,
    UNAVAILABLE,
    RobotsCache,
    RobotsRules,
    Unreachable,
    agent_token,
    rules_for_status,
)
from newsmill.fetch.state import Resume, ResumeStore, Validators, ValidatorStore
from newsmill.fetch.transport import deadline_scope, guarded_client
from newsmill.mediatypes import HTML_TYPES, media_type

_LATE_WAKE_UPS = 3
"""How often a thread that cannot send at its committed moment asks again before the fetch is deferred."""

_LATE_FLOOR = 0.01
"""A thread may wake this late whatever the rate: a sleep of a few milliseconds often overshoots by more
than a fast host's interval (1 ms at 1,000 requests/s), and claiming again would waste the slot."""

Kind = Literal["page", "feed", "sitemap", "listing"]
"""``listing``: a feed or a sitemap, told apart by its content (a watched source, see newsmill/watch)."""
ALLOWED_TYPES: dict[Kind, frozenset[str]] = {"page": HTML_TYPES, "feed": FEED_TYPES, "sitemap": SITEMAP_TYPES,
                                             "listing": FEED_TYPES | SITEMAP_TYPES}
_ACCEPT: dict[Kind, str] = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": "application/rss+xml,application/atom+xml,application/feed+json,application/xml;q=0.9,*/*;q=0.1",
    "sitemap": "application/xml,text/xml;q=0.9,*/*;q=0.1",
    "listing": "application/rss+xml,application/atom+xml,application/feed+json,application/xml;q=0.9,"
               "text/xml;q=0.9,*/*;q=0.1",
}
ROBOTS_MAX_REDIRECTS = 5
ROBOTS_WAIT_SECONDS = 2.0
"""How long a fetch waits in-thread for another's robots.txt request before it is deferred instead."""
_ROBOTS_POLL_SECONDS = (0.02, 0.2)
"""First and longest pause between looks at the robots.txt cache while another fetch asks for it."""


class FetchDeferred(Deferred):
    """The next request's host is over its budget: retry after ``delay``, resuming at ``resume``."""

    def __init__(self, delay: float, resume: Resume) -> None:
        super().__init__(delay, f"{resume.host} over its request budget; resume in {delay:.2f}s")
        self.resume = resume


@dataclass(frozen=True)
class Fetched:
    url: str
    """The final URL, after redirects."""
    body: bytes
    charset: str | None
    media_type: str | None
    validators: Validators = field(default_factory=Validators)
    """The response's ETag and Last-Modified, for a caller that keeps them itself (a watched feed)."""


@dataclass(frozen=True)
class _Target:
    url: str
    host: str
    port: int
    origin: str


class Fetcher:
    """Fetches URLs safely and politely; its politeness state lives in Redis, shared by all workers."""

    def __init__(self, options: FetchOptions, *, redis_client: redis.Redis, prefix: str,
                 resolver: Resolver | None = None) -> None:
        # One fetcher per worker process, its threads reading bodies of up to max_bytes each.
        map_large_blocks()
        self.options = options
        self.agent = agent_token(options.user_agent)
        self._resolver = resolver or build_resolver(options.resolve)
        self._policy = AddressPolicy.from_entries(options.allow_addresses)
        self.client = guarded_client(
            resolver=self._resolver, policy=self._policy, connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout, max_connections=options.max_connections,
            headers={"User-Agent": options.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self.limiter = HostRateLimiter(redis_client, prefix, default_rate=options.rate,
                                       domain_rates=parse_domain_rates(options.domain_rates))
        self.robots = RobotsCache(redis_client, prefix, ttl=options.robots_ttl)
        self.validators = ValidatorStore(redis_client, prefix)
        self.resumes = ResumeStore(redis_client, prefix)

    def close(self) -> None:
        self.client.close()

    def fetch(self, url: str, *, kind: Kind = "page", resume: Resume | None = None,
              conditional: bool = False, validators: Validators | None = None) -> Fetched:
        """Fetch ``url`` (from ``resume`` if a deferred attempt got further); raises ``Drop``,
        ``Failure``, ``Retryable``, :class:`FetchDeferred` or ``Unchanged`` (``conditional`` or
        ``validators`` only). ``conditional``: with the validators stored for ``url``, storing the new
        ones; ``validators``: with these, on every hop, storing nothing (the caller keeps them, and
        stores them only once it has acted on the body)."""
        try:
            with deadline_scope(self.options.deadline):
                return self._walk(url, kind, resume, conditional, validators)
        except BlockedAddress as exc:
            raise Drop(taxonomy.BLOCKED_ADDRESS, str(exc)) from None
        except BodyError as exc:
            raise taxonomy.outcome(exc.code, str(exc)) from None
        except httpx.RequestError as exc:
            raise transport_failure(exc) from exc

    def _walk(self, start_url: str, kind: Kind, resume: Resume | None, conditional: bool,
              given: Validators | None) -> Fetched:
        current = resume.url if resume else start_url
        hops = resume.hops if resume else 0
        held = resume if resume and resume.reserved else None
        while True:
            target = self._target(current)
            rules, held = self._robots(target, hops, held)
            if not rules.allows(target.url, self.agent):
                raise Drop(taxonomy.ROBOTS_DISALLOWED, f"robots.txt of {target.origin} disallows {target.url}")
            self._take_slot(target, hops, held, crawl_delay=rules.crawl_delay(self.agent))
            held = None
            validators = given or (self.validators.get(start_url) if conditional and hops == 0 else None)
            headers = {"Accept": _ACCEPT[kind], **(validators.request_headers() if validators else {})}
            response = self._send(target.url, headers)
            try:
                if response.next_request is not None:
                    hops += 1
                    if hops > self.options.max_redirects:
                        raise Failure(taxonomy.TOO_MANY_REDIRECTS,
                                      f"more than {self.options.max_redirects} redirects from {start_url}")
                    current = str(response.next_request.url)
                    continue
                return self._read(response, target, kind, start_url if conditional else None,
                                  sent_validators=validators is not None)
            finally:
                response.close()

    def _target(self, url: str) -> _Target:
        """Scheme and address checks of one hop, before robots.txt or anything else is asked."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Drop(taxonomy.INVALID_URL, str(exc)) from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise Drop(taxonomy.BAD_SCHEME, f"scheme {parts.scheme or '(none)'!r} in {url}")
        host = parts.hostname
        if not host:
            raise Drop(taxonomy.INVALID_URL, f"no host in {url}")
        port = port or (443 if scheme == "https" else 80)
        try:
            # Refused here with its own reason before robots.txt is asked; the transport checks again
            # at connect time, and that check is the one that binds.
            self._policy.check(host, resolve_host(host, port, self._resolver), port)
        except ResolveError as exc:
            raise Retryable(taxonomy.CONNECTION_ERROR, str(exc)) from None
        netloc = f"[{host}]" if ":" in host else host
        return _Target(url=url, host=host, port=port, origin=f"{scheme}://{netloc}:{port}")

    def _take_slot(self, target: _Target, hops: int, held: Resume | None, *, crawl_delay: float | None) -> None:
        reserved = held.reserved if held is not None and held.host == target.host else None
        slot = self.limiter.acquire(target.host, crawl_delay=crawl_delay, reserved=reserved)
        # A committed request goes at its moment, unless the thread woke more than an interval late (a
        # stall of the process: every request committed during it would reach the host at once) or a
        # Retry-After arrived meanwhile; then it claims again, behind the last committed request.
        late_allowed = max(self.limiter.interval(target.host, crawl_delay), _LATE_FLOOR)
        for _ in range(_LATE_WAKE_UPS + 1):
            if not slot.go:
                raise FetchDeferred(slot.wait, Resume(url=target.url, hops=hops, host=target.host,
                                                      reserved=slot.reserved))
            due = time.monotonic() + slot.wait
            time.sleep(slot.wait)
            committed = slot.reserved
            assert committed is not None
            if time.monotonic() - due <= late_allowed and not (
                    slot.wait > 0 and self.limiter.held_back(target.host, committed)):
                return
            slot = self.limiter.acquire(target.host, crawl_delay=crawl_delay, reserved=committed)
        raise FetchDeferred(0.0, Resume(url=target.url, hops=hops, host=target.host, reserved=slot.reserved))

    def _send(self, url: str, headers: dict[str, str]) -> httpx.Response:
        try:
            request = self.client.build_request("GET", url, headers=headers)
        except httpx.InvalidURL as exc:
            raise Drop(taxonomy.INVALID_URL, str(exc)) from None
        return self.client.send(request, stream=True, follow_redirects=False)

    def _read(self, response: httpx.Response, target: _Target, kind: Kind, remember_for: str | None, *,
              sent_validators: bool) -> Fetched:
        status = response.status_code
        if status == 304 and sent_validators:
            raise Unchanged(f"{target.url} not modified")
        marker = challenge.challenge_in_headers(response)
        if marker is None and status in challenge.REFUSAL_STATUSES:
            marker = challenge.challenge_in_body(read_limited(response, challenge.SNIFF_BYTES, truncate=True),
                                                 refused=True)
        if marker is not None:
            raise Failure(taxonomy.CHALLENGE, f"{status}: {marker}")
        try:
            check_status(response)
        except Retryable as exc:
            if exc.retry_after:
                self.limiter.push_back(target.host, exc.retry_after)
            raise
        declared = media_type(response.headers.get("Content-Type"))
        check_media_type(declared, ALLOWED_TYPES[kind])
        body = read_limited(response, self.options.max_bytes)
        check_body(body, declared=declared, html=kind == "page")
        marker = challenge.challenge_in_body(body, refused=False) if kind == "page" else None
        if marker is not None:
            raise Failure(taxonomy.CHALLENGE, f"{status}: {marker}")
        validators = Validators(etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"))
        if remember_for is not None:
            self.validators.put(remember_for, validators)
        return Fetched(url=str(response.url), body=body, charset=response.charset_encoding, media_type=declared,
                       validators=validators)

    def _robots(self, target: _Target, hops: int, held: Resume | None) -> tuple[RobotsRules, Resume | None]:
        """The rules of ``target``'s origin, and the slot reservation still held (a robots.txt request
        spends it). While another fetch asks for robots.txt, this one waits for its answer (in-thread for
        a moment, then deferred); an origin whose robots.txt could not be read ends this fetch with that
        outcome."""
        waited_until = time.monotonic() + ROBOTS_WAIT_SECONDS
        pause = _ROBOTS_POLL_SECONDS[0]
        while True:
            cached = self.robots.get(target.origin)
            if isinstance(cached, Unreachable):
                raise cached.outcome()
            if cached is not None:
                return cached, held
            rules = self._fetch_robots_single_flight(target, hops, held)
            if rules is not None:
                return rules, None
            if time.monotonic() + pause > waited_until:
                # Deferred with the slot it may hold: the robots.txt answer will be in Redis by then.
                raise FetchDeferred(ROBOTS_WAIT_SECONDS, Resume(url=target.url, hops=hops, host=target.host,
                                                                reserved=held.reserved if held else None))
            time.sleep(pause)
            pause = min(pause * 2, _ROBOTS_POLL_SECONDS[1])

    def _fetch_robots_single_flight(self, target: _Target, hops: int, held: Resume | None) -> RobotsRules | None:
        """Fetch robots.txt unless another fetch, in any thread or worker, is doing so: ``None`` then."""
        # Held past the whole fetch's deadline only if its holder died: then it expires.
        lock = self.robots.fetching_lock(target.origin, seconds=self.options.deadline + 5.0)
        if not lock.acquire():
            return None
        try:
            if self.robots.get(target.origin) is not None:
                return None  # stored by another fetch between our look and the lock
            self._take_slot(target, hops, held, crawl_delay=None)
            rules = self._fetch_robots(target)
        finally:
            with contextlib.suppress(LockError):  # expired meanwhile: nothing left to release
                lock.release()
        delay = rules.crawl_delay(self.agent)
        if delay:
            # The robots.txt request itself was spaced by the rate alone; the page after it already owes
            # the host its Crawl-delay.
            self.limiter.push_back(target.host, delay)
        return rules

    def _fetch_robots(self, target: _Target) -> RobotsRules:
        """robots.txt of ``target``'s origin, fetched through the same guard and cached for every worker;
        raises what happened when it cannot be read (and holds that outcome briefly for every worker)."""
        origin = target.origin
        url = f"{origin}/robots.txt"
        try:
            rules = self._read_robots(url)
        except httpx.RequestError as exc:
            outcome = transport_failure(exc)
            self._robots_unreachable(origin, _code(outcome), f"{type(exc).__name__}: {exc}")
        except BodyError as exc:
            self._robots_unreachable(origin, exc.code, str(exc))
        except Retryable as exc:  # 5xx
            if exc.retry_after:
                self.limiter.push_back(target.host, exc.retry_after)
            self._robots_unreachable(origin, exc.code, exc.message, retry_after=exc.retry_after)
        except (BlockedAddress, Drop) as exc:
            # We will not read it there (a private address, an invalid URL): nothing on the origin is
            # fetched, as before any robots.txt is known, and it is asked again in 10 minutes.
            self.robots.put(origin, REFUSED, refused=True)
            raise Drop(taxonomy.ROBOTS_DISALLOWED, f"robots.txt of {origin} cannot be read: {exc}") from None
        self.robots.put(origin, rules)
        return rules

    def _read_robots(self, url: str) -> RobotsRules:
        for _hop in range(ROBOTS_MAX_REDIRECTS + 1):
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                return UNAVAILABLE
            response = self._send(url, {"Accept": "text/plain,*/*;q=0.5"})
            try:
                if response.next_request is not None:
                    url = str(response.next_request.url)
                    continue
                if response.status_code >= 500:
                    check_status(response)  # raises Retryable with the status line and Retry-After
                body = read_limited(response, MAX_ROBOTS_BYTES, truncate=True) if response.is_success else b""
                return rules_for_status(response.status_code, body)
            finally:
                response.close()
        return UNAVAILABLE  # RFC 9309: more than five redirects may be read as "unavailable"

    def _robots_unreachable(self, origin: str, code: str, detail: str, *,
                            retry_after: float | None = None) -> NoReturn:
        """Hold the outcome for every worker a moment, and end this fetch with it."""
        unreachable = Unreachable(code=code, message=f"robots.txt of {origin} could not be read: {detail}",
                                  retry_after=retry_after)
        self.robots.put_unreachable(origin, unreachable)
        raise unreachable.outcome()


def _code(outcome: Drop | Failure) -> str:
    return outcome.reason if isinstance(outcome, Drop) else outcome.code
