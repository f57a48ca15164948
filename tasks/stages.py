"""One thin Celery task per pipeline stage: deserialize, run the stage, serialize, decide retries.

The stage rules (pass-through of ended records, Drop/Failure → record, infrastructure errors → retry)
live in :func:`newsmill.pipeline.run_stage`; what is Celery-specific stays here: recording progress in
the ledger (a task starts, then hands over to the next stage), retries with back-off, waits out a Redis
outage, the soft time limit, and a guard against messages that kill their worker again and again.

Message fields beside the payload: ``drive`` (which drive of the input this message belongs to; the
reconciler starts a new one when an input stalls, and older ones stop), ``deferrals`` and ``outages``
(re-schedules that are not attempts: a host over its politeness budget, Redis unreachable or full) and
``outage_since`` (when this message first met the outage).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import structlog
from celery import Celery, Task
from celery.exceptions import Reject, SoftTimeLimitExceeded, TimeLimitExceeded

from newsmill import enrich as enrichment
from newsmill.errors import Deferred, InfrastructureError, Retryable, infrastructure_error
from newsmill.ledger import Registered
from newsmill.pipeline import SINK, Stage, all_stages, dead_letter, end_record, run_stage, stages_for
from newsmill.record import ArticleRecord, Document, Payload, WorkItem, payload_from_dict, payload_to_dict
from newsmill.resources import Resources
from tasks.queues import CPU_QUEUE, IO_QUEUE, depth_priority, is_amqp, message_priority, queue_name

log = structlog.get_logger("newsmill.tasks")

STARTS_TTL_SECONDS = 24 * 3600
MESSAGE_FIELDS = ("drive", "deferrals", "outages", "outage_since")
"""Fields of a task message that are about the message, not the payload."""


ResourcesOf = Callable[[], Resources]
"""How a task reaches its process's resources (built by the worker at start-up, see workers/resources.py)."""
LOST_HANDLER_NAME = "newsmill.stage_lost"


def task_name(stage: Stage) -> str:
    return f"newsmill.{stage.name}"


def group_task_name(queue: str) -> str:
    return f"newsmill.{queue}_stages"


def stage_depth(name: str) -> int:
    """How deep a stage sits in any chain: load or fetch 0, clean 1, extract 2, the enrichments in the
    registry's order, the sink last. From the name alone, so the chain, a retry and the reconciler agree
    on a message's priority whatever enrichments the job chose."""
    order = ["clean", "extract", *(f"enrich.{n}" for n in enrichment.REGISTRY), SINK.name]
    return order.index(name) + 1 if name in order else 0


def mark_lane(name: str) -> str:
    """The ledger's watermark key of a stage's messages: its queue and priority level. Only messages of one
    level are first in, first out (a deeper, later message overtakes a waiting shallower one by design),
    so the reconciler compares a waiting input only with starts at its own level."""
    stage = STAGES.get(name)
    lane = stage.queue if stage is not None else "io"
    return f"{lane}:{depth_priority(stage_depth(name))}"


def bind_task_context(**values: Any) -> None:
    """Log context of one task run; contextvars are per thread, so an io worker's threads keep theirs."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**values)


def celery_error_code(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return "time_limit"
    return "internal_error"


def work_item(payload: Payload) -> WorkItem:
    if isinstance(payload, WorkItem):
        return payload
    if isinstance(payload, Document):
        return payload.item
    return WorkItem(payload.job_id, payload.source)


def _context(payload: Payload) -> dict[str, Any]:
    if isinstance(payload, WorkItem):
        return {"job_id": payload.job_id, "source": payload.source.key}
    if isinstance(payload, Document):
        return {"job_id": payload.item.job_id, "article_id": payload.id}
    return {"job_id": payload.job_id, "article_id": payload.id}


def _started_too_often(task: Task, res: Resources) -> bool:
    """True when this message (this attempt) was started more often than ``max_deliveries``.

    With ``acks_late`` a message whose worker died is delivered again; one that kills every worker
    would circulate for ever. Brokers mark such messages ``redelivered`` (kombu's Redis transport does
    when it restores one), so only those pay for counting starts in Redis.
    """
    if not (task.request.delivery_info or {}).get("redelivered"):
        return False
    key = res.keys.task_deliveries(f"{task.request.id}:{task.request.retries}")
    pipe = res.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, STARTS_TTL_SECONDS)
    redeliveries = int(pipe.execute()[0])
    return redeliveries + 1 > res.settings.max_deliveries


def _next_stage(task: Task) -> str | None:
    """The stage of the chain's next message, read from the chain Celery is about to continue."""
    chain = task.request.chain
    if not chain:
        return None
    step = chain[-1]
    names = (step.get("kwargs") or {}).get("names")
    if names:
        return str(names[0])
    return str(step["task"]).removeprefix("newsmill.")


