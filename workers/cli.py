"""The ``newsmill`` command: enqueue, status, worker, and run (the embedded default)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import click
import redis

from newsmill.fetch.discovery import DiscoveryError, DiscoveryRequest, parse_since
from newsmill.jobs import JobCounts, JobStore, new_job_id
from newsmill.keys import Keys
from newsmill.results import JobRecordReader, stream_position
from newsmill.settings import Settings
from workers.flower import flower
from workers.health import healthcheck


def _settings(broker: str | None) -> Settings:
    # The Celery app reads the environment when it is first imported: set it before that happens.
    if broker:
        os.environ["NEWSMILL_BROKER_URL"] = broker
    return Settings.from_env()


def _expand(inputs: Iterable[str]) -> Any:
    from newsmill.load import expand_inputs

    return expand_inputs(inputs)


def _enqueue(inputs: tuple[str, ...], settings: Settings, client: redis.Redis,
             discovery: DiscoveryRequest | None = None) -> tuple[str, int]:
    from tasks.chains import enqueue_sources

    jobs = JobStore(client, Keys(settings.prefix))
    job_id = new_job_id()
    named = [*inputs, *(discovery.feeds if discovery else ()), *(discovery.sitemaps if discovery else ())]
    jobs.create(job_id, inputs=named)
    sources = _expand(inputs)
    if discovery:
        # Discovery runs here, in the producer: the job's input set must be known before it is marked
        # complete, and the producer may wait out a host's politeness budget where a worker must not.
        from newsmill.fetch.discovery import discovered_sources

        sources = itertools.chain(sources, discovered_sources(
            discovery, job_id, options=settings.fetch, client=client, prefix=settings.prefix))
    try:
        count = enqueue_sources(job_id, sources, settings, jobs)
    except (FileNotFoundError, DiscoveryError) as exc:
        jobs.mark_enqueue_complete(job_id)
        raise click.ClickException(str(exc)) from exc
    return job_id, count


def _print_counts(counts: JobCounts, *, as_json: bool, out: IO[str]) -> None:
    if as_json:
        out.write(json.dumps(counts.to_dict()) + "\n")
        return
    state = "finished" if counts.finished else ("enqueuing" if not counts.enqueue_complete else "running")
    out.write(f"job {counts.job_id}: {state}\n")
    out.write(f"  enqueued {counts.enqueued}  ok {counts.ok}  dropped {counts.dropped}  "
              f"failed {counts.failed}  unchanged {counts.unchanged}  pending {counts.pending}\n")
    for reason, number in sorted(counts.reasons.items()):
        out.write(f"  {reason}: {number}\n")


@click.group()
@click.version_option(package_name="newsmill")
def main() -> None:
    """newsmill: clean, enriched, structured news-article records from URLs, feeds and files."""


@main.command()
@click.argument("inputs", nargs=-1)
@click.option("--feed", "feeds", multiple=True, help="An RSS, Atom or JSON feed whose articles to enqueue.")
@click.option("--sitemap", "sitemaps", multiple=True, help="A sitemap (or sitemap index) whose pages to enqueue.")
@click.option("--since", default=None,
              help="Only feed and sitemap entries published or modified since this date (undated ones are kept).")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
def enqueue(inputs: tuple[str, ...], feeds: tuple[str, ...], sitemaps: tuple[str, ...], since: str | None,
            broker: str | None) -> None:
    """Enqueue INPUTS (files, directories, globs, URL lists, URLs) and the articles of --feed and
    --sitemap URLs as a new job; print its id."""
    if not (inputs or feeds or sitemaps):
        raise click.UsageError("name at least one input, --feed or --sitemap")
    try:
        discovery = DiscoveryRequest(feeds=feeds, sitemaps=sitemaps, since=parse_since(since) if since else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    settings = _settings(broker)
    client = redis.Redis.from_url(settings.redis_url)
    job_id, count = _enqueue(inputs, settings, client, discovery)
    click.echo(f"enqueued {count} inputs", err=True)
    click.echo(job_id)


@main.command()
@click.argument("job_id")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@click.option("--wait", is_flag=True, help="Wait until the job is finished.")
def status(job_id: str, broker: str | None, as_json: bool, wait: bool) -> None:
    """Print a job's counts (enqueued, ok, dropped, failed, by reason) and whether it is finished."""
    settings = _settings(broker)
    jobs = JobStore(redis.Redis.from_url(settings.redis_url), Keys(settings.prefix))
    counts = jobs.counts(job_id)
    while wait and counts.exists and not counts.finished:
        time.sleep(0.5)
        counts = jobs.counts(job_id)
    if not counts.exists:
        raise click.ClickException(f"no job {job_id} (it may have expired)")
    _print_counts(counts, as_json=as_json, out=sys.stdout)


