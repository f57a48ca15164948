"""Reading finished records back from the Redis result stream, for one job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import redis

from newsmill.keys import Keys


def stream_position(client: redis.Redis, keys: Keys) -> str:
    """The id of the newest entry now in the stream (``0-0`` when empty): read from here to see only
    what is added afterwards."""
    newest = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrevrange(keys.stream(), count=1))
    return newest[0][0].decode() if newest else "0-0"


class JobRecordReader:
    """Follows the result stream from a position and yields the records of one job (``None``: of every
    job, as ``run --watch`` wants) as they arrive."""

    def __init__(self, client: redis.Redis, keys: Keys, job_id: str | None, *, start: str = "0-0") -> None:
        self._redis = client
        self._stream = keys.stream()
        self._job = job_id.encode() if job_id is not None else None
        self.position = start

    def poll(self, *, block_ms: int = 200, count: int = 500) -> Iterator[dict[str, Any]]:
        """Records of the job added since the last poll (waits up to ``block_ms`` for the first)."""
        reply = cast(
            list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]],
            self._redis.xread({self._stream: self.position}, count=count, block=block_ms),
        )
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self.position = entry_id.decode()
                if self._job is None or fields.get(b"job_id") == self._job:
                    yield json.loads(fields[b"record"])
