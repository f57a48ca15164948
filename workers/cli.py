"""The ``newsmill`` command: enqueue, status, worker, export, and run (the embedded default)."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click
import redis

from newsmill.enrich import REGISTRY
from newsmill.errors import infrastructure_error
from newsmill.export import FORMATS, Format, OutputFile, format_for, read_jsonl, read_stream, write
from newsmill.fetch.discovery import DiscoveryError, DiscoveryRequest, parse_since
from newsmill.jobs import JobCounts, JobStore, RedisFull, new_job_id
from newsmill.keys import Keys
from newsmill.ledger import Ledger
from newsmill.resources import Resources
from newsmill.results import JobRecordReader, stream_position
from newsmill.settings import Settings, mask_url
from newsmill.watch.sources import SourceList
from newsmill.watch.watcher import Poll
from tasks.chains import enqueue_sources
from workers.app import NewsmillApp, make_app
from workers.command_settings import command_environment, command_settings
from workers.errors import EXIT_CODES_HELP, Exit, ExitCode, NewsmillGroup
from workers.flower import flower
from workers.health import healthcheck
from workers.logging import configure_logging
from workers.watch import run_watcher, source_list, watch, watch_settings

ENRICH_STAGES = tuple(REGISTRY)


def _plan(inputs: Iterable[str]) -> Any:
    """The inputs' sources, every input checked first (a missing path, an unsupported scheme): one line."""
    from newsmill.load import expand_inputs

    try:
        return expand_inputs(inputs)
    except FileNotFoundError as exc:
        raise Exit(f"{exc.filename}: {exc.strerror or 'no such file or directory'}", ExitCode.ERROR) from exc
    except (ValueError, OSError) as exc:
        raise Exit(str(exc), ExitCode.ERROR) from exc


def _enqueue(inputs: tuple[str, ...], settings: Settings, app: NewsmillApp, client: redis.Redis,
             discovery: DiscoveryRequest | None = None, *, reprocess: bool = False,
             planned: Any = None) -> tuple[str, int]:
    """A new job of ``inputs`` (their sources as :func:`_plan` gives them: ``planned`` if the caller
    checked them already)."""
    sources = planned if planned is not None else _plan(inputs)
    res = Resources(settings, redis_client=client)
    jobs = JobStore(client, res.keys)
    client.ping()
    _check_broker(app)
    job_id = new_job_id()
    named = [*inputs, *(discovery.feeds if discovery else ()), *(discovery.sitemaps if discovery else ())]
    jobs.create(job_id, inputs=named, reprocess=reprocess)
    if discovery:
        # Discovery runs here, in the producer: the job's input set must be known before it is marked
        # complete, and the producer may wait out a host's politeness budget where a worker must not.
        from newsmill.fetch.discovery import discovered_sources

        sources = itertools.chain(sources, discovered_sources(
            discovery, job_id, options=settings.fetch, client=client, prefix=settings.prefix))
    try:
        count = enqueue_sources(job_id, sources, settings, jobs, res, app=app)
    except (OSError, DiscoveryError) as exc:
        # A folder that cannot be listed part-way, a feed that cannot be read: what went out is processed.
        enqueued = _abort(jobs, job_id, str(exc))
        raise Exit(f"{_os_message(exc)}: job {job_id} stopped after enqueueing {enqueued} inputs",
                   ExitCode.ERROR) from exc
    except Exception as exc:
        full = _out_of_memory(exc, client)
        if full is None:
            _abort(jobs, job_id, f"{type(exc).__name__}: {exc}")
            raise
        enqueued = _abort(jobs, job_id, str(full))
        raise click.ClickException(
            f"{full}: job {job_id} stopped after enqueueing {enqueued} of its inputs (those will be "
            "processed); free memory in Redis or raise its maxmemory, then enqueue the rest") from exc
    if count == 0:
        click.echo(f"warning: no inputs found in {' '.join(named)}", err=True)
    return job_id, count


def _os_message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc)


def _check_broker(app: NewsmillApp) -> None:
    """Fail before a job is created if the broker does not answer (one line, see workers/errors.py)."""
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0.5, timeout=10)


