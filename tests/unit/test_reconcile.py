"""The reconciler's rules (a pure function), and one pass of it over a real Redis ledger."""

from __future__ import annotations

import time

import pytest
import redis

from newsmill.keys import Keys
from newsmill.ledger import Entry, Heartbeat, Ledger, Registered
from newsmill.reconcile import ReconcileOptions, Reconciler, Stalled, Wait, decide
from newsmill.record import Source, WorkItem

OPTIONS = ReconcileOptions(grace=10.0, heartbeat_interval=2.0, running_limit=60.0, max_redrives=2)
NOW = 1_000_000.0


def running(node: str = "cpu-1@h", task: str = "t1", started: float = NOW - 5) -> Entry:
    return Entry(drive=0, state="r", stage="clean", t=started, eta=started, node=node, task_id=task)


def queued(handed: float, eta: float | None = None) -> Entry:
    return Entry(drive=0, state="q", stage="clean", t=handed, eta=handed if eta is None else eta)


def verdict(entry: Entry, *, beats: dict[str, Heartbeat] | None = None, ready: int = 0,
            mark: float = 0.0) -> Wait | Stalled:
    return decide(entry, now=NOW, heartbeats=beats or {}, ready=lambda: ready, mark=mark, options=OPTIONS)


def test_running_on_a_worker_that_stopped_beating_is_stalled() -> None:
    """A worker killed with its pool leaves inputs 'running' on a node whose heartbeat stopped."""
    beats = {"cpu-1@h": Heartbeat(NOW - 30, frozenset({"t1"}))}
    assert verdict(running(), beats=beats) == Stalled("worker_gone")
    assert verdict(running(node="unknown@h")) == Stalled("worker_gone")


def test_running_on_a_live_worker_that_holds_it_waits() -> None:
    """A task its worker still holds is left alone, and looked at again before the node could expire."""
    beats = {"cpu-1@h": Heartbeat(NOW - 1, frozenset({"t1"}))}
    result = verdict(running(), beats=beats)
    assert isinstance(result, Wait) and NOW < result.until <= NOW + OPTIONS.node_ttl


def test_running_longer_than_any_task_may_is_stalled() -> None:
    """Past the hard time limit and its margin, even a held task is not making progress."""
    beats = {"cpu-1@h": Heartbeat(NOW - 1, frozenset({"t1"}))}
    assert verdict(running(started=NOW - 61), beats=beats) == Stalled("overran")


def test_running_but_no_longer_held_is_judged_as_waiting_since_it_started() -> None:
    """A task that ended without handing over (its next message lost) is lost once its queue is empty
    and the grace has passed since it started — however often its worker beats since; while the queue
    holds messages (it may have been put back), it waits."""

    def judge(started: float, beat_at: float, ready: int) -> Wait | Stalled:
        beats = {"cpu-1@h": Heartbeat(beat_at, frozenset())}
        return decide(running(started=started), now=NOW, heartbeats=beats, ready=lambda: ready, mark=0.0,
                      options=OPTIONS)

    assert judge(NOW - 20, NOW - 0.5, ready=0) == Stalled("message_lost")
    assert isinstance(judge(NOW - 20, NOW - 0.5, ready=3), Wait)
    assert isinstance(judge(NOW - 6, NOW - 0.5, ready=0), Wait), "within the grace after it started"


def test_waiting_within_the_grace_is_left_alone() -> None:
    result = verdict(queued(NOW - 3), ready=0)
    assert result == Wait(NOW - 3 + OPTIONS.grace)


def test_waiting_past_the_grace_with_an_empty_queue_is_lost() -> None:
    assert verdict(queued(NOW - 30), ready=0) == Stalled("message_lost")


def test_waiting_in_a_busy_queue_is_lost_only_when_a_later_message_started() -> None:
    """Queues are FIFO: once a message handed over later than this one (plus the grace) has started,
    this one should have started too."""
    entry = queued(NOW - 100)
    assert isinstance(verdict(entry, ready=50, mark=NOW - 95), Wait)
    assert verdict(entry, ready=50, mark=NOW - 80) == Stalled("message_lost")


def test_a_long_wait_is_looked_at_less_and_less_often() -> None:
    """An input far back in a long queue is re-checked after half its age, not every grace period."""
    result = verdict(queued(NOW - 400), ready=1000, mark=NOW - 395)
    assert isinstance(result, Wait) and result.until == NOW + 200


def test_a_countdown_is_waited_out_and_ignores_the_fifo_mark() -> None:
    """A retry due later is not judged before its due time, and messages that started meanwhile say
    nothing about it (it was not in the queue with them)."""
    entry = queued(NOW - 30, eta=NOW + 60)
    assert verdict(entry, ready=0) == Wait(NOW + 60 + OPTIONS.grace)
    late = queued(NOW - 100, eta=NOW - 60)
    assert isinstance(verdict(late, ready=5, mark=NOW - 5), Wait)
    assert verdict(late, ready=0) == Stalled("message_lost")


# --- one pass over a real ledger ------------------------------------------------------------------------

