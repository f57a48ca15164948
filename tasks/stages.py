"""One thin Celery task per pipeline stage: deserialize, run the stage, serialize, decide retries.

The stage rules (pass-through of ended records, Drop/Failure → record) live in
:func:`newsmill.pipeline.run_stage`; what is Celery-specific stays here: retries with back-off,
the soft time limit, and a guard against messages that kill their worker again and again.
"""

from __future__ import annotations

import random
from typing import Any

import structlog
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from newsmill import enrich as enrichment
from newsmill.errors import Deferred, Retryable
from newsmill.pipeline import SINK, Stage, all_stages, end_record, run_stage
from newsmill.record import ArticleRecord, Document, Payload, WorkItem, payload_from_dict, payload_to_dict
from tasks import bodies
from workers.app import app
from workers.config import CPU_QUEUE, IO_QUEUE
from workers.logging import bind_task_context
from workers.resources import worker_resources

log = structlog.get_logger("newsmill.tasks")

RETRY_BASE_SECONDS = 2.0
RETRY_CAP_SECONDS = 300.0
STARTS_TTL_SECONDS = 24 * 3600


def task_name(stage: Stage) -> str:
    return f"newsmill.{stage.name}"


def celery_error_code(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return "time_limit"
    return "internal_error"


def retry_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential back-off with full jitter, or what the source asked for (capped)."""
    if retry_after is not None:
        return min(RETRY_CAP_SECONDS, max(0.0, retry_after))
    return random.uniform(0, min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**attempt))


def _context(payload: Payload) -> dict[str, Any]:
    if isinstance(payload, WorkItem):
        return {"job_id": payload.job_id, "source": payload.source.key}
    if isinstance(payload, Document):
        return {"job_id": payload.item.job_id, "article_id": payload.id}
    return {"job_id": payload.job_id, "article_id": payload.id}


def _started_too_often(task: Task) -> bool:
    """True when this message (this attempt) was started more often than ``max_deliveries``.

    With ``acks_late`` a message whose worker died is delivered again; one that kills every worker
    would circulate for ever. Brokers mark such messages ``redelivered`` (kombu's Redis transport does
    when it restores one), so only those pay for counting starts in Redis.
    """
    if not (task.request.delivery_info or {}).get("redelivered"):
        return False
    res = worker_resources()
    key = res.keys.task_deliveries(f"{task.request.id}:{task.request.retries}")
    pipe = res.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, STARTS_TTL_SECONDS)
    redeliveries = int(pipe.execute()[0])
    return redeliveries + 1 > res.settings.max_deliveries


def _run_stages(task: Task, stages: list[Stage], data: dict[str, Any]) -> dict[str, Any]:
    """Run ``stages`` in order on one payload under the pipeline's rules; retry what is retryable.

    A retry resumes at the stage that asked for it, with the payload as it was there. A deferral (a
    host over its politeness budget) is re-scheduled the same way but is not an attempt: the message
    counts deferrals, and they are subtracted from Celery's retry count.
    """
    res = worker_resources()
    deferrals = int(data.get("deferrals") or 0)
    restored = bodies.restore(data, res)
    payload = payload_from_dict(restored if restored is not None else {**data, "body": ""})
    bind_task_context(task_id=task.request.id, stage=stages[0].name, **_context(payload))
    if restored is None:
        log.error("task.body_lost", body_ref=data.get("body_ref"))
        payload = end_record(payload, status="failed", reason="body_lost",
                             message="the document body expired before this stage ran")
    elif _started_too_often(task):
        log.error("task.poison_message", retries=task.request.retries)
        payload = end_record(payload, status="failed", reason="worker_lost",
                             message="the worker died every time it ran this stage")
    for index, stage in enumerate(stages):
        structlog.contextvars.bind_contextvars(stage=stage.name)
        kwargs = {"names": [s.name for s in stages[index:]]} if len(stages) > 1 else {}
        try:
            payload = run_stage(stage, payload, res, error_code=celery_error_code)
        except Deferred as exc:
            # Re-scheduled, not waited for: the thread goes on to other hosts' work. Celery's own limit
            # is lifted (max_retries above the count); ours is checked on real retries below.
            log.debug("stage.deferred", delay_s=round(exc.delay, 3))
            message = {**bodies.stash(payload_to_dict(payload), res), "deferrals": deferrals + 1}
            raise task.retry(args=(message,), kwargs=kwargs, countdown=max(0.0, exc.delay),
                             max_retries=task.request.retries + 1) from exc
        except Retryable as exc:
            retries = task.request.retries - deferrals
            attempts = retries + 1
            if retries >= res.settings.max_retries:
                payload = end_record(payload, status="failed", reason=exc.code,
                                     message=f"{exc.message} (gave up after {attempts} attempts)")
                continue
            delay = retry_delay(retries, exc.retry_after)
            log.info("stage.retry", code=exc.code, attempt=attempts, delay_s=delay)
            message = {**bodies.stash(payload_to_dict(payload), res), "deferrals": deferrals}
            raise task.retry(args=(message,), kwargs=kwargs, exc=exc, countdown=delay,
                             max_retries=task.request.retries + 1) from exc
    if stages[-1].name == SINK.name and isinstance(payload, ArticleRecord):
        bodies.discard(res, payload.job_id, payload.source)
    return bodies.stash(payload_to_dict(payload), res)


def _make_task(stage: Stage) -> Task:
    queue = IO_QUEUE if stage.queue == "io" else CPU_QUEUE

    @app.task(name=task_name(stage), bind=True, queue=queue)
    def stage_task(self: Task, data: dict[str, Any]) -> dict[str, Any]:
        return _run_stages(self, [stage], data)

    return stage_task


def _make_group_task(queue: str) -> Task:
    """One task that runs several consecutive stages of one queue (``NEWSMILL_TASK_GRANULARITY=queue``)."""

    @app.task(name=f"newsmill.{queue}_stages", bind=True, queue=queue)
    def group_task(self: Task, data: dict[str, Any], names: list[str]) -> dict[str, Any]:
        return _run_stages(self, [STAGES[name] for name in names], data)

    return group_task


def _make_lost_handler() -> Task:
    @app.task(name="newsmill.stage_lost", bind=True, queue=IO_QUEUE)
    def stage_lost(self: Task, failed_task_id: str, item: dict[str, Any], stage_name: str) -> None:
        """Errback: a stage task failed outside our control (hard time limit); record it as failed."""
        res = worker_resources()
        work_item = WorkItem.from_dict(item)
        bind_task_context(task_id=self.request.id, stage=SINK.name, job_id=work_item.job_id,
                          failed_task_id=failed_task_id)
        record: ArticleRecord = end_record(work_item, status="failed", reason="task_lost",
                                           message=f"stage {stage_name} was killed (task {failed_task_id})")
        run_stage(SINK, record, res)
        bodies.discard(res, work_item.job_id, work_item.source)

    return stage_lost


STAGES: dict[str, Stage] = {stage.name: stage for stage in all_stages(tuple(enrichment.REGISTRY))}
TASKS: dict[str, Task] = {name: _make_task(stage) for name, stage in STAGES.items()}
GROUP_TASKS: dict[str, Task] = {queue: _make_group_task(queue) for queue in (IO_QUEUE, CPU_QUEUE)}
stage_lost = _make_lost_handler()
