"""A JSON Lines file that many worker processes of one host append to at once, one line per job and input.

The file is written outside Redis, so Redis cannot vouch for it: a worker may die between the line and
the Redis commit, and a Redis restarted from an append-only file may have forgotten commits whose lines
are on disk. The file therefore keeps its own record of what it holds, in a small SQLite index beside
it (``<name>.index.sqlite``): every append looks the (job, input) up first, under the same exclusive
``flock`` as the write, so a line is never written twice, whatever Redis remembers.

The index trails the file by at most the lines of a writer that died mid-append; the next writer reads
those few lines (everything past the index's high-water mark) and indexes them before looking anything
up. A file replaced or truncated behind our back (log rotation) resets the index.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

from newsmill.record import Source

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lines (job_id TEXT NOT NULL, input TEXT NOT NULL, offset INTEGER NOT NULL,
                                  PRIMARY KEY (job_id, input)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file (id INTEGER PRIMARY KEY CHECK (id = 1), inode INTEGER NOT NULL,
                                 indexed INTEGER NOT NULL);
"""


class JsonlSink:
    """Appends one JSON object per line, at most once per (job, input).

    Each line goes out in a single ``write(2)`` on an ``O_APPEND`` descriptor under an exclusive
    ``flock``: concurrent writers on one host never interleave or overwrite each other's lines. (On
    network file systems ``flock`` may be advisory only; give each host its own file there.) A path that
    is not a regular file (``/dev/stdout``, a FIFO) is written without the index: it cannot be read back.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.index_path = self.path.with_name(self.path.name + ".index.sqlite")
        self._lock = threading.Lock()  # one process's threads share one SQLite connection
        self._db: sqlite3.Connection | None = None

    def append_once(self, *, job_id: str, input_key: str, record: dict[str, Any]) -> bool:
        """Append ``record`` unless the file already holds a line for this job and input. Returns whether
        it wrote. Raises ``OSError`` when the file cannot be written (nothing is left half-written)."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    _write_all(fd, line)
                    return True
                db = self._index()
                end = self._catch_up(db, fd, info)
                if db.execute("SELECT 1 FROM lines WHERE job_id = ? AND input = ?",
                              (job_id, input_key)).fetchone():
                    db.commit()
                    return False
                try:
                    _write_all(fd, line)
                except OSError:
                    os.ftruncate(fd, end)  # a partial line (disk full) must not stay behind
                    db.rollback()
                    raise
                db.execute("INSERT INTO lines VALUES (?, ?, ?)", (job_id, input_key, end))
                db.execute("UPDATE file SET indexed = ?", (end + len(line),))
                db.commit()
                return True
            finally:
                os.close(fd)  # closing releases the lock

    def _index(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.index_path, timeout=30, isolation_level="DEFERRED",
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _catch_up(self, db: sqlite3.Connection, fd: int, info: os.stat_result) -> int:
        """Bring the index up to the file's end (under the file lock); returns the file's size."""
        row = db.execute("SELECT inode, indexed FROM file").fetchone()
        if row is None or row[0] != info.st_ino or row[1] > info.st_size:
            # A new file, or another file now at this path: index it from the start.
            db.execute("DELETE FROM lines")
            db.execute("DELETE FROM file")
            db.execute("INSERT INTO file VALUES (1, ?, 0)", (info.st_ino,))
            indexed = 0
        else:
            indexed = int(row[1])
        if indexed == info.st_size:
            return indexed
        end = indexed
        with open(self.path, "rb") as handle:
            handle.seek(indexed)
            for raw in handle:
                if not raw.endswith(b"\n"):
                    # A writer died in the middle of a line: cut it off, it is not a record.
                    os.ftruncate(fd, end)
                    break
                key = _line_key(raw)
                if key is not None:
                    db.execute("INSERT OR IGNORE INTO lines VALUES (?, ?, ?)", (*key, end))
                end += len(raw)
        db.execute("UPDATE file SET indexed = ?", (end,))
        return end

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a regular file takes the whole buffer at once; loop for safety only
        written = os.write(fd, view)
        view = view[written:]


def _line_key(raw: bytes) -> tuple[str, str] | None:
    try:
        data = json.loads(raw)
        return str(data["job_id"]), Source.from_dict(data["source"]).key
    except (ValueError, KeyError, TypeError):
        return None
