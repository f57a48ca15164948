"""Long-lived resources a process shares across articles: built lazily, once, then reused.

A worker process builds one :class:`Resources` at start-up (see ``workers/resources.py``); the in-process
runner and the tests build their own. Stages receive it explicitly and never reach for globals.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

import redis

from newsmill.bodies import Bodies
from newsmill.keys import Keys
from newsmill.ledger import Ledger
from newsmill.observe import NO_OBSERVER, Observer
from newsmill.settings import Settings
from newsmill.sinks import Delivery, JsonlSink

if TYPE_CHECKING:
    from newsmill.enrich.dedupe import DedupIndex
    from newsmill.fetch.fetcher import Fetcher


class Resources:
    def __init__(self, settings: Settings, *, fetcher: Fetcher | None = None,
                 redis_client: redis.Redis | None = None, observer: Observer = NO_OBSERVER) -> None:
        self.settings = settings
        self.observer = observer
        """Told what the pipeline does, for metrics (a worker with a metrics endpoint: workers/metrics.py)."""
        self.keys = Keys(settings.prefix)
        self._fetcher = fetcher
        self._redis = redis_client
        self._lock = threading.Lock()

    @property
    def fetcher(self) -> Fetcher:
        """The process's one fetcher (one HTTP connection pool), shared by every io thread."""
        if self._fetcher is None:
            with self._lock:
                if self._fetcher is None:
                    from newsmill.fetch.fetcher import Fetcher

                    self._fetcher = Fetcher(self.settings.fetch, redis_client=self.redis,
                                            prefix=self.settings.prefix)
        return self._fetcher

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.settings.redis_url, health_check_interval=30)
        return self._redis

    @functools.cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.redis, self.keys)

    @functools.cached_property
    def bodies(self) -> Bodies:
        return Bodies(self.redis, self.keys)

    @functools.cached_property
    def dedup_index(self) -> DedupIndex:
        """The near-duplicate index on this process's Redis client (the dedup stage's)."""
        from newsmill.enrich.dedupe import DedupIndex, DedupOptions

        return DedupIndex(self.redis, self.settings.prefix, self.settings.dedup or DedupOptions())

    @functools.cached_property
    def delivery(self) -> Delivery:
        jsonl = JsonlSink(self.settings.jsonl_path) if self.settings.jsonl_path else None
        postgres = None
        if self.settings.postgres_url:
            # Imported here: psycopg stays out of the processes of a pipeline without a database.
            from newsmill.sinks.postgres import PostgresSink

            postgres = PostgresSink(self.settings.postgres_url)
        return Delivery(self.redis, self.keys, jsonl=jsonl, postgres=postgres,
                        stream_maxlen=self.settings.stream_maxlen, delivered_window=self.settings.delivered_window)

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None
        if self._redis is not None:
            self._redis.close()
            self._redis = None
        delivery = self.__dict__.pop("delivery", None)
        if delivery is not None:
            delivery.close()
        for name in ("ledger", "bodies", "dedup_index"):
            self.__dict__.pop(name, None)
