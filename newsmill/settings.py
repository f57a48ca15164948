"""Configuration, read from the environment once at the edge and passed inward as plain values."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from newsmill.enrich import REGISTRY
from newsmill.fetch.addresses import AddressPolicy
from newsmill.fetch.options import DEFAULT_USER_AGENT, FetchOptions
from newsmill.fetch.ratelimit import parse_domain_rates
from newsmill.fetch.resolver import build_resolver
from newsmill.retry import RetryPolicy
from newsmill.watch.interval import parse_duration
from newsmill.watch.options import WatchOptions

if TYPE_CHECKING:
    # Imported when a variable of theirs is set (see _stage_options): importing the stages' packages would
    # load trafilatura, numpy and datasketch into every command, `newsmill status` included.
    from newsmill.clean.options import CleanOptions
    from newsmill.enrich.dedupe.options import DedupOptions
    from newsmill.enrich.entities import EntityOptions
    from newsmill.enrich.geo.index import GeoOptions
    from newsmill.enrich.summary import SummaryOptions

__all__ = ["DEFAULT_REDIS_URL", "DEFAULT_USER_AGENT", "FetchOptions", "Settings", "SettingsError", "mask_url"]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class SettingsError(ValueError):
    """One or more environment variables hold values newsmill cannot use; the message names each one,
    its value and what is accepted (one line per variable)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Env:
    """Reads typed values from the environment and collects every problem instead of stopping at the
    first, so one start-up reports all bad settings at once."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        value = self.env.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def _bad(self, name: str, value: str, accepted: str) -> None:
        self.problems.append(f"{name}={value!r} is not valid: expected {accepted}")

    def number(self, name: str, default: float, *, minimum: float = 0.0, above: bool = False) -> float:
        """A number ``>= minimum`` (``> minimum`` with ``above``)."""
        raw = self._raw(name)
        if raw is None:
            return default
        accepted = f"a number {'>' if above else '>='} {minimum:g}"
        try:
            value = float(raw)
        except ValueError:
            self._bad(name, raw, accepted)
            return default
        if value != value or value < minimum or (above and value == minimum):  # NaN or out of range
            self._bad(name, raw, accepted)
            return default
        return value

    def integer(self, name: str, default: int, *, minimum: int = 0) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            self._bad(name, raw, f"a whole number >= {minimum}")
            return default
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...], *, fold: bool = False) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        value = raw.lower() if fold else raw
        if value not in choices:
            self._bad(name, raw, "one of " + ", ".join(choices))
            return default
        return value

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        raw = self._raw(name)
        if raw is not None and not raw.lower().startswith(tuple(f"{s}://" for s in schemes)):
            self._bad(name, mask_url(raw), "a URL starting with " + ", ".join(f"{s}://" for s in schemes))
            return None
        return raw

    def flag(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        value = raw.lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        self._bad(name, raw, "one of 1, true, yes, on, 0, false, no, off")
        return default

    def duration(self, name: str, default: float) -> float:
        """A duration like ``30s``, ``10m``, ``1h``, ``2d`` (a bare number is seconds), in seconds."""
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            return float(raw) if raw.replace(".", "", 1).isdigit() and float(raw) > 0 else parse_duration(raw)
        except ValueError:
            self._bad(name, raw, "a duration like 30s, 10m, 1h, 2d")
            return default

    def any_set(self, *names: str) -> bool:
        return any(self._raw(name) is not None for name in names)

    def names(self, name: str, default: tuple[str, ...], known: tuple[str, ...] | None = None) -> tuple[str, ...]:
        raw = self.env.get(name)
        if raw is None:
            return default
        values = tuple(part.strip() for part in raw.split(",") if part.strip())
        unknown = [v for v in values if known is not None and v not in known]
        if unknown:
            self._bad(name, raw, "a comma-separated list of " + ", ".join(known or ()) +
                      f" (unknown: {', '.join(unknown)})")
            return default
        return values

    def entries(self, name: str, parse: Callable[[tuple[str, ...]], object], accepted: str) -> tuple[str, ...]:
        """Comma-separated entries that ``parse`` accepts (it raises ``ValueError`` otherwise)."""
        values = self.names(name, ())
        try:
            parse(values)
        except ValueError:
            self._bad(name, self.env.get(name, ""), accepted)
            return ()
        return values


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    try:
        parts = urlsplit(url)
        password, user, host, port = parts.password, parts.username or "", parts.hostname or "", parts.port
    except ValueError:
        return url
    if password is None:
        return url
    netloc = f"{user}:***@{host}" + (f":{port}" if port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc))


BROKER_SCHEMES = ("redis", "rediss", "unix", "amqp", "amqps", "pyamqp")
REDIS_SCHEMES = ("redis", "rediss", "unix")
POSTGRES_SCHEMES = ("postgresql", "postgres")  # the two libpq accepts
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    """Everything a producer, worker or embedded run needs to know; see docs/configuration.md."""

    broker_url: str | None = None
    """Celery broker. ``None`` means: not configured (``newsmill run`` then starts an embedded server)."""
    redis_url: str = DEFAULT_REDIS_URL
    """Redis for job counts, sink idempotency and the result stream (defaults to the broker if Redis)."""
    prefix: str = "newsmill"
    """Prefix of every Redis key newsmill writes, and of its Celery queues."""
    stream_maxlen: int | None = None
    jsonl_path: str | None = None
    postgres_url: str | None = None
    """PostgreSQL database of the articles table (``postgresql://`` or ``postgres://``); ``None``: no database sink."""
    enrich: tuple[str, ...] = ("reading_time", "entities", "places", "keywords", "summary", "tone", "dates",
                               "quotes", "events", "dedup")
    """Enrichment stages in chain order: places uses entities; quotes and events use them if present."""
    task_granularity: str = "stage"
    """``stage``: one Celery task per stage; ``queue``: consecutive stages of one queue in one task."""
    fetch: FetchOptions = field(default_factory=FetchOptions)
    watch: WatchOptions = field(default_factory=WatchOptions)
    """How ``newsmill watch`` schedules its polls (``NEWSMILL_WATCH_*``)."""
    soft_time_limit: float = 120.0
    hard_time_limit: float = 180.0
    max_retries: int = 3
    max_deliveries: int = 3
    """A message redelivered this many times (its worker died each time) ends as ``failed``."""
    rabbitmq_queue_type: str = "quorum"
    """RabbitMQ broker: ``quorum`` (replicated, with a delivery limit; message priorities only from
    RabbitMQ 4 on) or ``classic`` (one node, with ``x-max-priority``: depth-first flow on RabbitMQ 3)."""
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
    delivered_window: float = 30 * 24 * 3600.0
    """Seconds an article delivered by one job is remembered (id and content hash): a later job that meets
    it unchanged counts it ``unchanged``/``already_delivered`` instead of delivering it again (unless the job
    asks to reprocess). 0: every job delivers everything."""
    io_concurrency: int = 16
    cpu_concurrency: int = max(1, os.cpu_count() or 1)
    worker_max_memory_mb: int = 480
    """A prefork pool process whose resident memory (shared model pages included) has passed this many MB
    after a task is replaced by a fresh fork of the warm parent (Celery's ``worker_max_memory_per_child``):
    spaCy's vocabulary and lxml's caches grow with every new word and page, and a fork costs milliseconds.
    0: no limit (children are still replaced every 2,000 tasks)."""
    log_format: str = "auto"
    log_level: str = "INFO"
    metrics_port: int = 0
    """Port of a worker's Prometheus endpoint (``/metrics``, docs/metrics.md); 0: no endpoint."""
    metrics_address: str = "0.0.0.0"
    """Address the metrics endpoint listens on (all interfaces: Prometheus scrapes from elsewhere)."""
    metrics_host_groups: tuple[str, ...] = ()
    """Domains whose fetches the metrics count apart (with the domains of ``NEWSMILL_FETCH_DOMAIN_RATES``);
    every other host is ``other``, so a crawl of many sites does not make a label value per host."""
    clean: CleanOptions | None = None
    """Options of the clean stage (``NEWSMILL_CLEAN_*``); ``None``: the stage's defaults."""
    entities: EntityOptions | None = None
    """Options of the entities stage (``NEWSMILL_SPACY_MODEL``); ``None``: the stage's defaults."""
    summary: SummaryOptions | None = None
    """Options of the summary stage (``NEWSMILL_SUMMARY_*``); ``None``: the stage's defaults."""
    geo: GeoOptions | None = None
    """Options of the place index the places stage resolves with (``NEWSMILL_GEO_*``); ``None``: defaults."""
    dedup: DedupOptions | None = None
    """Options of the near-duplicate stage (``NEWSMILL_DEDUP_*``); ``None``: the stage's defaults."""

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
        """Settings from the environment, every variable validated here, at start-up: raises
        :class:`SettingsError` naming each bad variable, its value and what it accepts."""
        read = _Env(dict(os.environ if environ is None else environ))
        broker = read.url("NEWSMILL_BROKER_URL", BROKER_SCHEMES)
        redis_default = broker if broker and broker.lower().startswith(("redis://", "rediss://", "unix://")) \
            else DEFAULT_REDIS_URL
        defaults = cls()
        fetch = FetchOptions(
            connect_timeout=read.number("NEWSMILL_FETCH_CONNECT_TIMEOUT", FetchOptions.connect_timeout, above=True),
            read_timeout=read.number("NEWSMILL_FETCH_READ_TIMEOUT", FetchOptions.read_timeout, above=True),
            max_bytes=read.integer("NEWSMILL_FETCH_MAX_BYTES", FetchOptions.max_bytes, minimum=1),
            max_redirects=read.integer("NEWSMILL_FETCH_MAX_REDIRECTS", FetchOptions.max_redirects),
            user_agent=read.env.get("NEWSMILL_USER_AGENT") or DEFAULT_USER_AGENT,
            deadline=read.number("NEWSMILL_FETCH_DEADLINE", FetchOptions.deadline, above=True),
            allow_addresses=read.entries("NEWSMILL_FETCH_ALLOW_ADDRESSES", AddressPolicy.from_entries,
                                         "comma-separated addresses or networks, each optionally with :port"),
            resolve=read.entries("NEWSMILL_FETCH_RESOLVE", build_resolver,
                                 "comma-separated host=address entries"),
            rate=read.number("NEWSMILL_FETCH_RATE", FetchOptions.rate, above=True),
            domain_rates=read.entries("NEWSMILL_FETCH_DOMAIN_RATES", parse_domain_rates,
                                      "comma-separated domain=requests_per_second entries (> 0)"),
            robots_ttl=read.number("NEWSMILL_FETCH_ROBOTS_TTL", FetchOptions.robots_ttl),
            seen_window=read.number("NEWSMILL_FETCH_SEEN_WINDOW", FetchOptions.seen_window),
            max_connections=read.integer("NEWSMILL_FETCH_MAX_CONNECTIONS", FetchOptions.max_connections,
                                         minimum=1),
        )
        watch = WatchOptions(
            every=read.duration("NEWSMILL_WATCH_EVERY", WatchOptions.every),
            jitter=read.number("NEWSMILL_WATCH_JITTER", WatchOptions.jitter),
            max_backoff=read.duration("NEWSMILL_WATCH_MAX_BACKOFF", WatchOptions.max_backoff),
            seen_window=read.duration("NEWSMILL_WATCH_SEEN_WINDOW", WatchOptions.seen_window),
            concurrency=read.integer("NEWSMILL_WATCH_CONCURRENCY", WatchOptions.concurrency, minimum=1),
        )
        if watch.jitter >= 1:
            read.problems.append(f"NEWSMILL_WATCH_JITTER={watch.jitter:g} is not valid: expected a fraction "
                                 "from 0 to below 1 (0.1: each wait is 10 % longer or shorter at random)")
        maxlen = read.integer("NEWSMILL_STREAM_MAXLEN", 0, minimum=1)
        visibility = read.number("NEWSMILL_VISIBILITY_TIMEOUT", -1.0, above=True)
        settings = cls(
            broker_url=broker,
            redis_url=read.url("NEWSMILL_REDIS_URL", REDIS_SCHEMES) or redis_default,
            prefix=read.env.get("NEWSMILL_PREFIX") or defaults.prefix,
            stream_maxlen=maxlen or None,
            jsonl_path=read.env.get("NEWSMILL_JSONL_PATH") or None,
            postgres_url=read.url("NEWSMILL_POSTGRES_URL", POSTGRES_SCHEMES),
            enrich=read.names("NEWSMILL_ENRICH", defaults.enrich, tuple(REGISTRY)),
            task_granularity=read.choice("NEWSMILL_TASK_GRANULARITY", defaults.task_granularity,
                                         ("stage", "queue")),
            fetch=fetch,
            watch=watch,
            soft_time_limit=read.number("NEWSMILL_SOFT_TIME_LIMIT", defaults.soft_time_limit),
            hard_time_limit=read.number("NEWSMILL_HARD_TIME_LIMIT", defaults.hard_time_limit, above=True),
            max_retries=read.integer("NEWSMILL_MAX_RETRIES", defaults.max_retries),
            max_deliveries=read.integer("NEWSMILL_MAX_DELIVERIES", defaults.max_deliveries, minimum=1),
            rabbitmq_queue_type=read.choice("NEWSMILL_RABBITMQ_QUEUE_TYPE", defaults.rabbitmq_queue_type,
                                            ("quorum", "classic")),
            outage_window=read.number("NEWSMILL_OUTAGE_WINDOW", defaults.outage_window),
            max_redrives=read.integer("NEWSMILL_MAX_REDRIVES", defaults.max_redrives),
            visibility_timeout=visibility if visibility > 0 else None,
            heartbeat_interval=read.number("NEWSMILL_HEARTBEAT_INTERVAL", defaults.heartbeat_interval, above=True),
            reconcile_interval=read.number("NEWSMILL_RECONCILE_INTERVAL", defaults.reconcile_interval, above=True),
            reconcile_grace=read.number("NEWSMILL_RECONCILE_GRACE", defaults.reconcile_grace),
            delivered_window=read.number("NEWSMILL_DELIVERED_WINDOW", defaults.delivered_window),
            io_concurrency=read.integer("NEWSMILL_IO_CONCURRENCY", defaults.io_concurrency, minimum=1),
            cpu_concurrency=read.integer("NEWSMILL_CPU_CONCURRENCY", defaults.cpu_concurrency, minimum=1),
            worker_max_memory_mb=read.integer("NEWSMILL_WORKER_MAX_MEMORY", defaults.worker_max_memory_mb),
            log_format=read.choice("NEWSMILL_LOG_FORMAT", defaults.log_format, ("auto", "json", "console"),
                                   fold=True),
            log_level=read.choice("NEWSMILL_LOG_LEVEL", defaults.log_level.upper(), LOG_LEVELS + tuple(
                level.lower() for level in LOG_LEVELS)).upper(),
            metrics_port=read.integer("NEWSMILL_METRICS_PORT", defaults.metrics_port),
            metrics_address=read.env.get("NEWSMILL_METRICS_ADDRESS", "").strip() or defaults.metrics_address,
            metrics_host_groups=tuple(name.lower().strip(".") for name in
                                      read.names("NEWSMILL_METRICS_HOST_GROUPS", defaults.metrics_host_groups)),
        )
        if settings.metrics_port > 65535:
            read.problems.append(f"NEWSMILL_METRICS_PORT={settings.metrics_port} is not valid: expected a port "
                                 "number 1-65535, or 0 for no metrics endpoint")
        settings = replace(settings, **_stage_options(read))
        hard, soft = settings.hard_time_limit, settings.soft_time_limit
        if soft and soft >= hard and not read.problems:
            read.problems.append(f"NEWSMILL_SOFT_TIME_LIMIT={soft:g} is not valid: expected less than "
                                 f"NEWSMILL_HARD_TIME_LIMIT ({hard:g}), or 0 to disable it")
        if read.problems:
            raise SettingsError(read.problems)
        return replace(settings, **overrides) if overrides else settings


CLEAN_FAVOURS = ("balanced", "precision", "recall")


def _stage_options(read: _Env) -> dict[str, Any]:
    """The stages' option objects, for the stages whose variables are set (the others keep ``None``)."""
    found: dict[str, Any] = {}
    if read.any_set("NEWSMILL_CLEAN_MIN_TEXT_CHARS", "NEWSMILL_CLEAN_FAVOR", "NEWSMILL_CLEAN_FAST",
                    "NEWSMILL_CLEAN_INCLUDE_TABLES", "NEWSMILL_CLEAN_INCLUDE_COMMENTS"):
        from newsmill.clean.options import CleanOptions

        favour = read.choice("NEWSMILL_CLEAN_FAVOR", "balanced", CLEAN_FAVOURS, fold=True)
        found["clean"] = CleanOptions(
            min_text_chars=read.integer("NEWSMILL_CLEAN_MIN_TEXT_CHARS", CleanOptions.min_text_chars),
            favor_precision=favour == "precision", favor_recall=favour == "recall",
            fast=read.flag("NEWSMILL_CLEAN_FAST", CleanOptions.fast),
            include_tables=read.flag("NEWSMILL_CLEAN_INCLUDE_TABLES", CleanOptions.include_tables),
            include_comments=read.flag("NEWSMILL_CLEAN_INCLUDE_COMMENTS", CleanOptions.include_comments))
    if read.any_set("NEWSMILL_SPACY_MODEL"):
        from newsmill.enrich.entities import EntityOptions

        found["entities"] = EntityOptions(model=read.env["NEWSMILL_SPACY_MODEL"].strip())
    if read.any_set("NEWSMILL_SUMMARY_MIN_SENTENCES", "NEWSMILL_SUMMARY_LONG_ARTICLE"):
        from newsmill.enrich.summary import SummaryOptions

        found["summary"] = SummaryOptions(
            min_sentences=read.integer("NEWSMILL_SUMMARY_MIN_SENTENCES", SummaryOptions.min_sentences, minimum=1),
            long_article=read.integer("NEWSMILL_SUMMARY_LONG_ARTICLE", SummaryOptions.long_article, minimum=1))
    if read.any_set("NEWSMILL_GEO_MIN_CITY_POPULATION"):
        from newsmill.enrich.geo.index import CITY_POPULATIONS, GeoOptions

        population = read.choice("NEWSMILL_GEO_MIN_CITY_POPULATION", str(GeoOptions.min_city_population),
                                 tuple(str(p) for p in CITY_POPULATIONS))
        found["geo"] = GeoOptions(min_city_population=int(population))
    if read.any_set("NEWSMILL_DEDUP_THRESHOLD", "NEWSMILL_DEDUP_MIN_WORDS", "NEWSMILL_DEDUP_WINDOW",
                    "NEWSMILL_DEDUP_MAX_CANDIDATES"):
        from newsmill.enrich.dedupe.options import DedupOptions

        threshold = read.number("NEWSMILL_DEDUP_THRESHOLD", DedupOptions.threshold, above=True)
        if threshold > 1.0:
            read.problems.append(f"NEWSMILL_DEDUP_THRESHOLD={threshold:g} is not valid: expected a number > 0 "
                                 "and <= 1")
            threshold = DedupOptions.threshold
        found["dedup"] = DedupOptions(
            threshold=threshold,
            min_words=read.integer("NEWSMILL_DEDUP_MIN_WORDS", DedupOptions.min_words, minimum=1),
            ttl_seconds=int(read.number("NEWSMILL_DEDUP_WINDOW", DedupOptions.ttl_seconds, minimum=1.0)),
            max_candidates=read.integer("NEWSMILL_DEDUP_MAX_CANDIDATES", DedupOptions.max_candidates, minimum=1))
    return found
