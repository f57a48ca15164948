"""``newsmill watch``: the scheduler process. It polls feeds and sitemaps on their intervals
(:mod:`newsmill.watch`) and publishes each poll's new articles as a job for the workers; compose runs it as
the ``scheduler`` service, ``newsmill run --watch`` embedded."""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

import click
import redis

from newsmill.fetch.fetcher import Fetcher
from newsmill.jobs import JobStore
from newsmill.record import Source
from newsmill.resources import Resources
from newsmill.settings import Settings
from newsmill.watch.interval import format_duration, parse_duration
from newsmill.watch.sources import SourceError, SourceList
from newsmill.watch.state import WatchStore
from newsmill.watch.watcher import Poll, Watcher
from tasks.chains import enqueue_sources
from workers.app import NewsmillApp, make_app
from workers.command_settings import command_environment, command_settings
from workers.errors import EXIT_CODES_HELP, Exit, ExitCode
from workers.logging import configure_logging

SOURCES_HELP = """SOURCES: http(s) URLs of feeds (RSS, Atom, JSON Feed) or sitemaps (told apart by their
content), .opml files of feeds, .toml files of sources; files are read again when they change."""


class JobEnqueuer:
    """The watcher's ``enqueue``: one job per poll with new articles, published like ``newsmill enqueue``
    does. A resumed poll (same job id) creates nothing twice: the ledger registers each input once."""

    def __init__(self, settings: Settings, app: NewsmillApp, client: redis.Redis, *,
                 announce: Callable[[str], None] | None = None) -> None:
        self._settings = settings
        self._announce = announce
        self._app = app
        self._res = Resources(settings, redis_client=client)
        self._jobs = JobStore(client, self._res.keys)
        # One publisher at a time: the watcher's polling threads share this app and its connection.
        self._lock = threading.Lock()

    def __call__(self, job_id: str, source_url: str, urls: Sequence[str]) -> int:
        with self._lock:
            if not self._jobs.counts(job_id).exists:
                self._jobs.create(job_id, inputs=[source_url])
                if self._announce is not None:
                    self._announce(job_id)  # before its articles go out: a script can follow it from the first
            sources = (Source(kind="url", location=url) for url in urls)
            return enqueue_sources(job_id, sources, self._settings, self._jobs, self._res, app=self._app)


def watch_settings(settings: Settings, every: str | None) -> Settings:
    """``--every`` laid over NEWSMILL_WATCH_EVERY (a usage error names a bad value)."""
    if every is None:
        return settings
    try:
        seconds = parse_duration(every)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from None
    return dataclasses.replace(settings, watch=dataclasses.replace(settings.watch, every=seconds))


def source_list(arguments: Sequence[str]) -> SourceList:
    try:
        return SourceList(arguments)
    except SourceError as exc:
        raise Exit(str(exc), ExitCode.ERROR) from None


def run_watcher(sources: SourceList, settings: Settings, client: redis.Redis, *, once: bool = False,
                stop: threading.Event | None = None,
                between: Callable[[list[Poll]], None] | None = None) -> list[Poll]:
    """Watch ``sources`` until ``stop`` is set (or, ``once``, poll what is due and return those polls);
    each new job's id is printed on standard output as it is created, unless ``between`` takes the polls."""

    def print_job(job_id: str) -> None:
        click.echo(job_id)
        sys.stdout.flush()

    client.ping()
    app = make_app(settings)
    fetcher = Fetcher(settings.fetch, redis_client=client, prefix=settings.prefix)
    try:
        with app.connection_for_write() as connection:  # an unreachable broker: one line, before any poll
            connection.ensure_connection(max_retries=1, interval_start=0.5, timeout=10)
        watcher = Watcher(sources, fetcher=fetcher, client=client, prefix=settings.prefix,
                          options=settings.watch,
                          enqueue=JobEnqueuer(settings, app, client, announce=None if between else print_job))

        def report(polls: list[Poll]) -> None:
            if between is not None:
                between(polls)

        if once:
            try:
                polls, _wait = watcher.tick(wait_all=True)
            finally:
                watcher.close()
            report(polls)
            return polls
        watcher.run(stop or threading.Event(), between=report)
        return []
    finally:
        fetcher.close()
        app.close()


