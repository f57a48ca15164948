"""Delivered records out of the Redis stream (or a JSONL file) into JSONL, CSV or Parquet files.

Records are streamed end to end: the stream is read with ``XRANGE`` in batches, CSV and JSONL rows are
written as they come, and Parquet goes out one row group at a time (:mod:`newsmill.export.arrow`), so an
export of millions of records holds one batch in memory, never the whole set.

The columns come from the record's generated JSON Schema (:func:`newsmill.schema.article_schema`), which
a unit test keeps equal to the types in :mod:`newsmill.record`: every field of the record is a column, and
an enrichment field a record lacks (its stage did not run) is an empty cell or a null.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal, cast

import redis

from newsmill.keys import Keys
from newsmill.schema import article_schema

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")

BATCH = 1000
"""Stream entries per XRANGE call, and records per Parquet row group."""

_JOB_TIME = re.compile(r"^(\d{8}T\d{6})-")
# A job id starts with its producer's clock (newsmill.jobs.new_job_id), stream ids carry Redis's: start
# reading a job's records this much before its id says, so a producer clock ahead of Redis loses nothing.
_CLOCK_SKEW = timedelta(hours=1)


def format_for(path: str) -> Format:
    """The format a file name asks for: ``.parquet`` and ``.csv`` by suffix, JSONL for anything else
    (``run -o out.jsonl``, ``-o -`` and every name that worked before stay JSONL)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".csv":
        return "csv"
    return "jsonl"


def columns() -> list[str]:
    """The record's top-level fields, in the schema's order (``schema_version`` first)."""
    return list(article_schema()["properties"])


def _is_nested(name: str) -> bool:
    """An object or array field (or one that may be): JSON text in a CSV cell."""
    node = article_schema()["properties"][name]
    kinds = [node, *node.get("anyOf", ())]
    return any("$ref" in kind or kind.get("type") in ("object", "array") for kind in kinds)


def stream_start(*, job_id: str | None, since: datetime | None) -> str:
    """The first stream id to read: from ``since`` (stream ids are milliseconds), from shortly before a
    job was created, or from the beginning."""
    starts = []
    if since is not None:
        starts.append(since)
    if job_id is not None:
        found = _JOB_TIME.match(job_id)
        if found:
            created = datetime.strptime(found.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            starts.append(created - _CLOCK_SKEW)
    if not starts:
        return "-"
    return f"{max(0, int(max(starts).timestamp() * 1000))}-0"


def read_stream(client: redis.Redis, keys: Keys, *, job_id: str | None = None, since: datetime | None = None,
                batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """The records delivered to the stream (of one job, and/or since a time), oldest first, read
    ``batch`` entries at a time."""
    start = stream_start(job_id=job_id, since=since)
    wanted = job_id.encode() if job_id is not None else None
    while True:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]],
                       client.xrange(keys.stream(), min=start, max="+", count=batch))
        for _entry_id, fields in entries:
            if wanted is None or fields.get(b"job_id") == wanted:
                yield json.loads(fields[b"record"])
        if len(entries) < batch:
            return
        start = "(" + entries[-1][0].decode()  # exclusive: after the last entry read


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The records of a JSONL file, one line at a time."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def write(records: Iterable[dict[str, Any]], fmt: Format, out: IO[str] | Path) -> int:
    """Write ``records`` in ``fmt`` to a text stream (JSONL, CSV) or a path (any); returns how many."""
    if fmt == "parquet":
        if not isinstance(out, Path):
            raise ValueError("Parquet is written to a file, not a stream")
        # pyarrow is imported here only: the CLI module is imported by every worker process, which never
        # writes Parquet and should not pay ~100 ms and tens of MB for it.
        from newsmill.export.arrow import write_parquet

        return write_parquet(records, out, batch=BATCH)
    if isinstance(out, Path):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            return write(records, fmt, handle)
    if fmt == "csv":
        return _write_csv(records, out)
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    names = columns()
    nested = {name for name in names if _is_nested(name)}
    writer = csv.writer(out)
    writer.writerow(names)
    count = 0
    for record in records:
        writer.writerow([_cell(record.get(name), name in nested) for name in names])
        count += 1
    return count


def _cell(value: Any, nested: bool) -> Any:
    """An empty cell for null or absent; JSON text for an object or list, so it parses back exactly."""
    if value is None:
        return ""
    if nested:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


class OutputFile:
    """A file written under a temporary name beside its final path and moved there when complete, so a
    failed or interrupted export never leaves a half-written file under the name asked for. Opening it
    checks up front that the folder is writable."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial",
                                    dir=self.path.parent)
        os.close(fd)
        self.partial = Path(name)

    def commit(self) -> None:
        self.partial.chmod(0o644)  # mkstemp makes it private; an export is an ordinary file
        os.replace(self.partial, self.path)

    def discard(self) -> None:
        with suppress(FileNotFoundError):
            self.partial.unlink()
