"""The per-article chain ``load|fetch → clean → extract → enrich… → sink``, and the producer that enqueues
one chain per input of a job."""

from __future__ import annotations

from collections.abc import Iterable

from celery import chain
from celery.canvas import Signature

from newsmill.jobs import JobStore
from newsmill.pipeline import stages_for
from newsmill.record import Source, WorkItem, payload_to_dict
from newsmill.settings import Settings
from tasks.stages import TASKS, stage_lost

ENQUEUE_BATCH = 200
"""Count enqueued inputs in Redis every this many messages (one round trip per batch)."""


def article_chain(item: WorkItem, settings: Settings) -> Signature:
    """The chain for one input. Each step carries an errback that records the input as ``failed`` if
    the step dies outside the task's own error handling (hard time limit)."""
    steps = []
    for index, stage in enumerate(stages_for(item.source, settings.enrich)):
        task = TASKS[stage.name]
        sig = task.s(payload_to_dict(item)) if index == 0 else task.s()
        sig.link_error(stage_lost.s(item.to_dict(), stage.name))
        steps.append(sig)
    return chain(*steps)


def enqueue_sources(job_id: str, sources: Iterable[Source], settings: Settings, jobs: JobStore) -> int:
    """Enqueue one chain per source; counts are raised before the messages go out so that the job can
    never look finished while inputs are still being enqueued."""
    total = 0
    batch: list[WorkItem] = []

    def flush() -> None:
        nonlocal total
        if not batch:
            return
        jobs.add_enqueued(job_id, len(batch))
        for item in batch:
            article_chain(item, settings).apply_async()
        total += len(batch)
        batch.clear()

    for source in sources:
        batch.append(WorkItem(job_id=job_id, source=source))
        if len(batch) >= ENQUEUE_BATCH:
            flush()
    flush()
    jobs.mark_enqueue_complete(job_id)
    return total