def print_status(watched: SourceList, settings: Settings, client: redis.Redis, *, as_json: bool) -> bool:
    """Each source's state as stored in Redis, one line (or JSON object) each; True if one is failing."""
    store = WatchStore(client, settings.prefix, ttl=settings.watch.seen_window)
    now = time.time()
    failing = False
    for source in watched.sources:
        state = store.load(source.url)
        failing = failing or state.last_status == "failed"
        every = source.every if source.every is not None else settings.watch.every
        if as_json:
            click.echo(json.dumps({
                "url": source.url, "every": every, "last_status": state.last_status or None,
                "last_poll": state.last_poll or None, "next_due": state.next_due or None,
                "failures": state.failures, "last_error": state.last_error or None,
                "last_job": state.last_job or None, **state.counts}))
            continue
        if not state.last_poll:
            click.echo(f"{source.url}  never polled  every {format_duration(every)}")
            continue
        due = state.next_due - now
        line = (f"{source.url}  {state.last_status} {format_duration(round(now - state.last_poll))} ago  "
                f"next {'in ' + format_duration(round(due)) if due >= 1 else 'now'}  every {format_duration(every)}  "
                f"polls {state.counts['polls']} (304: {state.counts['not_modified']})  "
                f"enqueued {state.counts['enqueued']}")
        if state.last_status == "failed":
            line += f"  failures {state.failures}: {state.last_error}"
        click.echo(line)
    return failing


@click.command(epilog=EXIT_CODES_HELP, short_help="Poll feeds and sitemaps on an interval; enqueue new articles.",
               help="Poll SOURCES on an interval (--every, or each source's own from its file) and enqueue each "
                    "poll's new articles as a job for the workers, printing its id. Each article is enqueued "
                    "once, across polls and restarts (state in Redis); feeds answering 304 Not Modified are "
                    "not parsed; failing ones are polled less and less often. Runs until SIGTERM or Ctrl-C."
                    "\n\n" + SOURCES_HELP)
@click.argument("sources", nargs=-1)
@click.option("--every", default=None, metavar="DURATION",
              help="Default interval between polls of a source: 30s, 10m, 1h, … (default: NEWSMILL_WATCH_EVERY "
                   "or 10m).")
@click.option("--once", is_flag=True,
              help="Poll the sources that are due once, then exit (from cron or a workflow scheduler); exit "
                   "code 3 if one failed.")
@click.option("--status", "show_status", is_flag=True,
              help="Print each source's state (last poll, next poll, failures, totals) and exit; exit code 3 if "
                   "a source's last poll failed.")
@click.option("--json", "as_json", is_flag=True, help="With --status: one JSON object per source.")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
def watch(sources: tuple[str, ...], every: str | None, once: bool, show_status: bool, as_json: bool,
          broker: str | None) -> None:
    if not sources:
        raise click.UsageError("name at least one source: a feed or sitemap URL, an .opml or a .toml file")
    if as_json and not show_status:
        raise click.UsageError("--json needs --status")
    settings = watch_settings(command_settings(command_environment(broker)), every)
    watched = source_list(sources)
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=30)
    if show_status:
        failing = print_status(watched, settings, client, as_json=as_json)
        raise SystemExit(int(ExitCode.FAILED if failing else ExitCode.OK))
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    stop = threading.Event()

    def stop_watching(signum: int, frame: FrameType | None) -> None:
        stop.set()  # the poll under way finishes and is recorded; then the loop ends

    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, stop_watching)
    polls = run_watcher(watched, settings, client, once=once, stop=stop)
    if once and any(poll.status == "failed" for poll in polls):
        raise SystemExit(int(ExitCode.FAILED))
