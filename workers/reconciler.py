"""Every worker's main process beats its heart in Redis and takes turns running the reconciler.

A worker bootstep starts one thread that, every ``NEWSMILL_HEARTBEAT_INTERVAL`` seconds, writes which
tasks the worker holds (:meth:`newsmill.ledger.Ledger.heartbeat`), and every
``NEWSMILL_RECONCILE_INTERVAL`` seconds, if it holds (or can take) the reconciler's lease, runs one pass
of :class:`newsmill.reconcile.Reconciler`. No extra service to deploy or remember: any worker can do it,
one at a time, and when that worker dies its lease expires and another takes over.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, ClassVar

import structlog
from celery import bootsteps
from celery.worker import state as worker_state

from newsmill.errors import InfrastructureError
from newsmill.jobs import JobStore
from newsmill.ledger import Entry, Registered
from newsmill.pipeline import SINK, dead_letter, end_record, run_stage
from newsmill.reconcile import ReconcileOptions, Reconciler
from newsmill.resources import Resources
from tasks.chains import redrive
from tasks.queues import queue_name
from tasks.stages import STAGES, mark_lane
from workers.broker import ready_messages
from workers.resources import resources_of

log = structlog.get_logger("newsmill.workers.reconciler")


def held_task_ids() -> list[str]:
    """Ids of the tasks this worker holds: running, or received and waiting for a pool slot or an ETA."""
    for _attempt in range(5):  # the consumer thread changes these sets while we read them
        try:
            return sorted({request.id for request in (*worker_state.active_requests,
                                                      *worker_state.reserved_requests)})
        except RuntimeError:
            continue
    return []


class Supervision:
    """The heartbeat and reconciler loop of one worker."""

    def __init__(self, app: Any, node: str, res: Resources) -> None:
        self.app = app
        self.node = node
        self.res = res
        settings = res.settings
        self.options = ReconcileOptions(grace=settings.reconcile_grace,
                                        heartbeat_interval=settings.heartbeat_interval,
                                        running_limit=settings.running_limit,
                                        max_redrives=settings.max_redrives)
        self.reconciler = Reconciler(
            res.ledger, self.options, lane_of=self._lane_of, queue_ready=self._queue_ready,
            redrive=self._redrive, give_up=self._give_up, job_finished=self._job_finished,
            mark_of=mark_lane)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="newsmill-supervision", daemon=True)

    def start(self) -> None:
        with contextlib.suppress(Exception):  # the loop keeps trying if Redis is not there yet
            self.res.ledger.heartbeat(self.node, [])
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        with contextlib.suppress(Exception):
            self.res.ledger.release_lease(self.node)
            self.res.ledger.forget_node(self.node)

    def _loop(self) -> None:
        settings = self.res.settings
        next_pass = 0.0
        while not self._stop.wait(settings.heartbeat_interval):
            try:
                self.res.ledger.heartbeat(self.node, held_task_ids())
                if time.monotonic() >= next_pass:
                    next_pass = time.monotonic() + settings.reconcile_interval
                    lease_ttl = 3 * settings.reconcile_interval + settings.heartbeat_interval
                    if self.res.ledger.hold_lease(self.node, lease_ttl):
                        report = self.reconciler.run_once()
                        if report.redriven or report.given_up:
                            log.warning("reconciler.pass", looked_at=report.looked_at, redriven=report.redriven,
                                        given_up=report.given_up)
            except Exception as exc:  # Redis or the broker away: try again next beat
                log.warning("supervision.error", error=f"{type(exc).__name__}: {exc}")

    # --- what the reconciler needs from the worker ---------------------------------------------------

    def _lane_of(self, stage: str) -> str:
        found = STAGES.get(stage)
        return found.queue if found is not None else "io"

    def _queue_ready(self, lane: str) -> int:
        return ready_messages(self.app, queue_name(lane))

    def _redrive(self, registered: Registered, entry: Entry, drive: int) -> str:
        stage = redrive(registered, entry, drive, self.res.settings, self.res, self.app)
        self.res.observer.redriven(stage)
        return stage

    def _give_up(self, registered: Registered, entry: Entry, reason: str) -> None:
        item = registered.item
        record = end_record(item, status="failed", reason="lost",
                            message=f"no progress at stage {entry.stage} after {entry.drive} re-drives "
                                    f"({reason.replace('_', ' ')})")
        try:
            run_stage(SINK, record, self.res)
        except InfrastructureError as exc:
            if exc.code != "sink_error":
                raise  # Redis refused it: the next pass tries again
            dead_letter(record, self.res)

    def _job_finished(self, job_id: str) -> bool:
        counts = JobStore(self.res.redis, self.res.keys).counts(job_id)
        return counts.finished or not counts.exists


class SupervisionStep(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
    """Starts :class:`Supervision` with the worker, stops it (and leaves the lease) at shutdown."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.supervision: Supervision | None = None

    def start(self, worker: Any) -> None:
        self.supervision = Supervision(worker.app, worker.hostname, resources_of(worker.app).start())
        self.supervision.start()

    def stop(self, worker: Any) -> None:
        if self.supervision is not None:
            self.supervision.stop()
            self.supervision = None
