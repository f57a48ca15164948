"""Names of every Redis key newsmill writes, in one place, all under the configured prefix."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from newsmill.ids import canonical_url

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

    def delivered(self, article_id: str) -> str:
        """Hash ``hash``, ``job``: the content hash of the article as some job last delivered it (kept for
        the re-delivery window), so re-running the same inputs does not deliver them again."""
        return f"{self.prefix}:delivered:{article_id}"

    def job_ledger(self, job_id: str) -> str:
        """Hash: input key → where the input is (``drive|state|stage|t|eta|node|task``); see ledger."""
        return f"{self.prefix}:job:{job_id}:ledger"

    def job_items(self, job_id: str) -> str:
        """Hash: input key → the work item and its stages as JSON, to re-drive an input from its source."""
        return f"{self.prefix}:job:{job_id}:items"

    def job_enqueued(self, job_id: str) -> str:
        """Hash: unfinished input key → when it was enqueued (Redis's clock); the sink's commit takes it
        out and reports the article's end-to-end latency (docs/metrics.md)."""
        return f"{self.prefix}:job:{job_id}:enqueued"

    def job_due(self, job_id: str) -> str:
        """Sorted set: unfinished input key → when the reconciler should look at it next."""
        return f"{self.prefix}:job:{job_id}:due"

    def active_jobs(self) -> str:
        """Sorted set: id of every job with unfinished inputs → when it was created."""
        return f"{self.prefix}:jobs:active"

    def workers(self) -> str:
        """Hash: worker node name → ``time|ids of the tasks it holds`` (its heartbeat)."""
        return f"{self.prefix}:workers"

    def lane_marks(self) -> str:
        """Hash: queue → the hand-over time of the newest message started from it (FIFO watermark)."""
        return f"{self.prefix}:lanes"

    def reconciler_lease(self) -> str:
        """String: the worker node that runs the reconciler now (expires unless renewed)."""
        return f"{self.prefix}:reconciler"

    def document(self, job_id: str, input_key: str) -> str:
        """The stored document of one input of a job (see :meth:`body`)."""
        return self.body(job_id, _digest(input_key))

    def body(self, job_id: str, digest: str) -> str:
        """Hash: a loaded or fetched document waiting for the clean stage (``b`` body, ``m`` the rest)."""
        return f"{self.prefix}:doc:{job_id}:{digest}"

    def task_deliveries(self, task_id: str) -> str:
        """Counter of how often a task message was started (poison-message guard)."""
        return f"{self.prefix}:task:{task_id}:starts"

    def broker_prefix(self) -> str:
        """What Celery's Redis transport puts before its own keys (queues, unacknowledged messages), so
        that one prefix holds every key of a deployment (``global_keyprefix`` in ``workers/config.py``)."""
        return f"{self.prefix}:"

    def stream(self) -> str:
        return f"{self.prefix}:articles"

    def deadletter(self) -> str:
        return f"{self.prefix}:deadletter"

    # Fetching: politeness and conditional re-fetch state, shared by every worker.

    def host_slots(self, host: str) -> str:
        """The rate limiter's next free slot of one host (``newsmill.fetch.ratelimit``)."""
        return f"{self.prefix}:slots:{host.lower()}"

    def robots(self, origin: str) -> str:
        """One origin's parsed robots.txt, cached (``newsmill.fetch.robots``)."""
        return f"{self.prefix}:robots:{origin}"

    def robots_fetching(self, origin: str) -> str:
        """Lock: one worker thread is fetching this origin's robots.txt; the others wait for its answer."""
        return f"{self.prefix}:robots-fetching:{origin}"

    def validators(self, url: str) -> str:
        """ETag and Last-Modified of a fetched page, for a conditional re-fetch (``newsmill.fetch.state``);
        one key per canonical URL. The sink deletes it when the page's article did not end ``ok``."""
        return f"{self.prefix}:validators:{_digest(canonical_url(url))}"

    def fetch_resume(self, job_id: str, input_digest: str) -> str:
        """Where a deferred fetch of one input got to (``newsmill.fetch.state``)."""
        return f"{self.prefix}:fetch-resume:{job_id}:{input_digest}"

    def job_seen(self, job_id: str) -> str:
        """Set: URLs one job discovered in feeds and sitemaps."""
        return f"{self.prefix}:job:{job_id}:seen"

    def seen(self, url_digest: str) -> str:
        """A discovered URL, remembered across jobs for the seen window."""
        return f"{self.prefix}:seen:{url_digest}"

    # Watched sources (``newsmill.watch``): one hash and one poll lock per source URL.

    def watch_source(self, url: str) -> str:
        """Hash: a watched feed's or sitemap's state (validators, next due time, failures, counters, the
        poll being enqueued); see ``newsmill.watch.state``."""
        return f"{self.prefix}:watch:{_digest(url)}"

    def watch_lock(self, url: str) -> str:
        """String: the watcher polling this source now (two watchers never poll one source at once)."""
        return f"{self.prefix}:watch-lock:{_digest(url)}"

    # The near-duplicate index (``newsmill.enrich.dedupe.index``), under ``<prefix>:<index_name>:``.

    def dedup_exact(self, index_name: str, content_hash: str) -> str:
        """String: the id of the first article with this normalised text."""
        return f"{self.prefix}:{index_name}:exact:{content_hash}"

    def dedup_signature(self, index_name: str, article_id: str) -> str:
        """Hash ``s`` (MinHash signature), ``n`` (arrival number) of one article. With ``article_id=""``:
        the prefix the index's script puts before a candidate's id."""
        return f"{self.prefix}:{index_name}:sig:{article_id}"

    def dedup_arrivals(self, index_name: str) -> str:
        """Counter handing out arrival numbers."""
        return f"{self.prefix}:{index_name}:seq"

    def dedup_band(self, index_name: str, band: int, rows_digest: str) -> str:
        """Set: ids of the articles whose signature has these rows in this band."""
        return f"{self.prefix}:{index_name}:band:{band}:{rows_digest}"


def _digest(text: str) -> str:
    """A short fixed-length stand-in for a long or arbitrary part of a key (a URL, a file path)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()
