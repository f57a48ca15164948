"""robots.txt per RFC 9309, cached in Redis for every worker.

Parsing is protego's (longest match, ``*`` and ``$`` wildcards, ``Crawl-delay``), which the stdlib's
``urllib.robotparser`` does not implement. What the fetch of ``/robots.txt`` returned decides the rules
(RFC 9309 §2.3.1): 2xx → the file's rules (first 500 KiB); 4xx or too many redirects → no rules, all
allowed; 5xx, timeout or no connection → everything disallowed, since the site may be overloaded.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Literal

import redis
from protego import Protego

from newsmill.keys import Keys

MAX_ROBOTS_BYTES = 500 * 1024
MAX_CACHE_SECONDS = 24 * 3600.0
UNREACHABLE_CACHE_SECONDS = 600.0
"""A robots.txt that failed is tried again after 10 minutes rather than a day."""

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

    @classmethod
    def from_json(cls, raw: bytes | str) -> RobotsRules:
        data = json.loads(raw)
        return cls(kind=data["kind"], text=data.get("text", ""))


def rules_for_status(status: int, body: bytes) -> RobotsRules:
    """The rules a robots.txt response means (redirects already followed)."""
    if 200 <= status < 300:
        return RobotsRules("rules", body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace"))
    if 400 <= status < 500:
        return RobotsRules("allow_all")
    return RobotsRules("deny_all")


UNREACHABLE = RobotsRules("deny_all")
UNAVAILABLE = RobotsRules("allow_all")


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

    def get(self, origin: str) -> RobotsRules | None:
        raw = self._redis.get(self._key(origin))
        return RobotsRules.from_json(raw) if raw is not None else None

    def put(self, origin: str, rules: RobotsRules, *, failed: bool = False) -> None:
        ttl = min(self._ttl, UNREACHABLE_CACHE_SECONDS) if failed else self._ttl
        self._redis.set(self._key(origin), rules.to_json(), ex=max(1, int(ttl)))