def _abort(jobs: JobStore, job_id: str, why: str) -> int:
    """Mark a job whose enqueueing stopped early as complete with what went out; returns that count."""
    with contextlib.suppress(redis.RedisError):
        jobs.mark_aborted(job_id, why)
        return jobs.counts(job_id).enqueued
    return 0


def _out_of_memory(exc: BaseException, client: redis.Redis) -> RedisFull | None:
    """``exc`` (or its cause) as Redis being full, with the figures, or ``None``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RedisFull):
            return seen
        infra = infrastructure_error(seen)
        if infra is not None and infra.code == "redis_full":
            with contextlib.suppress(redis.RedisError):
                info = client.info("memory")
                return RedisFull(int(info.get("used_memory") or 0), int(info.get("maxmemory") or 0))
            return RedisFull(0, 0)
        seen = seen.__cause__ or seen.__context__
    return None


def _state(counts: JobCounts, *, stalled: bool = False) -> str:
    if counts.finished:
        state = "finished"
    elif not counts.enqueue_complete:
        state = "enqueuing"
    else:
        state = "stalled" if stalled else "running"
    return f"{state} (enqueueing stopped early: {counts.aborted})" if counts.aborted else state


def _print_counts(counts: JobCounts, *, as_json: bool, out: IO[str], stalled: bool = False) -> None:
    if as_json:
        out.write(json.dumps({**counts.to_dict(), "stalled": stalled}) + "\n")
        return
    out.write(f"job {counts.job_id}: {_state(counts, stalled=stalled)}\n")
    out.write(f"  enqueued {counts.enqueued}  ok {counts.ok}  dropped {counts.dropped}  "
              f"failed {counts.failed}  unchanged {counts.unchanged}  pending {counts.pending}\n")
    for reason, number in sorted(counts.reasons.items()):
        message = counts.messages.get(reason)
        out.write(f"  {reason}: {number}" + (f"  (last: {message})" if message else "") + "\n")


def _redis(settings: Settings) -> redis.Redis:
    """A client for the CLI: fails within seconds (one line, see workers/errors.py) if Redis is away."""
    return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=30)


def _finished_code(counts: JobCounts) -> ExitCode:
    return ExitCode.FAILED if counts.failed else ExitCode.OK


@click.group(cls=NewsmillGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES_HELP)
@click.version_option(package_name="newsmill")
@click.option("--debug", is_flag=True, envvar="NEWSMILL_DEBUG", help="Show tracebacks of errors.")
def main(debug: bool) -> None:
    """newsmill: clean, enriched, structured news-article records from URLs, feeds and files."""


INPUTS_HELP = """INPUTS: http(s) URLs; files: .html .htm .xhtml pages, .txt articles, .txt URL lists (one
URL per line), .json/.jsonl (one article per line), .warc/.warc.gz archives, any of these gzipped (not
JSONL); folders (walked recursively: files of other types become dropped/unsupported_type records);
globs ('news/**/*.html'). A file of another type named on its own is sniffed."""


def _job_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what a job is, shared by `enqueue` and `run`."""
    for decorator in reversed([
        click.option("--feed", "feeds", multiple=True, metavar="URL",
                     help="An RSS, Atom or JSON feed whose articles to process (repeatable)."),
        click.option("--sitemap", "sitemaps", multiple=True, metavar="URL",
                     help="A sitemap (or sitemap index) whose pages to process (repeatable)."),
        click.option("--since", default=None, metavar="DATE",
                     help="Only feed and sitemap entries published or modified since DATE (ISO 8601, or "
                          "e.g. 2d, 12h); undated ones are kept."),
        click.option("--enrich", default=None, metavar="STAGES",
                     help=f"Enrichment stages, comma-separated, in order ('' for none); from: "
                          f"{', '.join(ENRICH_STAGES)} (default: all, or NEWSMILL_ENRICH)."),
        click.option("--reprocess", is_flag=True,
                     help="Deliver articles again even if an earlier job delivered them unchanged."),
    ]):
        command = decorator(command)
    return command


