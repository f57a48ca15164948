"""Names of every Redis key newsmill writes, in one place, all under the configured prefix."""

from __future__ import annotations

from dataclasses import dataclass

JOB_TTL_SECONDS = 7 * 24 * 3600
"""Job counts and delivery bookkeeping are kept a week after the last write."""


@dataclass(frozen=True)
class Keys:
    prefix: str

    def job(self, job_id: str) -> str:
        """Hash: enqueued, ok, dropped, failed, created, enqueue_complete."""
        return f"{self.prefix}:job:{job_id}"

    def job_reasons(self, job_id: str) -> str:
        """Hash: reason or error code → count."""
        return f"{self.prefix}:job:{job_id}:reasons"

    def job_deliveries(self, job_id: str) -> str:
        """Hash: input key → ``pending`` or ``done`` (sink idempotency)."""
        return f"{self.prefix}:job:{job_id}:deliveries"

    def job_articles(self, job_id: str) -> str:
        """Hash: article id → the input key that delivered it first (duplicates within a job)."""
        return f"{self.prefix}:job:{job_id}:articles"

    def task_deliveries(self, task_id: str) -> str:
        """Counter of how often a task message was started (poison-message guard)."""
        return f"{self.prefix}:task:{task_id}:starts"

    def stream(self) -> str:
        return f"{self.prefix}:articles"

    def deadletter(self) -> str:
        return f"{self.prefix}:deadletter"
