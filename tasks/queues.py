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


# Depth-first flow: a message's priority rises with its stage's depth in the article's chain, so a worker
# finishes the articles it has started before it starts new ones (the first records arrive early and the
# progress ETA means something), instead of moving every article through one stage after another.
MAX_PRIORITY = 9
"""Celery's scale, 0-9. On RabbitMQ the higher number wins; kombu's Redis transport polls its per-priority
lists lowest number first, so there the scale is turned round (:func:`message_priority`)."""
PRIORITY_STEPS = list(range(MAX_PRIORITY + 1))
"""kombu's Redis transport keeps one list per step (``cpu``, ``cpu\\x06\\x161``, …); every level its own."""
QUORUM_HIGH = 5
"""RabbitMQ 4 quorum queues know two levels, normal (0-4) and high (5 and up): every step after the first
is high there, so started articles still go first."""


def depth_priority(depth: int) -> int:
    """Priority (higher wins) of a message for the stage at ``depth`` (0: load or fetch) of a chain."""
    if depth <= 0:
        return 0
    return min(QUORUM_HIGH - 1 + depth, MAX_PRIORITY)


def message_priority(depth: int, broker_url: str) -> int:
    """The ``priority`` option Celery passes with the message for the stage at ``depth``."""
    priority = depth_priority(depth)
    return priority if is_amqp(broker_url) else MAX_PRIORITY - priority