def _discovery(feeds: tuple[str, ...], sitemaps: tuple[str, ...], since: str | None) -> DiscoveryRequest:
    try:
        return DiscoveryRequest(feeds=feeds, sitemaps=sitemaps, since=parse_since(since) if since else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc


def _choose_enrichment(enrich: str | None) -> tuple[str, ...] | None:
    """--enrich, checked here (a usage error lists the stages); handed on as NEWSMILL_ENRICH: producers
    build the chain from it, and embedded workers inherit it."""
    if enrich is None:
        return None
    names = [name.strip() for name in enrich.split(",") if name.strip()]
    unknown = [name for name in names if name not in ENRICH_STAGES]
    if unknown:
        raise click.BadParameter(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(ENRICH_STAGES)}",
                                 param_hint="--enrich")
    return tuple(names)


@main.command(epilog=EXIT_CODES_HELP, short_help="Enqueue inputs as a job for running workers; print its id.",
              help="Enqueue INPUTS and the articles of --feed and --sitemap URLs as a new job for the "
                   "workers (newsmill worker) and print its id; follow it with `newsmill status ID --wait`."
                   "\n\n" + INPUTS_HELP)
@click.argument("inputs", nargs=-1)
@_job_options
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
def enqueue(inputs: tuple[str, ...], feeds: tuple[str, ...], sitemaps: tuple[str, ...], since: str | None,
            enrich: str | None, reprocess: bool, broker: str | None) -> None:
    if not (inputs or feeds or sitemaps):
        raise click.UsageError("name at least one input, --feed or --sitemap")
    discovery = _discovery(feeds, sitemaps, since)
    settings = command_settings(command_environment(broker, _choose_enrichment(enrich)))
    client = _redis(settings)
    app = make_app(settings)
    try:
        job_id, count = _enqueue(inputs, settings, app, client, discovery, reprocess=reprocess)
    finally:
        app.close()
    click.echo(f"enqueued {count} inputs", err=True)
    click.echo(job_id)


@main.command(epilog=EXIT_CODES_HELP, short_help="Show a job's counts; --wait until it finishes.")
@click.argument("job_id")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@click.option("--wait", is_flag=True, help="Wait until the job is finished (exit code 0, 3 or 4).")
@click.option("--timeout", type=float, default=None, help="With --wait: give up after SECONDS.")
@click.option("--stalled-after", type=float, default=300.0, show_default=True,
              help="With --wait: stop waiting once no input has finished for SECONDS.")
