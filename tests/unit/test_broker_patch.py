"""kombu's Redis transport, when a connection is closed before its consumer's channel: without newsmill's
patch the channel's close raises AttributeError (which ends a Celery worker); with it, the Redis
ConnectionError Celery reconnects on, and the unacknowledged message stays in Redis, not lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from kombu import Connection, Exchange, Queue
from kombu.transport import redis as kombu_redis

from workers import broker


def consume_one_and_close_the_connection_first(redis_url: str, name: str) -> Any:
    """Leaves one delivered, unacknowledged message on a channel whose Connection was closed first,
    as kombu's connection-loss handling does; returns that channel."""
    connection = Connection(redis_url)
    channel = connection.channel()
    queue = Queue(name, Exchange(name), name)(channel)
    queue.declare()
    connection.Producer(channel).publish({"n": 1}, exchange=name, routing_key=name)
    received: list[Any] = []
    consumer = connection.Consumer(queue, callbacks=[lambda body, message: received.append(message)],
                                   channel=channel)
    consumer.qos(prefetch_count=1)
    consumer.consume()
    connection.drain_events(timeout=5)
    assert len(received) == 1
    connection._do_close_transport()  # what Connection._close does after closing its default channel only
    return channel


def test_unpatched_kombu_raises_attribute_error(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The upstream behaviour the patch works around (if this starts failing, kombu fixed it)."""
    broker.patch_kombu()
    monkeypatch.setattr(kombu_redis.Channel, "_connparams", kombu_redis.Channel._connparams.__wrapped__)
    channel = consume_one_and_close_the_connection_first(redis_url, f"patch-test-{uuid.uuid4().hex[:8]}")
    with pytest.raises(AttributeError, match="hostname"):
        channel.close()


def test_patched_kombu_raises_a_connection_error_and_keeps_the_message(redis_url: str,
                                                                       redis_client: redis.Redis) -> None:
    """With the patch, closing that channel is a connection error, and the message is still in Redis."""
    broker.patch_kombu()
    name = f"patch-test-{uuid.uuid4().hex[:8]}"
    channel = consume_one_and_close_the_connection_first(redis_url, name)
    with pytest.raises(redis.ConnectionError):
        channel.close()
    assert redis_client.hlen("unacked") >= 1, "the message waits in kombu's unacked table, not lost"
    redis_client.delete("unacked", "unacked_index", name)


def test_a_channel_reuses_one_client_until_its_pool_is_replaced(redis_url: str) -> None:
    broker.patch_kombu()
    with Connection(redis_url) as connection:
        channel = connection.default_channel
        first = channel._create_client()
        assert channel._create_client() is first
        with channel.conn_or_acquire() as client:
            assert client is first
        channel._disconnect_pools()  # what kombu does when the connection is lost
        replaced = channel._create_client()
        assert replaced is not first and replaced.connection_pool is channel.pool
        assert replaced.ping()
        assert channel._create_client(asynchronous=True) is not replaced  # the poller's own, as before