class _Message:
    """The message fields of one task run, and the retries it may still make."""

    def __init__(self, task: Task, data: dict[str, Any]) -> None:
        self.task = task
        self.drive = int(data.get("drive") or 0)
        self.deferrals = int(data.get("deferrals") or 0)
        self.outages = int(data.get("outages") or 0)
        self.outage_since = data.get("outage_since")

    @property
    def attempts_made(self) -> int:
        """Real retries so far: Celery's count less the re-schedules that were not attempts."""
        return int(self.task.request.retries) - self.deferrals - self.outages

    def fields(self, **changes: Any) -> dict[str, Any]:
        base = {"drive": self.drive, "deferrals": self.deferrals, "outages": self.outages,
                "outage_since": self.outage_since}
        return {**base, **changes}


def _retry(msg: _Message, stages: list[Stage], index: int, payload: Payload | dict[str, Any],
           res: Resources, *, countdown: float, exc: Retryable, kind: str, **changes: Any) -> Exception:
    """Re-schedule the stages from ``index`` on with ``payload`` (or a message as it came, untouched) in
    ``countdown`` seconds; returns the exception to raise. The ledger learns first, so a re-schedule that
    is lost is found again. ``kind`` (``retry``, ``deferral``, ``outage``) is what the metrics count it as."""
    task = msg.task
    res.observer.rescheduled(stages[index].name, kind, exc.code)
    kwargs = {"names": [s.name for s in stages[index:]]} if len(stages) > 1 else {}
    as_received = isinstance(payload, dict)
    data = payload if isinstance(payload, dict) else payload_to_dict(payload)
    item = work_item(payload_from_dict({**data, "body": data.get("body") or ""}))
    try:
        res.ledger.handover(item, drive=msg.drive, stage=stages[index].name, delay=countdown,
                            grace=res.settings.reconcile_grace)
        message = {**(data if as_received else res.bodies.stash(data)), **msg.fields(**changes)}
    except redis.RedisError:
        # Redis is away (that may be why we retry): the message carries the body itself this time.
        message = {**data, **msg.fields(**changes)}
    # The stage's own priority, said again (Celery would copy the one received): a deferred or retried
    # article must not fall behind articles that have not started.
    priority = message_priority(stage_depth(stages[index].name), res.settings.effective_broker_url)
    retry: Exception | None = task.retry(args=(message,), kwargs=kwargs, exc=exc,
                                         countdown=_countdown(countdown, res),
                                         max_retries=task.request.retries + 1, throw=False,
                                         priority=priority)
    return retry or (exc if isinstance(exc, Exception) else RuntimeError(str(exc)))


def _countdown(seconds: float, res: Resources) -> float:
    """RabbitMQ's native delayed delivery counts whole seconds and refuses a countdown that rounds to 0
    (Celery raises "countdown must be a positive number" and the retry is dropped): round up there."""
    seconds = max(0.0, seconds)
    if seconds > 0 and is_amqp(res.settings.effective_broker_url):
        return float(math.ceil(seconds))
    return seconds


def _outage(msg: _Message, stages: list[Stage], index: int, payload: Payload | dict[str, Any],
            res: Resources, exc: InfrastructureError) -> Exception:
    """Redis is unreachable or full: wait (not an attempt) within the outage window, then give the message
    back to the broker; the ledger drives the input again once Redis answers."""
    now = time.time()
    since = float(msg.outage_since or now)
    if now - since > res.settings.outage_window:
        log.error("task.outage_window_exceeded", code=exc.code, since_s=round(now - since))
        rejected: Exception = Reject(exc, requeue=False)
        return rejected
    delay = res.settings.outage_policy.delay(msg.outages)
    log.warning("task.waiting_for_redis", code=exc.code, delay_s=round(delay, 2), error=exc.message)
    return _retry(msg, stages, index, payload, res, countdown=delay, exc=exc, kind="outage",
                  outages=msg.outages + 1, outage_since=since)


