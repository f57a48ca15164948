"""The pipeline: an ordered list of stages, and the rules every runner applies around each stage.

Two runners walk the same list: the Celery chain (``tasks/chains.py``, one task per stage) and
:func:`process`, a plain in-process loop (benchmarks, tests, debugging). The rules live here so both
runners behave alike: a ``dropped`` or ``failed`` record passes through the remaining stages untouched
until the sink; :class:`~newsmill.errors.Drop` and :class:`~newsmill.errors.Failure` become records;
only :class:`~newsmill.errors.Retryable` escapes, for the runner to retry.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog

from newsmill import enrich as enrichment
from newsmill.errors import Deferred, Drop, Failure, InfrastructureError, Retryable, Unchanged, infrastructure_error
from newsmill.extract import extract, identify_language
from newsmill.ids import id_for_source_key, id_for_url
from newsmill.load import load_file
from newsmill.record import ArticleRecord, Document, Payload, Source, StageRun, Status, WorkItem, ended
from newsmill.resources import Resources
from newsmill.settings import Settings
from newsmill.sinks import DeliveryOutcome
from newsmill.timing import Stopwatch

Queue = Literal["io", "cpu"]
StageFn = Callable[[Payload, Resources], Payload]

log = structlog.get_logger("newsmill.pipeline")


@dataclass(frozen=True)
class Stage:
    name: str
    queue: Queue
    run: StageFn


def _expect_item(payload: Payload) -> WorkItem:
    if not isinstance(payload, WorkItem):
        raise TypeError(f"expected a WorkItem, got {type(payload).__name__}")
    return payload


def _expect_record(payload: Payload) -> ArticleRecord:
    if not isinstance(payload, ArticleRecord):
        raise TypeError(f"expected an ArticleRecord, got {type(payload).__name__}")
    return payload


def _load(payload: Payload, res: Resources) -> Payload:
    return load_file(_expect_item(payload), max_bytes=res.settings.fetch.max_bytes)


def _fetch(payload: Payload, res: Resources) -> Payload:
    # Imported on first use, not to dodge a cycle: only io workers fetch, and the fetcher brings httpx
    # (~120 modules, ~0.6 s) that a cpu worker would otherwise load and keep in every pool process.
    from newsmill.fetch.page import fetch_url

    item = _expect_item(payload)
    code: str | None = "internal_error"
    try:
        document = fetch_url(item, fetcher=res.fetcher)
        code = "ok"
        return document
    except Unchanged as unchanged:
        # A 304 to a conditional re-fetch: the article was delivered before; the record says so and
        # passes to the sink, which counts it without writing a second copy.
        code = "not_modified"
        return end_record(item, status="unchanged", reason="not_modified", message=str(unchanged))
    except (Deferred, InfrastructureError):
        code = None  # not an outcome of the fetch: a host over its budget, or Redis away
        raise
    except Drop as drop:
        code = drop.reason
        raise
    except Failure as failure:  # Retryable included: each attempt's outcome counts
        code = failure.code
        raise
    finally:
        if code is not None:
            res.observer.fetched(item.source.location, code)


def _clean(payload: Payload, res: Resources) -> Payload:
    # Imported on first use, not to dodge a cycle: only cpu workers clean, and trafilatura and lxml
    # (~170 modules, ~1 s) have no business in an io worker or the producer.
    from newsmill.clean import clean

    if not isinstance(payload, Document):
        raise TypeError(f"expected a Document, got {type(payload).__name__}")
    return clean(payload, options=res.settings.clean)


def _extract(payload: Payload, res: Resources) -> Payload:
    return extract(_expect_record(payload))


def _enrich_with(name: str, record: ArticleRecord, res: Resources) -> ArticleRecord:
    """Run enrichment ``name`` with what it takes from this process: its options from the settings, the
    shared index from the resources. The imports are here, not at the top, so that a worker loads spaCy,
    numpy or datasketch only for the stages it runs."""
    if name == "entities":
        from newsmill.enrich import entities
        return entities.enrich(record, res.settings.entities)
    if name == "places":
        from newsmill.enrich import places
        from newsmill.enrich.geo import shared_index
        return places.enrich(record, shared_index(res.settings.geo))
    if name == "summary":
        from newsmill.enrich import summary
        return summary.enrich(record, res.settings.summary or summary.DEFAULT_OPTIONS)
    if name == "dedup":
        from newsmill.enrich.dedupe import stage as dedup
        return dedup.enrich(record, res.dedup_index, res.settings.dedup)
    return enrichment.get(name)(record)


def _enrich_stage(name: str) -> StageFn:
    def run(payload: Payload, res: Resources) -> Payload:
        return _enrich_with(name, _expect_record(payload), res)

    return run


def _sink(payload: Payload, res: Resources) -> Payload:
    record = _expect_record(payload)
    outcome, delivered, latency = res.delivery.deliver(record)
    if outcome is DeliveryOutcome.REDELIVERY_SKIPPED:
        log.info("article.redelivery_skipped", article_id=record.id, job_id=record.job_id)
        return delivered
    res.observer.delivered(delivered.status, delivered.reason, latency)
    log.info(
        "article.done",
        article_id=delivered.id,
        job_id=delivered.job_id,
        source=delivered.source.key,
        status=delivered.status,
        reason=delivered.reason,
        title=delivered.title,
        language=delivered.language,
        word_count=delivered.word_count,
        stage_ms={run.stage: run.duration_ms for run in delivered.provenance},
    )
    return delivered


LOAD = Stage("load", "io", _load)
FETCH = Stage("fetch", "io", _fetch)
CLEAN = Stage("clean", "cpu", _clean)
EXTRACT = Stage("extract", "cpu", _extract)
SINK = Stage("sink", "io", _sink)


def enrich_stage(name: str) -> Stage:
    return Stage(f"enrich.{name}", "cpu", _enrich_stage(name))


def all_stages(enrich_names: tuple[str, ...] | list[str]) -> list[Stage]:
    """Every stage a worker must be able to run (each becomes one Celery task)."""
    return [LOAD, FETCH, CLEAN, EXTRACT, *(enrich_stage(n) for n in enrich_names), SINK]


def stages_for(source: Source, enrich_names: tuple[str, ...] | list[str]) -> list[Stage]:
    """The chain one input walks: load or fetch, clean, extract, each enrichment, sink."""
    first = FETCH if source.kind == "url" else LOAD
    return [first, CLEAN, EXTRACT, *(enrich_stage(n) for n in enrich_names), SINK]


def warm_up(settings: Settings) -> None:
    """Load what the stages load lazily (models, extractor modules), so the first article does not pay
    for it; a worker calls this before its pool forks, and the children share the pages."""
    from newsmill.clean import warm_up as warm_up_clean  # imports trafilatura and lxml; see _clean

    warm_up_clean()

    identify_language("warm up the language model")
    options = {"entities": settings.entities, "places": settings.geo}
    for name in settings.enrich:
        enrichment.warm_up(name, options.get(name))


def _identity(payload: Payload) -> tuple[WorkItem, str, str | None]:
    """The work item, the article id and the URL that an ended record for ``payload`` should carry."""
    if isinstance(payload, WorkItem):
        source = payload.source
        if source.kind == "url":
            return payload, id_for_url(source.location), source.location
        return payload, id_for_source_key(source.key), None
    if isinstance(payload, Document):
        return payload.item, payload.id, payload.url
    return WorkItem(payload.job_id, payload.source), payload.id, payload.url


def end_record(payload: Payload, *, status: Status, reason: str, message: str = "") -> ArticleRecord:
    """The ``dropped`` or ``failed`` record for a payload at whatever stage it had reached."""
    if isinstance(payload, ArticleRecord):
        return dataclasses.replace(payload, status=status, reason=reason, message=message or None)
    item, article_id, url = _identity(payload)
    provenance = payload.provenance if isinstance(payload, Document) else ()
    return ended(item, id=article_id, status=status, reason=reason, message=message, url=url,
                 provenance=provenance)


def default_error_code(exc: BaseException) -> str:
    return "internal_error"


def _provenance(payload: Payload) -> tuple[StageRun, ...]:
    return () if isinstance(payload, WorkItem) else payload.provenance


def timed(before: Payload, after: Payload, duration_ms: float) -> Payload:
    """``after`` with the provenance entry its stage added carrying the stage's duration.

    A stage says what it is, its version and which tool made which field; how long it took is measured
    here, the same way for every stage and both runners. A stage that added no entry (the sink, or one
    that ended the record) is returned as it is."""
    runs = _provenance(after)
    if isinstance(after, WorkItem) or len(runs) <= len(_provenance(before)):
        return after
    stamped = dataclasses.replace(runs[-1], duration_ms=round(duration_ms, 3))
    return dataclasses.replace(after, provenance=(*runs[:-1], stamped))


def run_stage(stage: Stage, payload: Payload, res: Resources, *,
              error_code: Callable[[BaseException], str] = default_error_code) -> Payload:
    """Run one stage under the pipeline's rules. Raises only :class:`Retryable` (including
    :class:`~newsmill.errors.InfrastructureError`: Redis or a sink failing is never a verdict on the
    article)."""
    if isinstance(payload, ArticleRecord) and payload.is_final and stage.name != SINK.name:
        return payload
    watch = Stopwatch()
    try:
        after = timed(payload, stage.run(payload, res), watch.ms)
    except Retryable:
        raise  # the stage did not finish: a retry or a deferral is timed when it runs again
    except Drop as drop:
        after = end_record(payload, status="dropped", reason=drop.reason, message=drop.message)
    except Failure as failure:
        after = end_record(payload, status="failed", reason=failure.code, message=failure.message)
    except Exception as exc:  # a bug or an unforeseen input must not kill the pipeline
        infra = infrastructure_error(exc)
        if infra is not None:
            raise infra from exc
        code = error_code(exc)
        log.exception("stage.error", stage=stage.name, code=code)
        after = end_record(payload, status="failed", reason=code, message=f"{type(exc).__name__}: {exc}")
    res.observer.stage_finished(stage.name, watch.ms / 1000.0)
    return after


def dead_letter(record: ArticleRecord, res: Resources) -> ArticleRecord:
    """A record the JSONL file refused after every retry (``failed``/``sink_error``): delivered to the
    result and dead-letter streams only, and counted. Raises if Redis refuses it too."""
    outcome, delivered, latency = res.delivery.deliver(record, to_stores=False)
    if outcome is DeliveryOutcome.DELIVERED:
        res.observer.delivered(delivered.status, delivered.reason, latency)
    log.error("article.dead_lettered", article_id=delivered.id, job_id=delivered.job_id,
              source=delivered.source.key, reason=delivered.reason, message=delivered.message)
    return delivered


def process(item: WorkItem, res: Resources) -> ArticleRecord:
    """Run one input through every stage in this process, retrying retryable failures in place with the
    project's retry policy (:mod:`newsmill.retry`).

    A deferral (a host over its politeness budget) is waited out and is not a retry attempt; neither is a
    wait for Redis, which is given up after ``outage_window`` seconds.
    """
    payload: Payload = item
    settings = res.settings
    for stage in stages_for(item.source, settings.enrich):
        retries = outages = 0
        outage_started: float | None = None
        while True:
            try:
                payload = run_stage(stage, payload, res)
                break
            except Deferred as deferred:
                time.sleep(min(60.0, max(0.0, deferred.delay)))
            except Retryable as exc:
                is_outage = isinstance(exc, InfrastructureError) and exc.code != "sink_error"
                if is_outage:
                    outage_started = outage_started or time.monotonic()
                    if time.monotonic() - outage_started <= settings.outage_window:
                        time.sleep(settings.outage_policy.delay(outages))
                        outages += 1
                        continue
                elif not settings.retry_policy.exhausted(retries):
                    time.sleep(min(60.0, settings.retry_policy.delay(retries, exc.retry_after)))
                    retries += 1
                    continue
                payload = end_record(payload, status="failed", reason=exc.code, message=exc.message)
                if stage.name == SINK.name:
                    payload = dead_letter(_expect_record(payload), res)
                break
    return _expect_record(payload)
