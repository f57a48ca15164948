"""What newsmill does to the broker connection: declare every queue at start-up, count a queue's waiting
messages, and work around a kombu bug that ends a worker when its Redis connection is lost.

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

And one cost: kombu's Redis channel builds a new ``redis.Redis`` client for every publish, ack and event
(``Channel.conn_or_acquire``), and redis-py's constructor copies ~170 response callbacks into a
case-insensitive dict each time. In an io worker that was 21 % of the time the GIL was held (py-spy
``--gil`` during ``bench/fetch_throughput.py``), nearly all of it on Celery's one event-loop thread, which
every message passes. A redis-py client is thread-safe (each command takes a connection from the pool), so
the channel keeps one per connection pool and builds a new one only when kombu replaces the pool (after a
connection loss).
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import celeryd_after_setup
from kombu.exceptions import ChannelError
from kombu.transport import redis as kombu_redis
from redis import exceptions as redis_errors

from tasks.queues import is_amqp

log = structlog.get_logger("newsmill.workers.broker")

DECLARE_RETRIES = 10
"""Start-up attempts (with back-off, about a minute) while the broker is not reachable yet."""


def declare_all_queues(app: Any) -> None:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=DECLARE_RETRIES, interval_start=1, interval_step=2,
                                     interval_max=10)
        with connection.channel() as channel:
            for queue in app.amqp.queues.values():
                queue(channel).declare()


def ready_messages(app: Any, queue: str) -> int:
    """Messages waiting in ``queue`` (every priority level; not those workers hold); 0 for a queue the
    broker does not know.

    On Redis this must not be a passive declare: kombu 5.7 answers one with ``EXISTS`` on each priority
    list, a command its ``global_keyprefix`` client does not prefix, so with a prefix (always ours) every
    queue looked missing and empty — and the reconciler took every input waiting longer than its grace
    for a lost message, re-drove it three times and ended it ``lost`` (tests/unit/test_broker_ready.py).
    A declare that may create answers with ``LLEN``, which is prefixed; on Redis it creates nothing (a
    queue is its lists, made by the first push). On RabbitMQ a passive declare is right: a non-passive
    one with other arguments than the queue's would fail, and one without the queue would create it."""
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        with connection.channel() as channel:
            try:
                declared = channel.queue_declare(queue=queue, passive=is_amqp(app.conf.broker_url))
            except ChannelError:
                return 0
            return int(declared.message_count)


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


def _one_client_per_pool(original: Any) -> Any:
    def _create_client(self: Any, asynchronous: bool = False) -> Any:
        if asynchronous:
            return original(self, asynchronous=True)
        pool = self.pool  # raises the ConnectionError above on a closed connection, as before
        cached = getattr(self, "_newsmill_client", None)
        if cached is None or cached.connection_pool is not pool:
            cached = self._newsmill_client = original(self)
        return cached

    _create_client.newsmill_patched = True  # type: ignore[attr-defined]
    _create_client.__wrapped__ = original  # type: ignore[attr-defined]
    return _create_client


def patch_kombu() -> None:
    """Apply the workaround and the client reuse above (idempotent)."""
    current = kombu_redis.Channel._connparams
    if not getattr(current, "newsmill_patched", False):
        kombu_redis.Channel._connparams = _connparams_of_a_live_connection(current)  # type: ignore[method-assign]
    create = kombu_redis.Channel._create_client
    if not getattr(create, "newsmill_patched", False):
        kombu_redis.Channel._create_client = _one_client_per_pool(create)  # type: ignore[method-assign]


patch_kombu()