def status(job_id: str, broker: str | None, as_json: bool, wait: bool, timeout: float | None,
           stalled_after: float) -> None:
    """Print a job's counts (enqueued, ok, dropped, failed, by reason) and whether it is finished."""
    settings = command_settings(command_environment(broker))
    client = _redis(settings)
    keys = Keys(settings.prefix)
    jobs = JobStore(client, keys)
    counts = jobs.counts(job_id)
    if not counts.exists:
        raise click.ClickException(f"no job {job_id} (it may have expired)")
    if not wait:
        _print_counts(counts, as_json=as_json, out=sys.stdout)
        return
    deadline = time.monotonic() + timeout if timeout is not None else None
    while not counts.finished:
        stalled = counts.stalled(Ledger(client, keys).now(), stalled_after)
        if stalled or (deadline is not None and time.monotonic() > deadline):
            _print_counts(counts, as_json=as_json, out=sys.stdout, stalled=stalled)
            why = (f"no input finished for {stalled_after:.0f} s; are workers running (newsmill worker)?"
                   if stalled else f"still {counts.pending} pending after {timeout:g} s")
            raise Exit(f"job {job_id} did not finish: {why}", ExitCode.UNFINISHED)
        time.sleep(0.5)
        counts = jobs.counts(job_id)
    _print_counts(counts, as_json=as_json, out=sys.stdout)
    raise SystemExit(int(_finished_code(counts)))


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
    settings = command_settings(command_environment(broker))
    if loglevel:
        settings = dataclasses.replace(settings, log_level=loglevel.upper())
    names = [q.strip() for q in queues.split(",") if q.strip()]
    from workers.config import QUEUES

    unknown = set(names) - set(QUEUES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s) {sorted(unknown)}; choose from {QUEUES}")
    io_only = names == ["io"]
    pool = pool or ("threads" if io_only else "prefork")
    concurrency = concurrency or (settings.io_concurrency if io_only else settings.cpu_concurrency)
    from celery.signals import worker_shutting_down

    app = make_app(settings)
    endpoint = None
    if settings.metrics_port:
        from workers.metrics import MetricsUnavailable, WorkerDescription, start_endpoint

        try:
            endpoint = start_endpoint(settings, app, WorkerDescription(tuple(names), pool, concurrency))
        except MetricsUnavailable as exc:
            raise Exit(str(exc), ExitCode.ERROR) from exc

    asked_to_stop: list[str] = []
    worker_shutting_down.connect(lambda sig, **_: asked_to_stop.append(sig), weak=False)
    # Without mingle and gossip: newsmill uses neither (no revoked-task sync, no elections), and with
    # gossip every worker would receive and decode every other worker's task events, a cost that grows
    # with the square of the number of workers. Heartbeats stay on: Flower shows workers online by them.
    try:
        app.worker_main([
            "worker", "--queues", ",".join(names), "--pool", pool, "--concurrency", str(concurrency),
            "--hostname", f"{'-'.join(names)}-{os.getpid()}@%h", "--task-events",
            "--loglevel", settings.log_level, "--without-mingle", "--without-gossip",
        ])
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        if endpoint is not None:
            endpoint.close()
    if code in (0, None) and not asked_to_stop:
        # Celery returns 0 after some unrecoverable errors; a supervisor with restart: on-failure (or
        # systemd's Restart=on-failure) must see that this worker did not stop because it was asked to.
        click.echo("newsmill worker: stopped without being asked to (see the log above); exit code 1", err=True)
        code = 1
    raise SystemExit(code)


@main.command(epilog=EXIT_CODES_HELP, short_help="Process inputs end to end on this machine; write records.",
              help="Process INPUTS (and --feed, --sitemap articles) end to end and write one JSON record per "
                   "input: on an embedded server and workers started for this run and stopped after it "
                   "(nothing to install), or with --broker on the workers already running there."
                   "\n\n" + INPUTS_HELP)
@click.argument("inputs", nargs=-1)
@_job_options
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="File for the records ('-' for standard output): JSONL, or Parquet or CSV when it ends "
                   "in .parquet or .csv (see newsmill export).")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL",
              help="Use this broker and the workers already running there instead of embedded ones.")
@click.option("--workers", "cpu_workers", type=click.IntRange(min=1), default=None,
              help="cpu worker processes for the embedded run (default: one per core).")
@click.option("--log-file", type=click.Path(dir_okay=False), default=None,
              help="Keep the embedded workers' log here (default: kept only if the run fails).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Give up after SECONDS (exit code 4). With --watch: stop polling after SECONDS, write the "
                   "records of what was enqueued, exit 0.")
@click.option("--watch", "watching", is_flag=True,
              help="Keep polling the feeds and sitemaps (INPUTS: URLs, .opml or .toml files; and --feed, "
                   "--sitemap) and write each new article's record as it comes, until Ctrl-C (see newsmill "
                   "watch).")
@click.option("--every", default=None, metavar="DURATION",
              help="With --watch: the interval between polls of a source (default: NEWSMILL_WATCH_EVERY or 10m).")
