"""What newsmill does to the broker connection: declare every queue at start-up, and work around a kombu
bug that ends a worker when its Redis connection is lost.

Declaring: Celery's native delayed delivery (retry countdowns and politeness deferrals on RabbitMQ quorum queues)
binds *every* task queue of the app to its delay exchanges when a worker starts; a worker only declares
the queues it consumes, so an ``io`` worker that starts first on a fresh virtual host cannot bind the
``cpu`` queue ("no exchange 'cpu'"), and its countdowns towards ``cpu`` would be dropped. Each worker
therefore declares all task queues (and their exchanges) before its consumer starts.

The kombu bug (kombu 5.7.0, Redis transport; the family of celery/celery#10205 and celery/kombu#582):
when a consumer's connection is lost, kombu closes the ``Connection`` first, which sets its transport's
``client`` to ``None``, and then the consumer's channel, whose ``close`` restores the unacknowledged
messages through a new Redis client built from ``self.connection.client`` — ``AttributeError:
'NoneType' object has no attribute 'hostname'`` in ``Channel._connparams``. Celery does not count an
``AttributeError`` as a connection error, so the worker stops ("Unrecoverable error"). The patch makes
that case raise the Redis ``ConnectionError`` it is, which Celery handles by reconnecting; the messages
stay in kombu's ``unacked`` table (nothing is lost), and the reconciler drives their inputs on long
before kombu's visibility timeout would give them back. ``tests/unit/test_broker_patch.py`` shows the
failure without the patch.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import celeryd_after_setup
from kombu.exceptions import ChannelError
from kombu.transport import redis as kombu_redis
from redis import exceptions as redis_errors

log = structlog.get_logger("newsmill.workers.broker")

DECLARE_RETRIES = 10
"""Start-up attempts (with back-off, about a minute) while the broker is not reachable yet."""


def waiting_messages(app: Any, queue: str) -> int:
    """Messages waiting in a queue, every priority level (not counting those workers hold). A queue the
    broker does not know (Redis deletes an empty list) holds none."""
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        with connection.channel() as channel:
            try:
                return int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:
                return 0


def declare_all_queues(app: Any) -> None:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=DECLARE_RETRIES, interval_start=1, interval_step=2,
                                     interval_max=10)
        with connection.channel() as channel:
            for queue in app.amqp.queues.values():
                queue(channel).declare()


@celeryd_after_setup.connect
def _declare_on_start(sender: str, instance: Any, **_: Any) -> None:
    try:
        declare_all_queues(instance.app)
    except Exception as exc:  # the consumer reports the broker itself; delayed delivery may be degraded
        log.warning("broker.declare_failed", error=f"{type(exc).__name__}: {exc}")


def _connparams_of_a_live_connection(original: Any) -> Any:
    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis_errors.ConnectionError("the broker connection of this channel is already closed")
        return original(self, asynchronous)

    _connparams.newsmill_patched = True  # type: ignore[attr-defined]
    _connparams.__wrapped__ = original  # type: ignore[attr-defined]
    return _connparams


def patch_kombu() -> None:
    """Apply the workaround above (idempotent)."""
    current = kombu_redis.Channel._connparams
    if not getattr(current, "newsmill_patched", False):
        kombu_redis.Channel._connparams = _connparams_of_a_live_connection(current)  # type: ignore[method-assign]


patch_kombu()
