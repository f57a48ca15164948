"""The reconciler's view of a queue: how many messages wait in it, on the real broker, with our key prefix
and one list per priority level. A queue that looks empty while messages wait makes the reconciler take
every input waiting longer than its grace for a lost message (re-driven three times, then ``lost``)."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from newsmill.settings import Settings
from tasks.queues import CPU_QUEUE, message_priority, queue_name
from workers.app import make_app
from workers.broker import ready_messages


def _publish(app: Any, queue: str, priorities: list[int]) -> None:
    with app.connection_for_write() as connection, connection.channel() as channel:
        bound = app.amqp.queues[queue](channel)
        bound.declare()
        producer = app.amqp.Producer(channel)
        for priority in priorities:
            producer.publish({"n": priority}, exchange=bound.exchange, routing_key=bound.routing_key,
                             priority=priority, serializer="json")


def test_counts_every_priority_level_under_the_key_prefix(redis_url: str, prefix: str,
                                                          redis_client: redis.Redis) -> None:
    app = make_app(Settings.from_env({"NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_PREFIX": prefix}))
    cpu = queue_name(CPU_QUEUE)
    assert ready_messages(app, cpu) == 0  # not there yet: no lists
    levels = [message_priority(depth, redis_url) for depth in (1, 1, 2, 3, 9)]
    _publish(app, cpu, levels)
    # The messages sit in several lists, all under our prefix (what kombu's passive declare missed).
    lists = [k for k in redis_client.keys(f"{prefix}*") if redis_client.type(k) == b"list"]
    assert len(lists) == 4
    assert ready_messages(app, cpu) == 5
    with app.connection_for_write() as connection, connection.channel() as channel:
        assert channel.basic_get(cpu, no_ack=True) is not None
    assert ready_messages(app, cpu) == 4


def test_a_passive_declare_is_what_missed_them(redis_url: str, prefix: str) -> None:
    """Why :func:`ready_messages` does not use one on Redis (kombu 5.7); when kombu prefixes ``EXISTS``
    this test fails, and the workaround can go."""
    from kombu.exceptions import ChannelError

    app = make_app(Settings.from_env({"NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_PREFIX": prefix}))
    cpu = queue_name(CPU_QUEUE)
    _publish(app, cpu, [message_priority(1, redis_url)])
    with app.connection_for_write() as connection, connection.channel() as channel, pytest.raises(ChannelError):
        channel.queue_declare(queue=cpu, passive=True)