def _run_stages(task: Task, stages: list[Stage], data: dict[str, Any], res: Resources) -> dict[str, Any]:
    """Run ``stages`` in order on one payload under the pipeline's rules; retry what is retryable.

    A retry resumes at the stage that asked for it, with the payload as it was there.
    """
    msg = _Message(task, data)
    body = {k: v for k, v in data.items() if k not in MESSAGE_FIELDS}
    payload = payload_from_dict(body if body.get("body_ref") is None else {**body, "body": ""})
    item = work_item(payload)
    bind_task_context(task_id=task.request.id, stage=stages[0].name, **_context(payload))
    try:
        verdict = res.ledger.start(
            Registered(item, tuple(s.name for s in stages_for(item.source, res.settings.enrich))),
            drive=msg.drive, stage=stages[0].name, node=task.request.hostname or "", task_id=task.request.id,
            lane=mark_lane(stages[0].name), look_after=res.settings.node_ttl)
        if verdict != "go":
            # Delivered already, or driven again by the reconciler: this message and its chain stop here.
            log.info("task.stale_message", verdict=verdict, drive=msg.drive)
            task.request.chain = None
            return {}
        restored = res.bodies.restore(body)
        poisoned = restored is not None and _started_too_often(task, res)
    except redis.RedisError as exc:
        infra = infrastructure_error(exc)
        assert infra is not None
        raise _outage(msg, stages, 0, body, res, infra) from exc
    if restored is None:
        log.error("task.body_lost", body_ref=body.get("body_ref"))
        payload = end_record(payload, status="failed", reason="body_lost",
                             message="the document body expired before this stage ran")
    else:
        payload = payload_from_dict(restored)
        if poisoned:
            log.error("task.poison_message", retries=task.request.retries)
            payload = end_record(payload, status="failed", reason="worker_lost",
                                 message="the worker died every time it ran this stage")
    for index, stage in enumerate(stages):
        structlog.contextvars.bind_contextvars(stage=stage.name)
        try:
            payload = run_stage(stage, payload, res, error_code=celery_error_code)
        except Deferred as exc:
            # Re-scheduled, not waited for: the thread goes on to other hosts' work.
            log.debug("stage.deferred", delay_s=round(exc.delay, 3))
            raise _retry(msg, stages, index, payload, res, countdown=exc.delay, exc=exc, kind="deferral",
                         deferrals=msg.deferrals + 1) from exc
        except InfrastructureError as exc:
            if exc.code != "sink_error":
                raise _outage(msg, stages, index, payload, res, exc) from exc
            payload = _retry_or_give_up(msg, stages, index, payload, res, exc)
        except Retryable as exc:
            payload = _retry_or_give_up(msg, stages, index, payload, res, exc)
    try:
        if stages[-1].name == SINK.name and isinstance(payload, ArticleRecord):
            return {}  # the delivery's commit deleted the stored document
        following = _next_stage(task)
        if following is not None:
            res.ledger.handover(item, drive=msg.drive, stage=following, delay=0.0,
                                grace=res.settings.reconcile_grace)
        return {**res.bodies.stash(payload_to_dict(payload)), "drive": msg.drive}
    except redis.RedisError as exc:
        infra = infrastructure_error(exc)
        assert infra is not None
        raise _outage(msg, stages, len(stages) - 1, payload, res, infra) from exc


