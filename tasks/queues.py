"""The broker queues the tasks are routed to, named here, below the worker configuration that declares
them, so the tasks need nothing from ``workers``."""

from __future__ import annotations

IO_QUEUE = "io"
"""Loading and fetching: waits on disks and networks, so a worker runs many threads."""
CPU_QUEUE = "cpu"
"""Cleaning, extraction, enrichment: a prefork pool with one process per core."""
QUEUES = (IO_QUEUE, CPU_QUEUE)
AMQP_SCHEMES = ("amqp://", "amqps://", "pyamqp://")


def queue_name(lane: str) -> str:
    """The broker queue of a pipeline lane (a stage's ``queue``: ``io`` or ``cpu``)."""
    return IO_QUEUE if lane == "io" else CPU_QUEUE


def is_amqp(broker_url: str) -> bool:
    return broker_url.startswith(AMQP_SCHEMES)
