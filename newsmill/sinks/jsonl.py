"""A JSON Lines file that many worker processes append to at once."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any


class JsonlSink:
    """Appends one JSON object per line.

    Each line goes out in a single ``write(2)`` on an ``O_APPEND`` descriptor under an exclusive
    ``flock``: concurrent writers on one host never interleave or overwrite each other's lines. (On
    network file systems ``flock`` may be advisory only; give each host its own file there.)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(line)
            while view:  # a regular file takes the whole buffer at once; loop for safety only
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)  # closing releases the lock

    def contains(self, *, job_id: str, article_id: str, source_key: str) -> bool:
        """Whether a record for this job and input is already in the file.

        Only used to recover after a worker died between writing the line and committing the delivery,
        so a full scan is acceptable here.
        """
        if not self.path.exists():
            return False
        needle_id = f'"id":{json.dumps(article_id)}'.encode()
        with open(self.path, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            for raw in handle:
                if needle_id not in raw:
                    continue
                try:
                    data = json.loads(raw)
                except ValueError:
                    continue  # a torn last line from a crash is not a record
                source = data.get("source") or {}
                key = source.get("location", "")
                if source.get("line") is not None:
                    key = f"{key}#{source['line']}"
                if data.get("job_id") == job_id and key == source_key:
                    return True
        return False
