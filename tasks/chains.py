"""The per-article chain ``load|fetch → clean → extract → enrich… → sink``, the producer that enqueues one
chain per input of a job, and the re-drive the reconciler publishes for an input that stalled."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from celery import Celery, chain
from celery.canvas import Signature

from newsmill.jobs import JobStore
from newsmill.ledger import Entry, Registered
from newsmill.pipeline import SINK, Stage, stages_for
from newsmill.record import Source, WorkItem, payload_to_dict
from newsmill.resources import Resources
from newsmill.settings import Settings
from tasks.queues import message_priority, queue_name
from tasks.stages import LOST_HANDLER_NAME, STAGES, group_task_name, stage_depth, task_name

ENQUEUE_BATCH = 200
"""Inputs registered in the ledger (and counted) per round trip, before their messages go out."""


def _steps(stages: Sequence[Stage], granularity: str) -> list[list[Stage]]:
    """One step per stage, or (granularity ``queue``) one step per run of consecutive stages that share
    a queue, with the sink folded into the last cpu step (it is one Redis script and one file append):
    two messages per article instead of one per stage, at the price of coarser tasks in Flower."""
    if granularity != "queue":
        return [[stage] for stage in stages]
    runs = [list(run) for _queue, run in itertools.groupby(stages, key=lambda s: s.queue)]
    if len(runs) > 1 and runs[-1] == [SINK]:
        runs[-2].append(runs.pop()[0])
    return runs


def article_chain(item: WorkItem, settings: Settings, app: Celery, *, stages: Sequence[Stage] | None = None,
                  message: dict[str, Any] | None = None, drive: int = 0) -> Signature:
    """The chain for one input on ``app`` (whose tasks :func:`tasks.stages.register` added), from its
    first stage or (a re-drive) from ``stages[0]`` with ``message``. Each step carries an errback that
    records the input as ``failed`` if the step is killed by the hard time limit."""
    stages = list(stages) if stages is not None else stages_for(item.source, settings.enrich)
    first = {**(message if message is not None else payload_to_dict(item)), "drive": drive}
    signatures = []
    for index, step in enumerate(_steps(stages, settings.task_granularity)):
        args = (first,) if index == 0 else ()
        if len(step) == 1:
            sig = app.signature(task_name(step[0]), args)
        else:
            sig = app.signature(group_task_name(queue_name(step[0].queue)), args,
                                {"names": [stage.name for stage in step]})
        # Deeper steps go first: an article that has started is finished before new ones start.
        sig.set(priority=message_priority(stage_depth(step[0].name), settings.effective_broker_url))
        sig.link_error(app.signature(LOST_HANDLER_NAME, (item.to_dict(), "+".join(stage.name for stage in step))))
        signatures.append(sig)
    return chain(*signatures, app=app)


def enqueue_sources(job_id: str, sources: Iterable[Source], settings: Settings, jobs: JobStore,
                    res: Resources, *, app: Celery) -> int:
    """Enqueue one chain per source. Each batch is first registered in the progress ledger, which also
    counts it as enqueued, so the job can never look finished while inputs are still being enqueued,
    and a message that does not go out is published later by the reconciler, not forgotten."""
    total = 0
    batch: list[Registered] = []

    def flush() -> None:
        nonlocal total
        if not batch:
            return
        jobs.check_headroom(len(batch))
        fresh = res.ledger.register(job_id, batch, grace=settings.reconcile_grace)
        for registered, is_new in zip(batch, fresh, strict=True):
            if is_new:
                article_chain(registered.item, settings, app).apply_async()
                total += 1
        batch.clear()

    for source in sources:
        item = WorkItem(job_id=job_id, source=source)
        batch.append(Registered(item, tuple(stage.name for stage in stages_for(source, settings.enrich))))
        if len(batch) >= ENQUEUE_BATCH:
            flush()
    flush()
    jobs.mark_enqueue_complete(job_id)
    return total


def redrive(registered: Registered, entry: Entry, drive: int, settings: Settings, res: Resources,
            app: Celery) -> str:
    """Publish a new drive of a stalled input; returns the stage it starts at. From the stored document
    (the clean stage on) when the input got that far and the document is still there, else from its
    source."""
    names = list(registered.stages)
    stages = [STAGES[name] for name in names]
    item = registered.item
    reached = names.index(entry.stage) if entry.stage in names else 0
    if reached >= 1:
        stored = res.bodies.stored_message(item.job_id, item.source)
        if stored is not None:
            article_chain(item, settings, app, stages=stages[1:], message=stored, drive=drive).apply_async()
            return names[1]
    article_chain(item, settings, app, stages=stages, drive=drive).apply_async()
    return names[0]