def registered(job: str, name: str) -> Registered:
    return Registered(WorkItem(job, Source("file", f"/in/{name}.txt")), ("load", "clean", "extract", "sink"))


@pytest.fixture()
def ledger(redis_client: redis.Redis, prefix: str) -> Ledger:
    return Ledger(redis_client, Keys(prefix))


def test_a_pass_redrives_what_a_dead_worker_held_and_gives_up_after_the_budget(ledger: Ledger) -> None:
    """An input started on a worker that never beats again is driven again (a new drive); the old
    drive's message is then superseded; after ``max_redrives`` the input is given up."""
    job, item = "job-r1", registered("job-r1", "a")
    ledger.register(job, [item], grace=0.0)
    drives: list[tuple[str, int]] = []
    given_up: list[str] = []

    def redrive(reg: Registered, entry: Entry, drive: int) -> str:
        drives.append((entry.stage, drive))
        return "clean"

    reconciler = Reconciler(ledger, ReconcileOptions(grace=0.0, heartbeat_interval=0.1, running_limit=60,
                                                     max_redrives=2),
                            lane_of=lambda stage: "cpu", queue_ready=lambda lane: 0, redrive=redrive,
                            give_up=lambda reg, entry, reason: given_up.append(reason),
                            job_finished=lambda job_id: False)
    for drive in range(3):
        assert ledger.start(item, drive=drive, stage="clean", node="dead@h", task_id=f"t{drive}", lane="cpu",
                            look_after=0.0) == "go"
        time.sleep(0.5)  # the node's heartbeat (never written) is older than its time to live
        reconciler.run_once()
        if drive < 2:
            assert drives[-1] == ("clean", drive + 1)
            assert ledger.start(item, drive=drive, stage="clean", node="x@h", task_id="old", lane="cpu",
                                look_after=60) == "superseded"
    assert drives == [("clean", 1), ("clean", 2)]
    assert given_up == ["worker_gone"]


def test_a_pass_leaves_alone_what_a_live_worker_holds(ledger: Ledger) -> None:
    """A running input whose worker beats and holds it is not driven again."""
    job, item = "job-r2", registered("job-r2", "b")
    ledger.register(job, [item], grace=0.0)
    ledger.start(item, drive=0, stage="clean", node="cpu-1@h", task_id="t1", lane="cpu", look_after=0.0)
    ledger.heartbeat("cpu-1@h", ["t1"])
    reconciler = Reconciler(ledger, OPTIONS, lane_of=lambda stage: "cpu", queue_ready=lambda lane: 0,
                            redrive=lambda *a: pytest.fail("must not re-drive"),
                            give_up=lambda *a: pytest.fail("must not give up"), job_finished=lambda job_id: False)
    assert reconciler.run_once().looked_at == 1
    entry = ledger.entry(job, item.item.source.key)
    assert entry is not None and (entry.drive, entry.state, entry.task_id) == (0, "r", "t1")


def test_a_deeper_message_that_overtook_a_waiting_one_does_not_make_it_stalled(ledger: Ledger) -> None:
    """Priorities by depth (tasks/queues.py): B's extract, handed over after A's clean, starts while A's
    clean still waits in the busy cpu queue. That is the design, not a lost message: the watermark is kept
    per queue and priority level, and A's level saw no later start."""
    from tasks.stages import mark_lane  # the test only: the watermark keys the workers use

    job, a, b = "job-r3", registered("job-r3", "a"), registered("job-r3", "b")
    ledger.register(job, [a, b], grace=0.0)

    def step(what: str) -> None:
        time.sleep(0.01)  # the ledger stamps milliseconds: keep the hand-overs apart

    ledger.handover(b.item, drive=0, stage="clean", delay=0.0, grace=0.0)
    step("b clean handed over")
    ledger.start(b, drive=0, stage="clean", node="cpu-1@h", task_id="b1", lane=mark_lane("clean"), look_after=60)
    step("b clean started")
    ledger.handover(a.item, drive=0, stage="clean", delay=0.0, grace=0.0)
    step("a clean handed over")
    ledger.handover(b.item, drive=0, stage="extract", delay=0.0, grace=0.0)
    step("b extract handed over")
    ledger.start(b, drive=0, stage="extract", node="cpu-1@h", task_id="b2", lane=mark_lane("extract"),
                 look_after=60)
    time.sleep(0.05)

    ledger.heartbeat("cpu-1@h", ["b2"])
    reconciler = Reconciler(ledger, ReconcileOptions(grace=0.0, heartbeat_interval=2.0, running_limit=60,
                                                     max_redrives=2),
                            lane_of=lambda stage: "cpu", queue_ready=lambda lane: 5,
                            redrive=lambda *a: pytest.fail("a waiting input was re-driven"),
                            give_up=lambda *a: pytest.fail("must not give up"), job_finished=lambda job_id: False,
                            mark_of=mark_lane)
    report = reconciler.run_once()
    assert report.redriven == 0 and report.looked_at >= 1
    entry = ledger.entry(job, a.item.source.key)
    assert entry is not None and (entry.state, entry.stage, entry.drive) == ("q", "clean", 0)