def run(inputs: tuple[str, ...], feeds: tuple[str, ...], sitemaps: tuple[str, ...], since: str | None,
        enrich: str | None, reprocess: bool, output: str, broker: str | None, cpu_workers: int | None,
        log_file: str | None, timeout: float | None, watching: bool, every: str | None) -> None:
    if not (inputs or feeds or sitemaps):
        raise click.UsageError("name at least one input, --feed or --sitemap")
    if every is not None and not watching:
        raise click.UsageError("--every needs --watch")
    if watching and since:
        raise click.UsageError("--since does not apply to --watch (every article a source lists is new once)")
    discovery = _discovery(feeds, sitemaps, since)
    variables = command_environment(broker, _choose_enrichment(enrich))
    settings = command_settings(variables)  # every setting checked before anything starts
    if watching:
        watch_settings(settings, every)  # --every checked now
        job: _Job | _Watch = _Watch(source_list([*inputs, *feeds, *sitemaps]), every)
    else:
        job = _Job(inputs, discovery, reprocess, sources=_plan(inputs))  # so is every input
    target = _Target.open(output)  # and -o: an unwritable file is known before anything starts
    out = target.jsonl
    # SIGTERM and SIGHUP end the run like Ctrl-C: through the finally blocks that stop what we started.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        if broker:
            counts = _run_work(job, settings, out, timeout=timeout, pool=None)
        else:
            counts = _run_embedded(job, variables, out, cpu_workers=cpu_workers, log_file=log_file,
                                   timeout=timeout, scratch=target.scratch_files())
    except KeyboardInterrupt:
        if isinstance(job, _Watch):
            # Ctrl-C is how a watch ends: the records written so far are the result.
            target.finish()
            click.echo("stopped watching" + (f"; records: {output}" if output != "-" else ""), err=True)
            raise SystemExit(int(ExitCode.OK)) from None
        # The records that arrived are kept in every format, as a JSONL -o keeps them as they arrive.
        kept = _keep_what_arrived(target, output)
        raise Exit("interrupted: stopped, and stopped everything this run started" + kept,
                   ExitCode.INTERRUPTED) from None
    except Exit as exc:
        if exc.exit_code == ExitCode.UNFINISHED:
            target.finish()  # a timed-out run keeps the records it got, in every format
        else:
            target.discard()
        raise
    except BaseException:
        target.discard()
        raise
    target.finish()
    if output != "-":
        click.echo(f"records: {output}", err=True)
    raise SystemExit(int(_finished_code(counts)) if counts is not None else int(ExitCode.OK))


@dataclass(frozen=True)
class _Watch:
    """What ``run --watch`` watches: its sources (checked), and ``--every``."""

    sources: SourceList
    every: str | None


def _keep_what_arrived(target: _Target, output: str) -> str:
    """After an interrupt: finish ``-o`` with the records so far; what to add to the message."""
    try:
        target.finish()
    except (Exit, KeyboardInterrupt):  # the disk filled, or a second Ctrl-C: nothing half-written stays
        target.discard()
        return ""
    return f"; the records so far are in {output}" if output != "-" else ""


@dataclass(frozen=True)
class _Job:
    inputs: tuple[str, ...]
    discovery: DiscoveryRequest
    reprocess: bool
    sources: Any
    """The inputs' sources, planned (and checked) once, streamed when the job is enqueued."""


def _open_output(output: str) -> IO[str]:
    if output == "-":
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        raise Exit(f"cannot write -o {output}: {exc.strerror or exc}", ExitCode.ERROR) from exc


def _output_file(output: str) -> OutputFile:
    """``-o`` of a Parquet or CSV file, checked writable now (one line if not), written in full later."""
    if Path(output).is_dir():
        raise Exit(f"cannot write -o {output}: Is a directory", ExitCode.ERROR)
    try:
        return OutputFile(output)
    except OSError as exc:
        raise Exit(f"cannot write -o {output}: {exc.strerror or exc}", ExitCode.ERROR) from exc


