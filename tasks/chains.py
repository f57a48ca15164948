"""The per-article chain ``load|fetch → clean → extract → enrich… → sink``, and the producer that enqueues
one chain per input of a job."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from celery import chain
from celery.canvas import Signature

from newsmill.jobs import JobStore
from newsmill.pipeline import SINK, Stage, stages_for
from newsmill.record import Source, WorkItem, payload_to_dict
from newsmill.settings import Settings
from tasks.stages import GROUP_TASKS, TASKS, stage_lost
from workers.config import CPU_QUEUE, IO_QUEUE

ENQUEUE_BATCH = 200
"""Count enqueued inputs in Redis every this many messages (one round trip per batch)."""


def _steps(stages: list[Stage], granularity: str) -> list[list[Stage]]:
    """One step per stage, or (granularity ``queue``) one step per run of consecutive stages that share
    a queue, with the sink folded into the last cpu step (it is one Redis script and one file append):
    two messages per article instead of one per stage, at the price of coarser tasks in Flower."""
    if granularity != "queue":
        return [[stage] for stage in stages]
    runs = [list(run) for _queue, run in itertools.groupby(stages, key=lambda s: s.queue)]
    if len(runs) > 1 and runs[-1] == [SINK]:
        runs[-2].append(runs.pop()[0])
    return runs


def article_chain(item: WorkItem, settings: Settings) -> Signature:
    """The chain for one input. Each step carries an errback that records the input as ``failed`` if
    the step dies outside the task's own error handling (hard time limit)."""
    signatures = []
    for index, step in enumerate(_steps(stages_for(item.source, settings.enrich), settings.task_granularity)):
        args = (payload_to_dict(item),) if index == 0 else ()
        if len(step) == 1:
            sig = TASKS[step[0].name].s(*args)
        else:
            queue = IO_QUEUE if step[0].queue == "io" else CPU_QUEUE
            sig = GROUP_TASKS[queue].s(*args, names=[stage.name for stage in step])
        sig.link_error(stage_lost.s(item.to_dict(), "+".join(stage.name for stage in step)))
        signatures.append(sig)
    return chain(*signatures)


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
