"""The progress ledger's scripts against the real Redis: registration, starts, hand-overs, drives, lease."""

from __future__ import annotations

import time

import pytest
import redis

from newsmill.jobs import JobStore
from newsmill.keys import Keys
from newsmill.ledger import Ledger, Registered
from newsmill.record import Source, WorkItem


@pytest.fixture()
def ledger(redis_client: redis.Redis, prefix: str) -> Ledger:
    return Ledger(redis_client, Keys(prefix))


def item(job: str, name: str) -> Registered:
    return Registered(WorkItem(job, Source("file", f"/in/{name}.txt")), ("load", "clean", "sink"))


def test_register_counts_each_input_once(ledger: Ledger, redis_client: redis.Redis, prefix: str) -> None:
    """Registering counts inputs as enqueued; an input named twice is registered (and published) once."""
    a, b = item("j1", "a"), item("j1", "b")
    assert ledger.register("j1", [a, b, a], grace=30) == [True, True, False]
    assert ledger.register("j1", [b], grace=30) == [False]
    assert JobStore(redis_client, Keys(prefix)).counts("j1").enqueued == 2
    entry = ledger.entry("j1", a.item.source.key)
    assert entry is not None and (entry.drive, entry.state, entry.stage) == (0, "q", "load")
    assert ledger.registered("j1", a.item.source.key) == a
    assert ledger.active_jobs() == ["j1"]


def test_start_says_go_done_or_superseded(ledger: Ledger, redis_client: redis.Redis, prefix: str) -> None:
    """A start is recorded; a delivered input or an older drive's message is told to stop."""
    a = item("j2", "a")
    ledger.register("j2", [a], grace=30)
    assert ledger.start(a, drive=0, stage="load", node="io@h", task_id="t1", lane="io", look_after=5) == "go"
    entry = ledger.entry("j2", a.item.source.key)
    assert entry is not None and (entry.state, entry.node, entry.task_id) == ("r", "io@h", "t1")
    ledger.handover(a.item, drive=1, stage="clean", delay=0, grace=30, redriven=True)
    assert ledger.start(a, drive=0, stage="clean", node="cpu@h", task_id="t2", lane="cpu",
                        look_after=5) == "superseded"
    redis_client.hset(Keys(prefix).job_deliveries("j2"), a.item.source.key, "done")
    assert ledger.start(a, drive=1, stage="clean", node="cpu@h", task_id="t3", lane="cpu", look_after=5) == "done"


def test_start_registers_an_input_redis_forgot(ledger: Ledger) -> None:
    """After a Redis restart that lost an input's registration, its message registers it again."""
    a = item("j3", "a")
    assert ledger.start(a, drive=0, stage="clean", node="cpu@h", task_id="t1", lane="cpu", look_after=5) == "go"
    assert ledger.registered("j3", a.item.source.key) == a
    assert "j3" in ledger.active_jobs()


def test_a_redrive_mark_never_undoes_the_new_drives_own_start(ledger: Ledger) -> None:
    """The reconciler publishes a new drive, then marks it; if the new message already started, the
    mark must not turn it back into 'waiting'."""
    a = item("j4", "a")
    ledger.register("j4", [a], grace=30)
    ledger.start(a, drive=1, stage="clean", node="cpu@h", task_id="t9", lane="cpu", look_after=5)
    ledger.handover(a.item, drive=1, stage="clean", delay=0, grace=30, redriven=True)
    entry = ledger.entry("j4", a.item.source.key)
    assert entry is not None and (entry.drive, entry.state) == (1, "r")
    ledger.handover(a.item, drive=1, stage="sink", delay=0, grace=30)  # the task's own hand-over
    entry = ledger.entry("j4", a.item.source.key)
    assert entry is not None and (entry.state, entry.stage) == ("q", "sink")


def test_only_messages_without_a_countdown_move_the_fifo_mark(ledger: Ledger) -> None:
    """The lane's mark is the hand-over time of the newest started message that waited in the queue in
    order; a retry with a countdown did not, and leaves it alone."""
    a, b = item("j5", "a"), item("j5", "b")
    ledger.register("j5", [a, b], grace=30)
    ledger.handover(a.item, drive=0, stage="clean", delay=30, grace=30)
    ledger.start(a, drive=0, stage="clean", node="cpu@h", task_id="t1", lane="cpu", look_after=5)
    assert "cpu" not in ledger.lane_marks()
    ledger.handover(b.item, drive=0, stage="clean", delay=0, grace=30)
    handed = ledger.entry("j5", b.item.source.key)
    ledger.start(b, drive=0, stage="clean", node="cpu@h", task_id="t2", lane="cpu", look_after=5)
    assert handed is not None and ledger.lane_marks()["cpu"] == pytest.approx(handed.t, abs=0.01)


def test_one_reconciler_lease_at_a_time(ledger: Ledger) -> None:
    """The lease goes to one node, is renewed by it, and passes on when it expires or is released."""
    assert ledger.hold_lease("a@h", 0.3)
    assert not ledger.hold_lease("b@h", 0.3)
    assert ledger.hold_lease("a@h", 0.3)
    time.sleep(0.4)
    assert ledger.hold_lease("b@h", 5)
    ledger.release_lease("a@h")  # not the holder: nothing happens
    assert not ledger.hold_lease("a@h", 5)
    ledger.release_lease("b@h")
    assert ledger.hold_lease("a@h", 5)


def test_heartbeats_name_the_tasks_a_worker_holds(ledger: Ledger) -> None:
    ledger.heartbeat("io-1@h", ["t1", "t2"])
    beat = ledger.heartbeats()["io-1@h"]
    assert beat.task_ids == frozenset({"t1", "t2"}) and abs(beat.t - ledger.now()) < 5
    ledger.forget_node("io-1@h")
    assert "io-1@h" not in ledger.heartbeats()


def test_looking_again_never_brings_back_an_input_delivered_meanwhile(
        ledger: Ledger, redis_client: redis.Redis, prefix: str) -> None:
    """The reconciler reads due inputs, then pushes the ones to wait for back; an input delivered in
    between (its commit removed it) must not reappear in the due set as a leftover of a finished job."""
    a, b = item("j9", "a"), item("j9", "b")
    ledger.register("j9", [a, b], grace=30)
    due_key = Keys(prefix).job_due("j9")
    redis_client.zrem(due_key, a.item.source.key)  # what the sink's commit does on delivery
    ledger.look_again("j9", {a.item.source.key: 10.0, b.item.source.key: 20.0})
    assert redis_client.zrange(due_key, 0, -1, withscores=True) == [(b.item.source.key.encode(), 20.0)]