@dataclass
class _Target:
    """Where `run` writes its records. JSONL goes straight to ``-o`` as it arrives, as it always did; for
    Parquet or CSV, which are written whole (Parquet's footer comes last), the JSONL goes to a temporary
    file beside ``-o`` and :meth:`finish` converts it with the exporter (the embedded server and its
    stream are gone by then, so the file is the copy to convert)."""

    jsonl: IO[str]
    fmt: Format
    final: OutputFile | None = None

    @classmethod
    def open(cls, output: str) -> _Target:
        fmt = format_for(output) if output != "-" else "jsonl"
        if fmt == "jsonl":
            return cls(_open_output(output), fmt)
        final = _output_file(output)
        try:
            scratch = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by finish or discard
                "w+", encoding="utf-8", prefix=f".{Path(output).name}.", suffix=".jsonl",
                dir=final.partial.parent, delete=True)
        except OSError as exc:
            final.discard()
            raise Exit(f"cannot write -o {output}: {exc.strerror or exc}", ExitCode.ERROR) from exc
        return cls(scratch, fmt, final)

    def finish(self) -> None:
        if self.final is None:
            if self.jsonl is not sys.stdout:
                self.jsonl.close()
            return
        try:
            self.jsonl.flush()
            _export_to(self.final, read_jsonl(self.jsonl.name), self.fmt)
        finally:
            self.jsonl.close()

    def scratch_files(self) -> list[Path]:
        """Files beside ``-o`` that only a finished or failed run removes (a killed one leaves them to
        the lifeline)."""
        if self.final is None:
            return []
        return [Path(self.jsonl.name), self.final.partial]

    def discard(self) -> None:
        if self.jsonl is not sys.stdout:
            self.jsonl.close()
        if self.final is not None:
            self.final.discard()


def _export_to(target: OutputFile, records: Iterable[dict[str, Any]], fmt: Format) -> int:
    """Write ``records`` to ``target`` under its temporary name, then move it into place."""
    try:
        count = write(records, fmt, target.partial)
        target.commit()
    except BaseException as exc:
        target.discard()
        if isinstance(exc, OSError):  # a full disk, a folder removed meanwhile: one line, not a traceback
            raise Exit(f"cannot write {target.path}: {exc.strerror or exc}", ExitCode.ERROR) from exc
        raise
    return count


def _run_embedded(job: _Job | _Watch, variables: dict[str, str], out: IO[str], *, cpu_workers: int | None,
                  log_file: str | None, timeout: float | None, scratch: list[Path]) -> JobCounts | None:
    """The embedded run: everything it starts lives in one temporary folder and is watched by a lifeline
    (workers/lifeline.py), so nothing outlives this process, however it ends."""
    from workers.embedded import EmbeddedError, WorkerPool, embedded_server
    from workers.lifeline import Lifeline

    run_dir = Path(tempfile.mkdtemp(prefix="newsmill-run-"))
    lifeline = Lifeline(run_dir)
    for path in scratch:
        lifeline.remove_on_death(path)
    log_path = Path(log_file) if log_file else run_dir / "workers.log"
    pool = WorkerPool(lifeline=lifeline)
    ok = interrupted = False
    try:
        with embedded_server(parent=run_dir, lifeline=lifeline) as server:
            # Temporary files of the workers (multiprocessing's pymp-*) go where the lifeline cleans.
            # No metrics endpoint: the two embedded workers would ask for the same port.
            env = {**variables, "NEWSMILL_BROKER_URL": server.url, "NEWSMILL_REDIS_URL": server.url,
                   "TMPDIR": str(run_dir), "NEWSMILL_METRICS_PORT": "0"}
            settings = command_settings(env)
            pool.start(env=env, cpu_concurrency=cpu_workers or settings.cpu_concurrency,
                       io_concurrency=settings.io_concurrency, log_file=log_path)
            try:
                counts = _run_work(job, settings, out, timeout=timeout, pool=pool)
                ok = True
            except KeyboardInterrupt:
                interrupted = True  # asked to stop: not a failure whose log is worth keeping
                raise
            finally:
                pool.stop()
    except EmbeddedError as exc:
        kept = _keep_log(log_path, log_file)
        raise Exit(f"{exc}" + (f" (worker log: {kept})" if kept else ""), ExitCode.ERROR) from exc
    finally:
        if not ok and not interrupted:
            kept = _keep_log(log_path, log_file)
            if kept:
                click.echo(f"worker log: {kept}", err=True)
        shutil.rmtree(run_dir, ignore_errors=True)
        lifeline.close()
    if log_file:
        click.echo(f"worker log: {log_file}", err=True)
    return counts


