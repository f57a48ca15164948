"""One :class:`~newsmill.resources.Resources` per worker process, built on first use and shared by its
threads; rebuilt after a fork so no socket is shared between processes."""

from __future__ import annotations

import threading
from typing import Any

from celery.signals import celeryd_after_setup, worker_process_init, worker_process_shutdown

from newsmill.pipeline import warm_up
from newsmill.resources import Resources
from newsmill.settings import Settings
from workers.config import CPU_QUEUE

_lock = threading.Lock()
_resources: Resources | None = None


def worker_resources() -> Resources:
    global _resources
    if _resources is None:
        with _lock:
            if _resources is None:
                _resources = Resources(Settings.from_env())
    return _resources


@celeryd_after_setup.connect
def _preload(sender: str, instance: Any, **_: Any) -> None:
    # In the worker's main process, after its queues are known and before the pool forks: children
    # inherit the loaded models. Only workers that run cpu stages need them (an io worker would carry
    # ~190 MB of models it never uses).
    if CPU_QUEUE in instance.app.amqp.queues.consume_from:
        warm_up(Settings.from_env().enrich)


_inherited: list[Resources] = []


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    global _resources
    # The parent's connections must not be used by the child: start from nothing. The parent's objects
    # are kept, unused, rather than collected here: closing them would close the parent's sockets and
    # its SQLite index (of the JSONL sink) from the child.
    if _resources is not None:
        _inherited.append(_resources)
    _resources = None


@worker_process_shutdown.connect
def _on_shutdown(**_: Any) -> None:
    if _resources is not None:
        _resources.close()
