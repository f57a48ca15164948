"""Long-lived resources a process shares across articles: built lazily, once, then reused.

A worker process builds one :class:`Resources` at start-up (see ``workers/resources.py``); the in-process
runner and the tests build their own. Stages receive it explicitly and never reach for globals.
"""

from __future__ import annotations

import functools

import httpx
import redis

from newsmill.keys import Keys
from newsmill.settings import Settings
from newsmill.sinks import Delivery, JsonlSink


class Resources:
    def __init__(self, settings: Settings, *, http: httpx.Client | None = None,
                 redis_client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.keys = Keys(settings.prefix)
        self._http = http
        self._redis = redis_client

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            from newsmill.load import build_http_client

            self._http = build_http_client(self.settings.fetch)
        return self._http

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.settings.redis_url, health_check_interval=30)
        return self._redis

    @functools.cached_property
    def delivery(self) -> Delivery:
        jsonl = JsonlSink(self.settings.jsonl_path) if self.settings.jsonl_path else None
        return Delivery(self.redis, self.keys, jsonl=jsonl, stream_maxlen=self.settings.stream_maxlen)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._redis is not None:
            self._redis.close()
            self._redis = None
        self.__dict__.pop("delivery", None)
