"""Configuration, read from the environment once at the edge and passed inward as plain values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from newsmill.retry import RetryPolicy

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_USER_AGENT = "newsmill/0.1 (+https://github.com/newsmill/newsmill)"


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name)
    return int(value) if value not in (None, "") else default


def _env_float(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name)
    return float(value) if value not in (None, "") else default


def _env_list(env: dict[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = env.get(name)
    if value is None:
        return default
    return tuple(part.strip() for part in value.split(",") if part.strip())


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


@dataclass(frozen=True)
class Settings:
    """Everything a producer, worker or embedded run needs to know; see README's configuration table."""

    broker_url: str | None = None
    """Celery broker. ``None`` means: not configured (``newsmill run`` then starts an embedded server)."""
    redis_url: str = DEFAULT_REDIS_URL
    """Redis for job counts, sink idempotency and the result stream (defaults to the broker if Redis)."""
    prefix: str = "newsmill"
    """Prefix of every Redis key newsmill writes, and of its Celery queues."""
    stream_maxlen: int | None = None
    jsonl_path: str | None = None
    enrich: tuple[str, ...] = ("reading_time", "entities", "places", "keywords", "summary", "tone", "dates",
                               "quotes", "events", "dedup")
    """Enrichment stages in chain order: places uses entities; quotes and events use them if present."""
    task_granularity: str = "stage"
    """``stage``: one Celery task per stage; ``queue``: consecutive stages of one queue in one task."""
    fetch: FetchOptions = field(default_factory=FetchOptions)
    soft_time_limit: float = 120.0
    hard_time_limit: float = 180.0
    max_retries: int = 3
    max_deliveries: int = 3
    """A message redelivered this many times (its worker died each time) ends as ``failed``."""
    outage_window: float = 900.0
    """Seconds a task keeps retrying while Redis is unreachable or full (not counted as attempts) before
    it gives up on that message; the reconciler still drives the input again once Redis is back."""
    max_redrives: int = 3
    """Times the reconciler drives an input again after it made no progress, before it ends ``failed``/``lost``."""
    visibility_timeout: float | None = None
    """Seconds before the Redis broker hands an unacknowledged message to another worker (default: an hour,
    at least four hard time limits). The reconciler re-drives lost inputs long before; this is the backstop."""
    heartbeat_interval: float = 2.0
    """Seconds between a worker's heartbeats in Redis (which tasks it holds); three missed mean it is gone."""
    reconcile_interval: float = 5.0
    """Seconds between the reconciler's passes over unfinished inputs (one worker at a time runs it)."""
    reconcile_grace: float = 30.0
    """Seconds an input handed to a queue may wait once its queue is empty, before it counts as lost."""
    io_concurrency: int = 16
    cpu_concurrency: int = max(1, os.cpu_count() or 1)
    log_format: str = "auto"
    log_level: str = "INFO"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    @property
    def effective_visibility_timeout(self) -> float:
        if self.visibility_timeout is not None:
            return self.visibility_timeout
        return max(3600.0, self.hard_time_limit * 4)

    @property
    def retry_policy(self) -> RetryPolicy:
        """Retries of retryable failures (timeouts, 5xx, a sink that cannot write)."""
        return RetryPolicy(max_retries=self.max_retries)

    @property
    def outage_policy(self) -> RetryPolicy:
        """Waits while Redis is unreachable or full: short, capped, and bounded by ``outage_window``."""
        return RetryPolicy(max_retries=1_000_000, base=1.0, cap=30.0)

    @property
    def node_ttl(self) -> float:
        """A worker that missed three heartbeats is gone."""
        return 3 * self.heartbeat_interval + 1.0

    @property
    def running_limit(self) -> float:
        """How long a task can legitimately run: the hard time limit, plus a margin for the pool to notice."""
        return self.hard_time_limit + 30.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if environ is None else environ)
        broker = env.get("NEWSMILL_BROKER_URL") or None
        redis_default = broker if broker and broker.startswith(("redis://", "rediss://", "unix://")) \
            else DEFAULT_REDIS_URL
        defaults = cls()
        fetch = FetchOptions(
            connect_timeout=_env_float(env, "NEWSMILL_FETCH_CONNECT_TIMEOUT", FetchOptions.connect_timeout),
            read_timeout=_env_float(env, "NEWSMILL_FETCH_READ_TIMEOUT", FetchOptions.read_timeout),
            max_bytes=_env_int(env, "NEWSMILL_FETCH_MAX_BYTES", FetchOptions.max_bytes),
            max_redirects=_env_int(env, "NEWSMILL_FETCH_MAX_REDIRECTS", FetchOptions.max_redirects),
            user_agent=env.get("NEWSMILL_USER_AGENT") or DEFAULT_USER_AGENT,
            deadline=_env_float(env, "NEWSMILL_FETCH_DEADLINE", FetchOptions.deadline),
            allow_addresses=_env_list(env, "NEWSMILL_FETCH_ALLOW_ADDRESSES", ()),
            resolve=_env_list(env, "NEWSMILL_FETCH_RESOLVE", ()),
            rate=_env_float(env, "NEWSMILL_FETCH_RATE", FetchOptions.rate),
            domain_rates=_env_list(env, "NEWSMILL_FETCH_DOMAIN_RATES", ()),
            robots_ttl=_env_float(env, "NEWSMILL_FETCH_ROBOTS_TTL", FetchOptions.robots_ttl),
            seen_window=_env_float(env, "NEWSMILL_FETCH_SEEN_WINDOW", FetchOptions.seen_window),
            max_connections=_env_int(env, "NEWSMILL_FETCH_MAX_CONNECTIONS", FetchOptions.max_connections),
        )
        maxlen = env.get("NEWSMILL_STREAM_MAXLEN")
        settings = cls(
            broker_url=broker,
            redis_url=env.get("NEWSMILL_REDIS_URL") or redis_default,
            prefix=env.get("NEWSMILL_PREFIX") or defaults.prefix,
            stream_maxlen=int(maxlen) if maxlen else None,
            jsonl_path=env.get("NEWSMILL_JSONL_PATH") or None,
            enrich=_env_list(env, "NEWSMILL_ENRICH", defaults.enrich),
            task_granularity=env.get("NEWSMILL_TASK_GRANULARITY") or defaults.task_granularity,
            fetch=fetch,
            soft_time_limit=_env_float(env, "NEWSMILL_SOFT_TIME_LIMIT", defaults.soft_time_limit),
            hard_time_limit=_env_float(env, "NEWSMILL_HARD_TIME_LIMIT", defaults.hard_time_limit),
            max_retries=_env_int(env, "NEWSMILL_MAX_RETRIES", defaults.max_retries),
            max_deliveries=_env_int(env, "NEWSMILL_MAX_DELIVERIES", defaults.max_deliveries),
            outage_window=_env_float(env, "NEWSMILL_OUTAGE_WINDOW", defaults.outage_window),
            max_redrives=_env_int(env, "NEWSMILL_MAX_REDRIVES", defaults.max_redrives),
            visibility_timeout=_env_float(env, "NEWSMILL_VISIBILITY_TIMEOUT", -1.0)
            if env.get("NEWSMILL_VISIBILITY_TIMEOUT") else None,
            heartbeat_interval=_env_float(env, "NEWSMILL_HEARTBEAT_INTERVAL", defaults.heartbeat_interval),
            reconcile_interval=_env_float(env, "NEWSMILL_RECONCILE_INTERVAL", defaults.reconcile_interval),
            reconcile_grace=_env_float(env, "NEWSMILL_RECONCILE_GRACE", defaults.reconcile_grace),
            io_concurrency=_env_int(env, "NEWSMILL_IO_CONCURRENCY", defaults.io_concurrency),
            cpu_concurrency=_env_int(env, "NEWSMILL_CPU_CONCURRENCY", defaults.cpu_concurrency),
            log_format=env.get("NEWSMILL_LOG_FORMAT") or defaults.log_format,
            log_level=env.get("NEWSMILL_LOG_LEVEL") or defaults.log_level,
        )
        return replace(settings, **overrides) if overrides else settings
