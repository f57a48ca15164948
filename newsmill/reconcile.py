"""The reconciler: finds inputs that stopped making progress and drives them again from their last durable
point, so that no job waits on a lost message.

It reads the progress ledger (:mod:`newsmill.ledger`) and the workers' heartbeats, and decides for each
input whose time has come (:func:`decide`):

- started on a worker that stopped beating (killed with its pool, cut off from Redis): *stalled*;
- started longer ago than any task may run (the hard time limit and a margin): *stalled*;
- started, but its worker no longer holds it (the task ended without handing over: the next message was
  never published, or was lost): treated as waiting since it started;
- waiting in a queue past its due time and a grace period, when that queue is empty, or when a message
  handed to the same queue *at the same priority level* later has already started (each level of a queue
  is first in, first out; a deeper stage's message overtakes shallower ones by design): *stalled*.

A stalled input is driven again (a new *drive*; messages of older drives stop when they start) from the
stored document if the clean stage was reached, else from its source; after ``max_redrives`` it ends as a
``failed`` record with reason ``lost``. Whatever a stale message does later, the sink writes each input
once. One worker at a time runs the reconciler, under a lease in Redis (``workers/reconciler.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from newsmill.ledger import Entry, Heartbeat, Ledger, Registered

log = structlog.get_logger("newsmill.reconcile")

MAX_RECHECK_SECONDS = 600.0
"""A long wait in a busy queue is looked at again at most this much later."""


@dataclass(frozen=True)
class ReconcileOptions:
    grace: float
    heartbeat_interval: float
    running_limit: float
    max_redrives: int
    batch: int = 1000

    @property
    def node_ttl(self) -> float:
        """A worker that missed three heartbeats is gone (the same rule as ``Settings.node_ttl``)."""
        return 3 * self.heartbeat_interval + 1.0


@dataclass(frozen=True)
class Wait:
    until: float


@dataclass(frozen=True)
class Stalled:
    reason: str
    """``worker_gone``, ``overran`` or ``message_lost``."""


def decide(entry: Entry, *, now: float, heartbeats: dict[str, Heartbeat], ready: Callable[[], int],
           mark: float, options: ReconcileOptions) -> Wait | Stalled:
    """What to do about one unfinished input now. ``ready`` counts the messages waiting in the queue of
    the input's stage, every priority level (asked only when needed); ``mark`` is the FIFO watermark of
    that queue's level the stage's messages go to."""
    eta, delayed = entry.eta, entry.delayed
    if entry.state == "r":
        beat = heartbeats.get(entry.node)
        if beat is None or beat.t < now - options.node_ttl:
            return Stalled("worker_gone")
        if now - entry.t > options.running_limit:
            return Stalled("overran")
        if entry.task_id in beat.task_ids or beat.t < entry.t + options.heartbeat_interval:
            return Wait(min(entry.t + options.running_limit, now + options.node_ttl))
        # Its worker no longer holds it: the task ended without handing over (its next message was never
        # published, or was lost), or was put back in its queue. Judge it as an input waiting since it
        # started: the heartbeat only proves the task is over, and a later beat must not move the date.
        eta, delayed = entry.t, False
    due = eta + options.grace
    if now < due:
        return Wait(due)
    if ready() == 0:
        return Stalled("message_lost")
    if not delayed and mark > due:
        return Stalled("message_lost")
    return Wait(now + max(options.grace, min(MAX_RECHECK_SECONDS, (now - eta) / 2)))


Redrive = Callable[[Registered, Entry, int], str]
"""Publishes a new drive of an input (the registered input, its ledger entry, the new drive number) and
returns the stage it starts at."""
GiveUp = Callable[[Registered, Entry, str], None]
"""Ends an input that was re-driven too often as a ``failed``/``lost`` record (its entry and the reason)."""


@dataclass
class PassReport:
    looked_at: int = 0
    redriven: int = 0
    given_up: int = 0
    finished_jobs: list[str] = field(default_factory=list)


class Reconciler:
    """One pass at a time over every active job's due inputs."""

    def __init__(self, ledger: Ledger, options: ReconcileOptions, *, lane_of: Callable[[str], str],
                 queue_ready: Callable[[str], int], redrive: Redrive, give_up: GiveUp,
                 job_finished: Callable[[str], bool], mark_of: Callable[[str], str] | None = None) -> None:
        self._ledger = ledger
        # The watermark key of a stage (its queue and priority level); the queue itself when not given.
        self._mark_of = mark_of or lane_of
        self._options = options
        self._lane_of = lane_of
        self._queue_ready = queue_ready
        self._redrive = redrive
        self._give_up = give_up
        self._job_finished = job_finished

    def run_once(self) -> PassReport:
        report = PassReport()
        ledger, options = self._ledger, self._options
        now = ledger.now()
        heartbeats = ledger.heartbeats()
        ledger.forget_nodes([node for node, beat in heartbeats.items() if beat.t < now - 24 * 3600])
        marks = ledger.lane_marks()
        ready_counts: dict[str, int] = {}

        def ready(lane: str) -> int:
            if lane not in ready_counts:
                ready_counts[lane] = self._queue_ready(lane)
            return ready_counts[lane]

        for job_id in ledger.active_jobs():
            due = ledger.due(job_id, now, options.batch)
            if not due:
                if ledger.unfinished(job_id) == 0 and self._job_finished(job_id):
                    ledger.drop_job(job_id)
                    report.finished_jobs.append(job_id)
                continue
            later: dict[str, float] = {}
            gone: list[str] = []
            for input_key, entry in due:
                report.looked_at += 1
                if entry is None:
                    gone.append(input_key)
                    continue
                lane = self._lane_of(entry.stage)
                verdict = decide(entry, now=now, heartbeats=heartbeats, ready=functools.partial(ready, lane),
                                 mark=marks.get(self._mark_of(entry.stage), 0.0), options=options)
                if isinstance(verdict, Wait):
                    later[input_key] = verdict.until
                    continue
                try:
                    self._recover(job_id, input_key, entry, verdict.reason, report)
                except Exception:  # a broker that refuses the publish now may take it next pass
                    log.exception("input.redrive_failed", job_id=job_id, source=input_key, stage=entry.stage)
                    later[input_key] = now + options.grace
            ledger.forget(job_id, gone)
            ledger.look_again(job_id, later)
        return report

    def _recover(self, job_id: str, input_key: str, entry: Entry, reason: str, report: PassReport) -> None:
        registered = self._ledger.registered(job_id, input_key)
        if registered is None:
            log.error("input.unrecoverable", job_id=job_id, source=input_key, stage=entry.stage, reason=reason)
            self._ledger.forget(job_id, [input_key])
            return
        if entry.drive >= self._options.max_redrives:
            log.error("input.lost", job_id=job_id, source=input_key, stage=entry.stage, reason=reason,
                      drives=entry.drive)
            self._give_up(registered, entry, reason)
            report.given_up += 1
            return
        drive = entry.drive + 1
        stage = self._redrive(registered, entry, drive)
        self._ledger.handover(registered.item, drive=drive, stage=stage, delay=0.0, grace=self._options.grace,
                              redriven=True)
        log.warning("input.redriven", job_id=job_id, source=input_key, stalled_at=entry.stage, reason=reason,
                    restart_at=stage, drive=drive)
        report.redriven += 1
