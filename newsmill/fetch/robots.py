"""robots.txt per RFC 9309, cached in Redis for every worker.

Parsing is protego's (longest match, ``*`` and ``$`` wildcards, ``Crawl-delay``), which the stdlib's
``urllib.robotparser`` does not implement. What the fetch of ``/robots.txt`` returned decides the rules
(RFC 9309 §2.3.1): 2xx → the file's rules (first 500 KiB); 4xx or too many redirects → no rules, all
allowed. A robots.txt that cannot be read (5xx, timeout, no connection, TLS failure) means "complete
disallow" only while it cannot be read: the page is not fetched and ends with what happened to its
robots.txt (``http_5xx``, ``connection_error``, …), retried like any failure, and only that outcome is
held for a few seconds (:class:`Unreachable`), so the fetches that waited for it do not each ask again.

One fetch per origin at a time, across threads and workers: the first takes a Redis lock
(``redis-py``'s :class:`~redis.lock.Lock`) and fetches; the others wait for the answer it stores.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Literal

import redis
from protego import Protego
from redis.lock import Lock

from newsmill.errors import Drop, Failure
from newsmill.fetch import taxonomy
from newsmill.keys import Keys

MAX_ROBOTS_BYTES = 500 * 1024
MAX_CACHE_SECONDS = 24 * 3600.0
REFUSED_CACHE_SECONDS = 600.0
"""A robots.txt we refuse to read (it redirects to a blocked address) is asked again after 10 minutes."""
UNREACHABLE_HOLD_SECONDS = 2.0
"""How long the outcome of a robots.txt that could not be read answers for it: long enough for the
fetches that waited on the same request, short beside the retry back-off, so a retry asks again."""

Kind = Literal["rules", "allow_all", "deny_all"]


@functools.lru_cache(maxsize=512)
def _parse(text: str) -> Protego:
    # Parsed once per distinct file per process: every fetch asks the same few hosts.
    return Protego.parse(text)


@dataclass(frozen=True)
class RobotsRules:
    kind: Kind
    text: str = ""

    def allows(self, url: str, agent: str) -> bool:
        if self.kind != "rules":
            return self.kind == "allow_all"
        return bool(_parse(self.text).can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        if self.kind != "rules":
            return None
        delay = _parse(self.text).crawl_delay(agent)
        return float(delay) if delay is not None else None

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "text": self.text})


def rules_for_status(status: int, body: bytes) -> RobotsRules:
    """The rules a robots.txt response means (redirects already followed; a 5xx is not a rule but a
    robots.txt that could not be read, which the fetcher reports as :class:`Unreachable`)."""
    if 200 <= status < 300:
        return RobotsRules("rules", body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace"))
    if 400 <= status < 500:
        return RobotsRules("allow_all")
    return RobotsRules("deny_all")  # 1xx, or a 3xx without a Location: nothing we can read as rules


REFUSED = RobotsRules("deny_all")
"""We would not read it (a redirect to a blocked address): nothing on the origin is fetched."""
UNAVAILABLE = RobotsRules("allow_all")


@dataclass(frozen=True)
class Unreachable:
    """robots.txt could not be read just now: every page of the origin ends with this outcome."""

    code: str
    message: str
    retry_after: float | None = None

    def outcome(self) -> Drop | Failure:
        return taxonomy.outcome(self.code, self.message, retry_after=self.retry_after)

    def to_json(self) -> str:
        return json.dumps({"kind": "unreachable", "code": self.code, "message": self.message,
                           "retry_after": self.retry_after})


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``newsmill`` of ``newsmill/0.1 (+…)``."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


class RobotsCache:
    """Rules per origin (``https://example.com:443``) in Redis, shared by every worker."""

    def __init__(self, client: redis.Redis, prefix: str, *, ttl: float = MAX_CACHE_SECONDS) -> None:
        self._redis = client
        self._keys = Keys(prefix)
        self._ttl = min(ttl, MAX_CACHE_SECONDS)

    def _key(self, origin: str) -> str:
        return self._keys.robots(origin)

    def get(self, origin: str) -> RobotsRules | Unreachable | None:
        raw = self._redis.get(self._key(origin))
        if raw is None:
            return None
        data = json.loads(raw)
        if data["kind"] == "unreachable":
            return Unreachable(code=data["code"], message=data["message"], retry_after=data.get("retry_after"))
        return RobotsRules(kind=data["kind"], text=data.get("text", ""))

    def put(self, origin: str, rules: RobotsRules, *, refused: bool = False) -> None:
        ttl = min(self._ttl, REFUSED_CACHE_SECONDS) if refused else self._ttl
        self._redis.set(self._key(origin), rules.to_json(), ex=max(1, int(ttl)))

    def put_unreachable(self, origin: str, unreachable: Unreachable) -> None:
        self._redis.set(self._key(origin), unreachable.to_json(), px=int(UNREACHABLE_HOLD_SECONDS * 1000))

    def fetching_lock(self, origin: str, *, seconds: float) -> Lock:
        """The single-flight lock of ``origin``'s robots.txt; it expires after ``seconds`` should its
        holder die mid-fetch."""
        return Lock(self._redis, self._keys.robots_fetching(origin), timeout=seconds, blocking=False)
