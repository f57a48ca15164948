"""A worker's Prometheus endpoint (``NEWSMILL_METRICS_PORT``): what the pipeline did, counted in every
process of the worker, and the broker's queues as they are at scrape time. See docs/metrics.md.

A prefork worker runs its tasks in pool children, so the counts are kept by prometheus_client's
multiprocess mode: each process writes its values to files in a directory of this worker's own (made
fresh at start, removed at exit), and the endpoint, served by the worker's main process, adds them up.
That mode is chosen when prometheus_client is imported, by ``PROMETHEUS_MULTIPROC_DIR``: the worker
command sets the variable before anything imports the library (:func:`start_endpoint`), and the metrics
are created on first use, in whichever process uses them.

The queue depth and the worker's own description come from a collector in the main process, read when
Prometheus scrapes: they are facts about now, not sums over the pool's processes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from celery.signals import worker_process_shutdown

from newsmill.fetch.ratelimit import parse_domain_rates
from newsmill.observe import NO_OBSERVER, Observer
from newsmill.pipeline import CLEAN, FETCH, LOAD
from newsmill.settings import Settings
from tasks.queues import QUEUES
from workers.broker import ready_messages

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

log = structlog.get_logger("newsmill.workers.metrics")

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Seconds: a clean or extract takes tens of milliseconds, a slow fetch or a large spaCy parse seconds."""
LATENCY_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)
"""Seconds from enqueueing to the committed record: a second on an idle pipeline, hours behind a backlog."""
OTHER_HOSTS = "other"
NO_REASON = "none"
"""The ``reason`` label of an ``ok`` record (an empty label value would read as no label at all)."""


class _Metrics:
    """The metric objects of one process, made once (two sets with one name would share files)."""

    def __init__(self) -> None:
        # Imported here, on first use: the worker command sets PROMETHEUS_MULTIPROC_DIR first.
        from prometheus_client import Counter, Histogram

        # registry=None: in multiprocess mode values live in the directory's files, and the endpoint's
        # registry reads them there; the process-global default registry has no part in it.
        self.stage_seconds = Histogram(
            "newsmill_stage_duration_seconds", "Time a stage took, per stage (its output or an ended record).",
            ["stage"], buckets=STAGE_BUCKETS, registry=None)
        self.records = Counter(
            "newsmill_records", "Records committed, once per job and input, by status and reason.",
            ["status", "reason"], registry=None)
        self.dead_letters = Counter(
            "newsmill_dead_letters", "Records appended to the dead-letter stream (every failed record), by reason.",
            ["reason"], registry=None)
        self.latency = Histogram(
            "newsmill_article_latency_seconds", "Seconds from an input's enqueueing to its committed record.",
            ["status"], buckets=LATENCY_BUCKETS, registry=None)
        self.fetches = Counter(
            "newsmill_fetches", "Page fetches that ended, by outcome code and host group.",
            ["code", "host_group"], registry=None)
        self.retries = Counter(
            "newsmill_retries", "Messages sent back to their queue: kind retry (an attempt spent), deferral "
            "(a host over its budget) or outage (Redis away), by stage and code.",
            ["stage", "kind", "code"], registry=None)
        self.redrives = Counter(
            "newsmill_redrives", "Stalled inputs the reconciler drove again, by the stage they restart at.",
            ["stage"], registry=None)


_made: list[_Metrics] = []
_making = threading.Lock()


def _metrics() -> _Metrics:
    """This process's metrics, made on first use; a forked child inherits them (prometheus_client then
    moves their values to the child's own files)."""
    if not _made:
        with _making:  # io threads may all ask at once; two sets would each miss the other's counts
            if not _made:
                _made.append(_Metrics())
    return _made[0]


def host_group(host: str, groups: frozenset[str]) -> str:
    """The most specific of ``groups`` that ``host`` is in (``news.example.com`` is in ``example.com``),
    else ``other``: a label value per host would grow without bound on a crawl of many sites."""
    labels = host.lower().strip(".").split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in groups:
            return candidate
    return OTHER_HOSTS


class PrometheusObserver(Observer):
    """Counts what the pipeline reports into this process's Prometheus metrics."""

    def __init__(self, settings: Settings) -> None:
        self.groups = frozenset(settings.metrics_host_groups) | frozenset(
            parse_domain_rates(settings.fetch.domain_rates))

    def stage_finished(self, stage: str, seconds: float) -> None:
        _metrics().stage_seconds.labels(stage).observe(seconds)

    def fetched(self, url: str, code: str) -> None:
        _metrics().fetches.labels(code, host_group(urlsplit(url).hostname or "", self.groups)).inc()

    def delivered(self, status: str, reason: str | None, latency_s: float | None) -> None:
        metrics = _metrics()
        metrics.records.labels(status, reason or NO_REASON).inc()
        if status == "failed":  # the commit appends every failed record to the dead-letter stream
            metrics.dead_letters.labels(reason or NO_REASON).inc()
        if latency_s is not None:
            metrics.latency.labels(status).observe(max(0.0, latency_s))

    def rescheduled(self, stage: str, kind: str, code: str) -> None:
        _metrics().retries.labels(stage, kind, code).inc()

    def redriven(self, stage: str) -> None:
        _metrics().redrives.labels(stage).inc()


