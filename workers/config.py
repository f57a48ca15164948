"""Celery configuration, derived from newsmill's :class:`~newsmill.settings.Settings`."""

from __future__ import annotations

from typing import Any

from kombu.entity import Queue

from newsmill.settings import Settings

IO_QUEUE = "io"
"""Loading and fetching: waits on disks and networks, so a worker runs many threads."""
CPU_QUEUE = "cpu"
"""Cleaning, extraction, enrichment: a prefork pool with one process per core."""
QUEUES = (IO_QUEUE, CPU_QUEUE)


def celery_config(settings: Settings) -> dict[str, Any]:
    broker = settings.effective_broker_url
    # A message not acknowledged within the visibility timeout is handed to another worker; it must
    # outlast the hard time limit and the longest retry countdown, or running tasks get duplicated.
    visibility_timeout = int(max(3600, settings.hard_time_limit * 4))
    transport_options: dict[str, Any] = {}
    if broker.startswith(("redis://", "rediss://", "unix://")):
        transport_options = {"visibility_timeout": visibility_timeout}
    return {
        "broker_url": broker,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        # Nothing reads task results: records reach consumers through the sinks.
        "task_ignore_result": True,
        "result_expires": 3600,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.soft_time_limit,
        "task_time_limit": settings.hard_time_limit,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_queues": [Queue(name) for name in QUEUES],
        "task_default_queue": IO_QUEUE,
        "worker_hijack_root_logger": False,
        # Politeness limits live in Redis (shared by all workers); Celery's per-worker rate limits are off.
        "worker_disable_rate_limits": True,
        # lxml and trafilatura keep caches that grow with unusual pages; recycle children now and then.
        "worker_max_tasks_per_child": 2000,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
    }
