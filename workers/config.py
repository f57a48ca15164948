"""Celery configuration, derived from newsmill's :class:`~newsmill.settings.Settings`."""

from __future__ import annotations

from typing import Any

from kombu.entity import Exchange, Queue

from newsmill.keys import Keys
from newsmill.settings import Settings
from tasks.queues import CPU_QUEUE, IO_QUEUE, MAX_PRIORITY, PRIORITY_STEPS, QUEUES, is_amqp, queue_name

__all__ = ["CPU_QUEUE", "IO_QUEUE", "QUEUES", "celery_config", "is_amqp", "queue_name", "task_queues"]

BROKER_DELIVERY_LIMIT_MARGIN = 2
"""RabbitMQ's delivery limit sits this far above ``max_deliveries``: the task's own guard records a poison
message as ``failed`` first, and the broker's limit only catches what gets past it."""


def task_queues(settings: Settings) -> list[Queue]:
    """The ``io`` and ``cpu`` queues; on RabbitMQ, replicated quorum queues with a delivery limit, or
    (``NEWSMILL_RABBITMQ_QUEUE_TYPE=classic``) classic queues with message priorities."""
    if not is_amqp(settings.effective_broker_url):
        return [Queue(name) for name in QUEUES]
    arguments: dict[str, Any]
    if settings.rabbitmq_queue_type == "classic":
        # RabbitMQ 3's quorum queues ignore priorities, so depth-first flow there needs classic queues.
        # They have no delivery limit: the tasks' own guard (max_deliveries, counted in Redis for every
        # redelivered message) ends a poison message. Countdowns wait in the worker (unacknowledged,
        # redelivered if it dies), as Celery does without native delayed delivery.
        arguments = {"x-max-priority": MAX_PRIORITY}
    else:
        arguments = {"x-queue-type": "quorum",
                     "x-delivery-limit": settings.max_deliveries + BROKER_DELIVERY_LIMIT_MARGIN}
    # Topic exchanges, because Celery's native delayed delivery (retry countdowns on quorum queues, which
    # have no per-message TTL) cannot route through direct ones.
    return [Queue(name, Exchange(name, type="topic"), routing_key=name, queue_arguments=arguments)
            for name in QUEUES]


def celery_config(settings: Settings) -> dict[str, Any]:
    broker = settings.effective_broker_url
    transport_options: dict[str, Any] = {}
    if broker.startswith(("redis://", "rediss://", "unix://")):
        transport_options = {
            # A message not acknowledged within the visibility timeout is handed to another worker; it
            # must outlast the hard time limit and the longest retry countdown, or running tasks get
            # duplicated. It is only the backstop: the reconciler re-drives stalled inputs long before.
            "visibility_timeout": int(settings.effective_visibility_timeout),
            # A partition leaves sockets open and silent: without a timeout, a publish would wait for
            # ever and the health checks would never run. kombu's BRPOP waits 1 s, well inside this.
            "socket_timeout": 15,
            "socket_connect_timeout": 5,
            "socket_keepalive": True,
            "health_check_interval": 10,
            # Every key kombu and Celery write (queues, unacked, bindings, event fanout) under our
            # prefix: two prefixes on one Redis database never share a queue.
            "global_keyprefix": Keys(settings.prefix).broker_prefix(),
            # One list per priority level (each stage depth its own, see tasks/queues.py): a worker takes
            # from the deepest level first, so started articles finish before new ones start. kombu's
            # queue length (the reconciler's, ``newsmill status``) sums the lists; Redis-side counters
            # such as KEDA's listName see one list only (deploy/k8s/keda.yaml).
            "priority_steps": PRIORITY_STEPS,
        }
    elif is_amqp(broker):
        # Publisher confirms: enqueue returns only once RabbitMQ has the message. Global QoS, which
        # quorum queues reject, is switched off by Celery itself (worker_detect_quorum_queues).
        # Message priorities (tasks/queues.py) need no queue argument on quorum queues: RabbitMQ 4 reads
        # two levels (0-4 normal, 5-9 high) from each message; RabbitMQ 3 quorum queues ignore them (and
        # refuse x-max-priority), so the flow there stays breadth-first unless the queues are classic.
        transport_options = {"confirm_publish": True}
    return {
        "broker_url": broker,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        # A worker whose broker goes away reconnects for as long as it takes (with back-off) instead of
        # exiting after 100 attempts; errors on a channel (a full Redis refusing a write) are retried
        # the same way instead of ending the worker.
        "broker_connection_max_retries": None,
        "broker_channel_error_retry": True,
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
        # 0 disables the soft limit (the hard limit alone then ends a task).
        "task_soft_time_limit": settings.soft_time_limit or None,
        "task_time_limit": settings.hard_time_limit,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_queues": task_queues(settings),
        "worker_detect_quorum_queues": True,
        "task_default_queue": IO_QUEUE,
        "worker_hijack_root_logger": False,
        # Politeness limits live in Redis (shared by all workers); Celery's per-worker rate limits are off.
        "worker_disable_rate_limits": True,
        # lxml and trafilatura keep caches that grow with unusual pages; recycle children now and then.
        "worker_max_tasks_per_child": 2000,
        # ... and when one has grown past the memory bound (KiB here; checked after each task, so the task
        # in hand finishes and is acknowledged first).
        "worker_max_memory_per_child": settings.worker_max_memory_mb * 1024 or None,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
    }