def observer_for(settings: Settings) -> Observer:
    """What a worker's resources report to: Prometheus when the worker serves metrics, else nothing."""
    return PrometheusObserver(settings) if settings.metrics_port else NO_OBSERVER


@dataclass(frozen=True)
class WorkerDescription:
    """What the endpoint says of the worker itself."""

    queues: tuple[str, ...]
    pool: str
    concurrency: int


class WorkerCollector:
    """The worker's own gauges and the broker queues' depth, read at scrape time in the main process.

    Every worker reports the same queues: a dashboard takes ``max`` over them, not the sum.
    """

    def __init__(self, app: Any, worker: WorkerDescription) -> None:
        self.app = app
        self.worker = worker

    def describe(self) -> list[Any]:
        return []  # no probe collect at registration: it would ask the broker before the worker runs

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        queues = ",".join(self.worker.queues)
        up = GaugeMetricFamily("newsmill_worker_up", "1 for each worker serving this endpoint.",
                               labels=["queues", "pool"])
        up.add_metric([queues, self.worker.pool], 1)
        yield up
        concurrency = GaugeMetricFamily("newsmill_worker_concurrency",
                                        "Tasks the worker runs at once (pool processes or threads).",
                                        labels=["queues", "pool"])
        concurrency.add_metric([queues, self.worker.pool], self.worker.concurrency)
        yield concurrency
        depth = GaugeMetricFamily("newsmill_queue_messages",
                                  "Messages waiting in a broker queue, all priority levels (not those workers "
                                  "hold), as seen at scrape time.", labels=["queue"])
        for queue in QUEUES:
            try:
                depth.add_metric([queue], ready_messages(self.app, queue))
            except Exception as exc:  # broker away: the scrape still answers, without this sample
                log.warning("metrics.queue_depth_unavailable", queue=queue, error=f"{type(exc).__name__}: {exc}")
        yield depth


class MetricsUnavailable(RuntimeError):
    """The endpoint cannot start (the port is taken, the address is not this host's): one line for the user."""


@dataclass
class MetricsEndpoint:
    """The running endpoint of one worker and its directory of per-process files."""

    directory: str
    server: WSGIServer

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_endpoint(settings: Settings, app: Any, worker: WorkerDescription) -> MetricsEndpoint:
    """Serve ``/metrics`` on ``settings.metrics_port`` from this (the worker's main) process, before its
    pool starts; the pool's children inherit the directory through the environment."""
    global _directory
    if "prometheus_client" in sys.modules:
        # Too late for multiprocess mode: the children's counts would never reach the endpoint.
        raise RuntimeError("prometheus_client was imported before the metrics directory was set")
    directory = tempfile.mkdtemp(prefix="newsmill-metrics-")
    # prometheus_client's own switch, read at its import: in this process (below) and every pool child.
    os.environ[MULTIPROC_VARIABLE] = directory
    _directory = directory
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    # A re-drive starts at an input's first stage, or at clean from its stored document: those series
    # exist from the start (at 0), so a rate over them means "none" rather than "no data".
    for stage in (LOAD.name, FETCH.name, CLEAN.name):
        _metrics().redrives.labels(stage)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    registry.register(WorkerCollector(app, worker))
    try:
        server, _thread = start_http_server(settings.metrics_port, addr=settings.metrics_address, registry=registry)
    except OSError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise MetricsUnavailable(f"metrics endpoint {settings.metrics_address}:{settings.metrics_port}: "
                                 f"{exc.strerror or exc} (NEWSMILL_METRICS_PORT, NEWSMILL_METRICS_ADDRESS)") from exc
    log.info("metrics.serving", address=settings.metrics_address, port=settings.metrics_port, directory=directory)
    return MetricsEndpoint(directory, server)


_directory: str | None = None
"""This worker's metrics directory (a forked pool child inherits it), once :func:`start_endpoint` ran."""


@worker_process_shutdown.connect
def _process_ended(pid: int | None = None, **_: Any) -> None:
    # A pool child's live gauges (multiprocess_mode live*) must not outlast it; its counters stay summed.
    if _directory is not None and "prometheus_client" in sys.modules:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid(), _directory)
