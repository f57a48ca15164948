"""Message priorities by stage depth, and the reconciler's watermark key per priority level."""

from __future__ import annotations

from tasks.queues import MAX_PRIORITY, depth_priority, message_priority
from tasks.stages import STAGES, mark_lane, stage_depth


def test_priority_rises_with_depth_on_rabbitmq_and_falls_on_redis() -> None:
    names = ["load", "clean", "extract", *sorted(n for n in STAGES if n.startswith("enrich."))[:2], "sink"]
    depths = [stage_depth(n) for n in names]
    assert depths[0] == 0 and depths[1] == 1 and depths[2] == 2 and stage_depth("fetch") == 0
    amqp = [message_priority(d, "amqp://guest:guest@127.0.0.1:5672//") for d in depths]
    assert amqp == sorted(amqp) and amqp[0] == 0 and amqp[-1] == MAX_PRIORITY
    # RabbitMQ 4 quorum queues: every step after the first is "high" (5 and up).
    assert all(p >= 5 for p in amqp[1:])
    redis = [message_priority(d, "redis://127.0.0.1:6379/0") for d in depths]
    assert redis == [MAX_PRIORITY - p for p in amqp]


def test_watermark_key_is_queue_and_level() -> None:
    assert mark_lane("load") == "io:0" == mark_lane("fetch")
    assert mark_lane("clean") == f"cpu:{depth_priority(1)}"
    assert mark_lane("extract") != mark_lane("clean")
    assert mark_lane("sink").startswith("io:")
