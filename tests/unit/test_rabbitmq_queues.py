"""Unit tests of the RabbitMQ task queues' arguments (workers/config.py: task_queues)."""

from __future__ import annotations

import pytest

from newsmill.settings import Settings, SettingsError
from tasks.queues import MAX_PRIORITY
from workers.config import task_queues

AMQP = {"NEWSMILL_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/x"}


def test_quorum_queues_with_a_delivery_limit_by_default() -> None:
    for queue in task_queues(Settings.from_env(AMQP)):
        assert queue.queue_arguments is not None
        assert queue.queue_arguments["x-queue-type"] == "quorum"
        assert "x-delivery-limit" in queue.queue_arguments and "x-max-priority" not in queue.queue_arguments


def test_classic_queues_take_message_priorities() -> None:
    settings = Settings.from_env({**AMQP, "NEWSMILL_RABBITMQ_QUEUE_TYPE": "classic"})
    queues = task_queues(settings)
    assert [q.name for q in queues] == ["io", "cpu"]
    for queue in queues:
        assert queue.queue_arguments == {"x-max-priority": MAX_PRIORITY}


def test_an_unknown_queue_type_is_named_in_the_error() -> None:
    with pytest.raises(SettingsError, match="NEWSMILL_RABBITMQ_QUEUE_TYPE"):
        Settings.from_env({**AMQP, "NEWSMILL_RABBITMQ_QUEUE_TYPE": "stream"})


def test_a_redis_broker_has_plain_queues_whatever_the_setting() -> None:
    settings = Settings.from_env({"NEWSMILL_RABBITMQ_QUEUE_TYPE": "classic"})
    assert all(not q.queue_arguments for q in task_queues(settings))