def _keep_log(log_path: Path, log_file: str | None) -> Path | None:
    """The log of a failed run, moved out of the run's folder if it says anything; else ``None``."""
    if log_file:
        return log_path
    try:
        if log_path.stat().st_size == 0:
            return None
        kept = Path(tempfile.mkstemp(prefix="newsmill-run-", suffix=".log")[1])
        shutil.move(log_path, kept)
        return kept
    except OSError:
        return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_work(job: _Job | _Watch, settings: Settings, out: IO[str], *, timeout: float | None,
              pool: Any) -> JobCounts | None:
    if isinstance(job, _Watch):
        _run_watch(job, watch_settings(settings, job.every), out, timeout=timeout, pool=pool)
        return None
    return _run_job(job, settings, out, timeout=timeout, pool=pool)


def _run_watch(job: _Watch, settings: Settings, out: IO[str], *, timeout: float | None, pool: Any) -> None:
    """Watch the sources and write every record delivered meanwhile, until interrupted (KeyboardInterrupt)
    or, with ``timeout``, until then and the jobs enqueued so far are finished."""
    # Standard output may be the records (-o -): the watcher's log goes to stderr, its warnings only (each
    # poll with new articles or a failure is already a line of its own).
    configure_logging(log_format=settings.log_format, level="WARNING", stream=sys.stderr)
    client = _redis(settings)
    keys = Keys(settings.prefix)
    reader = JobRecordReader(client, keys, None, start=stream_position(client, keys))
    jobs = JobStore(client, keys)
    created: list[str] = []
    stop = threading.Event()
    deadline = time.monotonic() + timeout if timeout else None

    def write_records() -> None:
        for record in reader.poll(block_ms=50):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        if pool is not None:
            pool.check_alive()

    def between(polls: list[Poll]) -> None:
        for poll in polls:
            if poll.job_id:
                created.append(poll.job_id)
                click.echo(f"{poll.url}: {poll.new} new (job {poll.job_id})", err=True)
            elif poll.status == "failed":
                click.echo(f"{poll.url}: failed ({poll.error}); next poll in {poll.next_in:.0f} s", err=True)
        write_records()
        if deadline is not None and time.monotonic() > deadline:
            stop.set()

    run_watcher(job.sources, settings, client, stop=stop, between=between)
    while not all(jobs.counts(job_id).finished for job_id in created):
        write_records()
    write_records()


def _run_job(job: _Job, settings: Settings, out: IO[str], *, timeout: float | None, pool: Any) -> JobCounts:
    client = _redis(settings)
    keys = Keys(settings.prefix)
    start = stream_position(client, keys)
    app = make_app(settings)
    try:
        job_id, count = _enqueue(job.inputs, settings, app, client, job.discovery, reprocess=job.reprocess,
                                 planned=job.sources)
    finally:
        app.close()
    reader = JobRecordReader(client, keys, job_id, start=start)
    jobs = JobStore(client, keys)
    deadline = time.monotonic() + timeout if timeout else None
    written = 0
    with click.progressbar(length=count, label=f"job {job_id}", file=sys.stderr) as bar:
        while True:
            for record in reader.poll():
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
                bar.update(1)
            counts = jobs.counts(job_id)
            # unchanged inputs (a 304, or delivered by an earlier job) are counted but leave no record.
            if counts.finished and written >= counts.delivered:
                break
            if pool is not None:
                pool.check_alive()
            if deadline is not None and time.monotonic() > deadline:
                raise Exit(f"timed out; job {job_id} has {counts.pending} pending", ExitCode.UNFINISHED)
            time.sleep(0.05)
    out.flush()
    final = jobs.counts(job_id)
    _print_counts(final, as_json=False, out=sys.stderr)
    return final


@main.command(epilog=EXIT_CODES_HELP, short_help="Write delivered records to a JSONL, CSV or Parquet file.")
@click.argument("job_id", required=False, metavar="[JOB]")
@click.option("--since", default=None, metavar="DATE",
              help="Only records delivered since DATE (ISO 8601, or e.g. 2d, 12h, 30m).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from -o's suffix, .parquet or .csv, else jsonl).")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="The file to write ('-' for standard output, jsonl and csv only).")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
