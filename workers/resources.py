"""The worker's :class:`~newsmill.resources.Resources`: built from the app's settings when the worker
starts, and again in every pool child after the fork, so no socket is shared between processes.

The main process builds them in a bootstep (before the pool starts, so a threads or solo pool has them
from its first task); a prefork child builds its own in ``worker_process_init``. Tasks reach them through
:meth:`ProcessResources.get`, which :func:`tasks.stages.register` was given.
"""

from __future__ import annotations

import gc
import threading
from typing import Any, ClassVar

from celery import bootsteps
from celery.signals import (
    celeryd_after_setup,
    worker_before_create_process,
    worker_process_init,
    worker_process_shutdown,
)

from newsmill.observe import NO_OBSERVER, Observer
from newsmill.pipeline import warm_up
from newsmill.record import build_adapters
from newsmill.resources import Resources
from newsmill.settings import Settings
from tasks.queues import CPU_QUEUE


class ResourcesNotStarted(RuntimeError):
    pass


class ProcessResources:
    """One process's resources, shared by its threads."""

    def __init__(self, settings: Settings, observer: Observer = NO_OBSERVER) -> None:
        self.settings = settings
        self.observer = observer
        self._lock = threading.Lock()
        self._current: Resources | None = None
        self._inherited: list[Resources] = []

    def start(self) -> Resources:
        """Build this process's resources (idempotent)."""
        with self._lock:
            if self._current is None:
                build_adapters()  # before the pool's threads need them all at once
                self._current = Resources(self.settings, observer=self.observer)
            return self._current

    def after_fork(self) -> None:
        """In a pool child: start from nothing. The parent's objects are kept, unused, rather than
        collected: closing them would close the parent's sockets and its SQLite index (of the JSONL
        sink) from the child."""
        with self._lock:
            if self._current is not None:
                self._inherited.append(self._current)
            self._current = None
        self.start()

    def get(self) -> Resources:
        current = self._current
        if current is None:
            raise ResourcesNotStarted("worker resources are built when the worker starts; none yet in this "
                                      "process")
        return current

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.close()
                self._current = None


def resources_of(app: Any) -> ProcessResources:
    """The process resources of a newsmill app (see workers/app.py)."""
    found = getattr(app, "process_resources", None)
    if not isinstance(found, ProcessResources):
        raise TypeError(f"{app!r} is not a newsmill app (built by workers.app.make_app)")
    return found


class ResourcesStep(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
    """Builds the main process's resources before the pool starts, closes them at shutdown."""

    requires: ClassVar[set[str]] = set()

    def create(self, worker: Any) -> None:
        resources_of(worker.app).start()

    def stop(self, worker: Any) -> None:
        resources_of(worker.app).close()


@celeryd_after_setup.connect
def _preload(sender: str, instance: Any, **_: Any) -> None:
    # In the worker's main process, after its queues are known and before the pool forks: children
    # inherit the loaded models. Only workers that run cpu stages need them (an io worker would carry
    # ~190 MB of models it never uses).
    if CPU_QUEUE in instance.app.amqp.queues.consume_from:
        warm_up(resources_of(instance.app).settings)


@worker_before_create_process.connect
def _freeze_before_fork(**_: Any) -> None:
    # Celery runs a full collection in the main process before every fork of a pool process: with the
    # models loaded that is ~890,000 objects and 0.3-0.4 s with the consumer stopped, at every replacement
    # (NEWSMILL_WORKER_MAX_MEMORY). Frozen objects are skipped by every later collection here and in the
    # children, whose collections then no longer write to (and so copy) the pages they share with us.
    # Collected first, so no garbage of ours is frozen for good; after the first time that is cheap.
    gc.collect()
    gc.freeze()


def _current_process_resources() -> ProcessResources | None:
    # Celery makes a pool child's app current (celery.concurrency.prefork.process_initializer) before it
    # sends worker_process_init; another app's pool (not newsmill's) is none of our business.
    from celery import current_app

    found = getattr(current_app, "process_resources", None)
    return found if isinstance(found, ProcessResources) else None


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    resources = _current_process_resources()
    if resources is not None:
        resources.after_fork()


@worker_process_shutdown.connect
def _on_shutdown(**_: Any) -> None:
    resources = _current_process_resources()
    if resources is not None:
        resources.close()