@main.command()
@click.option("--queues", default="io,cpu", show_default=True, help="Comma-separated queues: io, cpu.")
@click.option("--concurrency", type=int, default=None, help="Pool size (default: per queue type).")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default=None,
              help="Pool (default: threads for io only, else prefork).")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
@click.option("--loglevel", default=None, help="Log level (default: NEWSMILL_LOG_LEVEL or INFO).")
def worker(queues: str, concurrency: int | None, pool: str | None, broker: str | None,
           loglevel: str | None) -> None:
    """Start a Celery worker with newsmill's configuration."""
    settings = _settings(broker)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    from workers.config import QUEUES

    unknown = set(names) - set(QUEUES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s) {sorted(unknown)}; choose from {QUEUES}")
    io_only = names == ["io"]
    pool = pool or ("threads" if io_only else "prefork")
    concurrency = concurrency or (settings.io_concurrency if io_only else settings.cpu_concurrency)
    from workers.app import app

    # Without mingle and gossip: newsmill uses neither (no revoked-task sync, no elections), and with
    # gossip every worker would receive and decode every other worker's task events, a cost that grows
    # with the square of the number of workers. Heartbeats stay on: Flower shows workers online by them.
    app.worker_main([
        "worker", "--queues", ",".join(names), "--pool", pool, "--concurrency", str(concurrency),
        "--hostname", f"{'-'.join(names)}-{os.getpid()}@%h", "--task-events",
        "--loglevel", (loglevel or settings.log_level).upper(), "--without-mingle", "--without-gossip",
    ])


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-",
              show_default=True, help="JSONL file for the records ('-' for standard output).")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL",
              help="Use this broker and the workers already running there instead of embedded ones.")
@click.option("--workers", "cpu_workers", type=int, default=None,
              help="cpu worker processes for the embedded run (default: one per core).")
@click.option("--log-file", type=click.Path(dir_okay=False), default=None,
              help="Where embedded workers log (default: a temporary file, shown on failure).")
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
def run(inputs: tuple[str, ...], output: str, broker: str | None, cpu_workers: int | None,
        log_file: str | None, timeout: float | None) -> None:
    """Process INPUTS end to end and write the records as JSONL (embedded unless --broker is given)."""
    from workers.embedded import EmbeddedError, WorkerPool, embedded_server

    # SIGTERM ends the run like Ctrl-C: through the finally blocks that stop what we started.
    signal.signal(signal.SIGTERM, _interrupt)
    if broker:
        _run_job(inputs, _settings(broker), output, timeout=timeout, pool=None)
        return
    log_path = Path(log_file) if log_file else Path(tempfile.mkstemp(prefix="newsmill-run-", suffix=".log")[1])
    pool = WorkerPool()
    ok = False
    try:
        with embedded_server() as server:
            os.environ["NEWSMILL_BROKER_URL"] = server.url
            os.environ["NEWSMILL_REDIS_URL"] = server.url
            settings = Settings.from_env()
            pool.start(env=dict(os.environ), cpu_concurrency=cpu_workers or settings.cpu_concurrency,
                       io_concurrency=settings.io_concurrency, log_file=log_path)
            try:
                _run_job(inputs, settings, output, timeout=timeout, pool=pool)
                ok = True
            finally:
                pool.stop()
    except EmbeddedError as exc:
        raise click.ClickException(f"{exc} (worker log: {log_path})") from exc
    finally:
        if ok and not log_file:
            log_path.unlink(missing_ok=True)
        elif not ok:
            click.echo(f"worker log: {log_path}", err=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_job(inputs: tuple[str, ...], settings: Settings, output: str, *, timeout: float | None,
             pool: Any) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    keys = Keys(settings.prefix)
    start = stream_position(client, keys)
    job_id, count = _enqueue(inputs, settings, client)
    reader = JobRecordReader(client, keys, job_id, start=start)
    jobs = JobStore(client, keys)
    deadline = time.monotonic() + timeout if timeout else None
    written = 0
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        with click.progressbar(length=count, label=f"job {job_id}", file=sys.stderr) as bar:
            while True:
                for record in reader.poll():
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
                    bar.update(1)
                counts = jobs.counts(job_id)
                # unchanged (304) inputs are counted but leave no record in the stream.
                if counts.finished and written >= counts.delivered:
                    break
                if pool is not None:
                    pool.check_alive()
                if deadline is not None and time.monotonic() > deadline:
                    raise click.ClickException(f"timed out; job {job_id} has {counts.pending} pending")
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    _print_counts(jobs.counts(job_id), as_json=False, out=sys.stderr)


main.add_command(flower)
main.add_command(healthcheck)

if __name__ == "__main__":
    main()
