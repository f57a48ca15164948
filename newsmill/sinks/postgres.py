"""A PostgreSQL table of articles (``NEWSMILL_POSTGRES_URL``), written beside the JSONL file and the stream.

One row per article id: the latest version delivered, with typed columns for what people filter on and
the whole record as ``jsonb``. The schema is newsmill's own, created and upgraded by the numbered SQL files
in ``postgres_migrations/`` (``newsmill db upgrade``), each applied once, in order, in one transaction
under an advisory lock, and remembered in ``schema_migrations``.

Like the JSONL file, the table cannot rely on Redis to know what it holds, so each write is idempotent
by itself: the row remembers the job and input that wrote it, and a second delivery of the same job and
input (a redelivered message, a worker that died before the Redis commit) updates nothing. A later job's
``ok`` record replaces the row (a new version of the article); a ``dropped`` or ``failed`` record never
replaces an ``ok`` one (a duplicate of the article, or a re-fetch that failed, is not a newer article).

Any database error (server down, connection lost, pool exhausted) is an
:class:`~newsmill.errors.InfrastructureError` ``sink_error``: the task retries it, and after its retries
the record goes to the dead-letter stream, as for a JSONL file that cannot be written.

psycopg is imported by this module only, and this module only by processes that write to PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from newsmill.errors import InfrastructureError

MIGRATION_LOCK = 7_317_055_417_001
"""``pg_advisory_xact_lock`` key held while migrating: two processes upgrading at once take turns, and
the second finds nothing left to do."""

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_UPSERT = """
INSERT INTO articles AS a (id, job_id, input, url, title, published, language, country, status, reason,
                           site_name, word_count, content_hash, record)
VALUES (%(id)s, %(job_id)s, %(input)s, %(url)s, %(title)s, %(published)s, %(language)s, %(country)s,
        %(status)s, %(reason)s, %(site_name)s, %(word_count)s, %(content_hash)s, %(record)s)
ON CONFLICT (id) DO UPDATE SET
    job_id = excluded.job_id, input = excluded.input, url = excluded.url, title = excluded.title,
    published = excluded.published, language = excluded.language, country = excluded.country,
    status = excluded.status, reason = excluded.reason, site_name = excluded.site_name,
    word_count = excluded.word_count, content_hash = excluded.content_hash, record = excluded.record,
    updated_at = now()
WHERE (a.job_id, a.input) IS DISTINCT FROM (excluded.job_id, excluded.input)
  AND (excluded.status = 'ok' OR a.status <> 'ok')
"""


@dataclasses.dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The migrations shipped in the package, in order."""
    found = []
    for entry in resources.files("newsmill.sinks").joinpath("postgres_migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match is not None:
            found.append(Migration(match.group(1), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def upgrade(url: str) -> list[Migration]:
    """Apply the migrations the database lacks; returns those applied (none when it is up to date).

    All in one transaction (PostgreSQL's DDL is transactional: a migration that fails leaves nothing
    behind), under an advisory lock, so that workers and a ``newsmill db upgrade`` started at once do
    not race."""
    applied: list[Migration] = []
    with psycopg.connect(url, connect_timeout=10) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                            version text PRIMARY KEY, name text NOT NULL,
                            applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in migrations():
            if migration.version in done:
                continue
            conn.execute(migration.sql.encode("utf-8"))  # several statements: no parameters
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                         (migration.version, migration.name))
            applied.append(migration)
    return applied


def current(url: str) -> str | None:
    """The database's latest applied migration (``0001_articles``), or ``None`` if newsmill never ran there."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return None
        row = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1").fetchone()
        return f"{row[0]}_{row[1]}" if row else None


class PostgresSink:
    """Upserts records into ``articles`` through a small connection pool, at most once per (job, input).

    The pool is opened on first use, in the process that uses it (a worker's pool child, after the
    fork), and connects on demand: a database that is down costs the task that needs it ``timeout``
    seconds, not a reconnecting thread per idle process.
    """

    def __init__(self, url: str, *, max_size: int = 4, timeout: float = 5.0) -> None:
        self.url = url
        self._max_size = max_size
        self._timeout = timeout
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """Host, port and database, for messages (never the password)."""
        try:
            info = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.ProgrammingError:
            return "PostgreSQL"
        return f"PostgreSQL {info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"

    def write_once(self, *, job_id: str, input_key: str, record: dict[str, Any]) -> bool:
        """Upsert ``record``; returns whether a row was written (``False``: this job and input wrote it
        already, or it would replace an ``ok`` article with a non-``ok`` record). Raises
        :class:`InfrastructureError` ``sink_error`` when the database cannot be written."""
        params = _row(job_id, input_key, _without_nul(record))
        try:
            with self._connection() as conn:
                cursor = conn.execute(_UPSERT, params)
                return cursor.rowcount == 1
        except psycopg.Error as exc:
            raise InfrastructureError("sink_error", f"{self.where}: {type(exc).__name__}: {exc}") from exc

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url, min_size=0, max_size=self._max_size, timeout=self._timeout, open=True,
                    # A connection that died with a restarted server is replaced before use, not failed on.
                    check=ConnectionPool.check_connection,
                    kwargs={"autocommit": True, "connect_timeout": max(2, int(self._timeout))},
                    name="newsmill-postgres-sink",
                )
            pool = self._pool
        with pool.connection() as conn:
            yield conn

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def _row(job_id: str, input_key: str, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"], "job_id": job_id, "input": input_key, "url": record.get("url"),
        "title": record.get("title"), "published": _timestamp(record.get("published")),
        "language": record.get("language"), "country": record.get("country"), "status": record["status"],
        "reason": record.get("reason"), "site_name": record.get("site_name"),
        "word_count": record.get("word_count"), "content_hash": record.get("content_hash"),
        "record": Jsonb(record),
    }


def _timestamp(value: object) -> datetime | None:
    """The record's ISO 8601 date or date-time as a timestamp; a date is its midnight and a time without
    an offset is taken as UTC (the record keeps the text as found)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _without_nul(value: Any) -> Any:
    """PostgreSQL's text and jsonb cannot hold U+0000; a stray one in a page must not refuse the row."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value