def export(job_id: str | None, since: str | None, fmt: Format | None, output: str, broker: str | None) -> None:
    """Write the records delivered to the result stream, of job JOB and/or since DATE, to FILE.

    Parquet columns follow the record's schema (nested fields as structs and lists, absent enrichment
    fields as nulls); CSV has one column per top-level field, nested ones as JSON text; JSONL is the
    records as delivered. Records are read in batches and written as they come.
    """
    if job_id is None and since is None:
        raise click.UsageError("name a JOB, --since DATE, or both")
    try:
        after = parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    fmt = fmt or format_for(output)
    if output == "-" and fmt == "parquet":
        raise click.BadParameter("Parquet needs a file, not standard output", param_hint="-o")
    settings = command_settings(command_environment(broker))
    client = _redis(settings)
    keys = Keys(settings.prefix)
    client.ping()  # an unreachable Redis is one line (workers/errors.py) before any file is made
    target = _output_file(output) if output != "-" else None  # an unwritable -o fails before any reading
    known = job_id is None or JobStore(client, keys).counts(job_id).exists
    records: Iterable[dict[str, Any]] = read_stream(client, keys, job_id=job_id, since=after)
    if not known:
        # The job's counts expire a week after its last write; its records may stay in the stream longer.
        first = next(iter(records), None)
        if first is None:
            if target is not None:
                target.discard()
            raise Exit(f"no job {job_id} and no record of it in the stream (it may have expired)", ExitCode.ERROR)
        records = itertools.chain([first], records)
    count = _write_stdout(records, fmt) if target is None else _export_to(target, records, fmt)
    click.echo(f"exported {count} records" + (f": {output}" if output != "-" else ""), err=True)


def _write_stdout(records: Iterable[dict[str, Any]], fmt: Format) -> int:
    count = write(records, fmt, sys.stdout)
    sys.stdout.flush()
    return count


@main.group(short_help="Create or upgrade the PostgreSQL sink's schema.")
def db() -> None:
    """The PostgreSQL sink's schema: newsmill's own numbered migrations, applied in order, each once."""


def _postgres_url() -> str:
    settings = command_settings(command_environment())
    if not settings.postgres_url:
        raise Exit("NEWSMILL_POSTGRES_URL is not set: there is no database to migrate", ExitCode.ERROR)
    return settings.postgres_url


@db.command(short_help="Apply the migrations the database lacks (safe to repeat).")
def upgrade() -> None:
    """Apply every migration the database lacks, in one transaction under an advisory lock; print each
    one applied, or that the schema is up to date."""
    # Imported here: psycopg is loaded by the commands that talk to the database, not by every command.
    import psycopg

    from newsmill.sinks import postgres

    url = _postgres_url()
    try:
        applied = postgres.upgrade(url)
    except psycopg.Error as exc:
        raise Exit(f"PostgreSQL at {mask_url(url)}: {exc}".strip(), ExitCode.ERROR) from exc
    for migration in applied:
        click.echo(f"applied {migration.version}_{migration.name}")
    if not applied:
        click.echo("up to date")


@db.command(short_help="Print the latest migration applied to the database.")
def current() -> None:
    """Print the database's latest applied migration (``none`` if newsmill never migrated it) and, if
    there are migrations it lacks, how many."""
    import psycopg  # as in `upgrade`

    from newsmill.sinks import postgres

    url = _postgres_url()
    try:
        latest = postgres.current(url)
    except psycopg.Error as exc:
        raise Exit(f"PostgreSQL at {mask_url(url)}: {exc}".strip(), ExitCode.ERROR) from exc
    known = postgres.migrations()
    lacking = [m for m in known if latest is None or f"{m.version}_{m.name}" > latest]
    click.echo(latest or "none")
    if lacking:
        click.echo(f"{len(lacking)} migration(s) to apply: run `newsmill db upgrade`", err=True)


main.add_command(flower)
main.add_command(healthcheck)
main.add_command(watch)

if __name__ == "__main__":
    main()
