"""What the pipeline reports as it runs, for metrics: one small interface, no metrics library.

The core calls an :class:`Observer` where something countable happens, at the one place each thing is
known for certain: a stage finished (:func:`newsmill.pipeline.run_stage`), a fetch ended
(``pipeline._fetch``), a record was committed (the sink, only when the delivery's commit was the first
for its input, so a redelivered message never counts twice), a message was re-scheduled
(``tasks/stages.py``), an input was re-driven (``workers/reconciler.py``). The base class does nothing;
a worker with a metrics endpoint passes the Prometheus implementation (``workers/metrics.py``).
"""

from __future__ import annotations


class Observer:
    """Receives the pipeline's events; every method does nothing here. Implementations must be cheap and
    must not raise: they run inside tasks, on every article."""

    def stage_finished(self, stage: str, seconds: float) -> None:
        """A stage ran to its end (its output, or a ``dropped``/``failed`` record) in ``seconds``."""

    def fetched(self, url: str, code: str) -> None:
        """A fetch of ``url`` ended: ``ok``, ``not_modified`` or the reason code it failed or was dropped
        with (``http_4xx``, ``timeout``, ``robots_disallowed``, …). Deferrals are not fetches."""

    def delivered(self, status: str, reason: str | None, latency_s: float | None) -> None:
        """A record was committed, once per job and input; ``latency_s``: seconds since its input was
        enqueued (``None`` when the ledger no longer knew: an input registered again after a Redis loss)."""

    def rescheduled(self, stage: str, kind: str, code: str) -> None:
        """A message for ``stage`` goes back to its queue: ``kind`` is ``retry`` (an attempt spent),
        ``deferral`` (a host over its politeness budget) or ``outage`` (Redis away)."""

    def redriven(self, stage: str) -> None:
        """The reconciler published a new drive of a stalled input, starting at ``stage``."""


NO_OBSERVER = Observer()
"""The default: nothing observed, nothing imported."""