def _retry_or_give_up(msg: _Message, stages: list[Stage], index: int, payload: Payload, res: Resources,
                      exc: Retryable) -> Payload:
    """Retry ``stages[index]`` with back-off, or, once the retries are spent, end the input as ``failed``
    with the error's code. A sink that still cannot write sends the record to the dead-letter stream."""
    policy = res.settings.retry_policy
    attempts = msg.attempts_made + 1
    if not policy.exhausted(msg.attempts_made):
        delay = policy.delay(msg.attempts_made, exc.retry_after)
        log.info("stage.retry", code=exc.code, attempt=attempts, delay_s=round(delay, 2))
        raise _retry(msg, stages, index, payload, res, countdown=delay, exc=exc, kind="retry")
    record = end_record(payload, status="failed", reason=exc.code,
                        message=f"{exc.message} (gave up after {attempts} attempts)")
    if stages[index].name != SINK.name:
        return record
    try:
        return dead_letter(record, res)
    except (redis.RedisError, InfrastructureError) as failure:
        # Not even the dead-letter stream takes it: the message goes back, it is not lost.
        log.error("sink.dead_letter_failed", error=str(failure))
        raise Reject(failure, requeue=True) from failure


@dataclass(frozen=True)
class StageTasks:
    """The tasks :func:`register` added to one app."""

    stages: dict[str, Task]
    groups: dict[str, Task]
    lost: Task


def register(app: Celery, resources: ResourcesOf) -> StageTasks:
    """Add every stage task, the per-queue group tasks and the lost-stage errback to ``app``; each task
    runs with ``resources()``, its process's resources. Not ``shared``: Celery would otherwise add them
    to every app created later in the process too (each app has its own settings and resources)."""
    return StageTasks(
        stages={name: _stage_task(app, stage, resources) for name, stage in STAGES.items()},
        groups={queue: _group_task(app, queue, resources) for queue in (IO_QUEUE, CPU_QUEUE)},
        lost=_lost_handler(app, resources),
    )


def _stage_task(app: Celery, stage: Stage, resources: ResourcesOf) -> Task:
    @app.task(name=task_name(stage), bind=True, queue=queue_name(stage.queue), shared=False)
    def stage_task(self: Task, data: dict[str, Any]) -> dict[str, Any]:
        return _run_stages(self, [stage], data, resources())

    return stage_task


def _group_task(app: Celery, queue: str, resources: ResourcesOf) -> Task:
    """One task that runs several consecutive stages of one queue (``NEWSMILL_TASK_GRANULARITY=queue``)."""

    @app.task(name=group_task_name(queue), bind=True, queue=queue, shared=False)
    def group_task(self: Task, data: dict[str, Any], names: list[str]) -> dict[str, Any]:
        return _run_stages(self, [STAGES[name] for name in names], data, resources())

    return group_task


def _lost_handler(app: Celery, resources: ResourcesOf) -> Task:
    @app.task(name=LOST_HANDLER_NAME, queue=IO_QUEUE, shared=False)
    def stage_lost(request: Any, exc: BaseException, traceback: Any, item: dict[str, Any],
                   stage_name: str) -> None:
        """Errback, run where the failure was seen: a stage killed by the hard time limit ends its input
        as ``failed``/``task_lost``. Any other failure outside the pipeline's own handling (a chain step
        that could not be published) is left to the reconciler, which drives the input again."""
        work = WorkItem.from_dict(item)
        task_id = getattr(request, "id", None)
        bind_task_context(task_id=task_id, stage=SINK.name, job_id=work.job_id)
        if not isinstance(exc, TimeLimitExceeded):
            log.warning("task.failed_outside_pipeline", failed_stage=stage_name,
                        error=f"{type(exc).__name__}: {exc}")
            return
        res = resources()
        try:
            entry = res.ledger.entry(work.job_id, work.source.key)
            if entry is None or entry.state != "r" or entry.task_id != task_id:
                # The stage had finished and handed over; what hung was the broker (publishing the next
                # step). Not the article's fault: the reconciler drives it on.
                log.warning("task.killed_after_its_stage", failed_stage=stage_name)
                return
            record = end_record(work, status="failed", reason="task_lost",
                                message=f"stage {stage_name} was killed by the hard time limit")
            run_stage(SINK, record, res)
        except Exception:  # the reconciler sees the input again and drives it on
            log.exception("task.lost_record_not_delivered", failed_stage=stage_name)

    return stage_lost


STAGES: dict[str, Stage] = {stage.name: stage for stage in all_stages(tuple(enrichment.REGISTRY))}
