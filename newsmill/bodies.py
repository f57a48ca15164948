"""Claim checks for document bodies: the HTML a load or fetch task produced waits in Redis, and only its
key travels in the Celery message to the clean task.

A page averages 230 KB; carried in the message it would be JSON-escaped, stored in the queue, copied
again into the broker's unacked table and decoded twice. In Redis it is one hash write and one read. The
hash keeps the rest of the document too (``m``), so the reconciler can drive an input again from here —
its last durable point — without loading or fetching it a second time. The sink (end of the chain)
deletes it; a TTL is the safety net for chains that never get there.
"""

from __future__ import annotations

import json
from typing import Any, cast

import redis

from newsmill.keys import Keys
from newsmill.record import Source

BODY_TTL_SECONDS = 24 * 3600


# KEYS: document, the job's deliveries. ARGV: input key, body, meta JSON, ttl.
_STASH = """
if redis.call('HGET', KEYS[2], ARGV[1]) == 'done' then return 0 end
redis.call('HSET', KEYS[1], 'b', ARGV[2], 'm', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


class Bodies:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys
        self._stash = client.register_script(_STASH)

    def key(self, job_id: str, source: Source) -> str:
        return self._keys.document(job_id, source.key)

    def stash(self, data: dict[str, Any]) -> dict[str, Any]:
        """Move a serialized Document's body into Redis; returns the message form (body replaced by a
        key). Anything else is returned as it is."""
        if data.get("type") != "document" or data.get("body") is None:
            return data
        item = data["item"]
        source = Source.from_dict(item["source"])
        key = self.key(item["job_id"], source)
        meta = {name: value for name, value in data.items() if name not in ("body", "drive", "deferrals")}
        # Not for an input delivered meanwhile (a stale drive finishing late): the delivery commit deleted
        # its document, and one stored now would outlive the job. Its next stage then stops at start.
        self._stash(keys=[key, self._keys.job_deliveries(item["job_id"])],
                    args=[source.key, data["body"].encode("utf-8"),
                          json.dumps(meta, ensure_ascii=False, separators=(",", ":")), BODY_TTL_SECONDS])
        return {**data, "body": None, "body_ref": key}

    def restore(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The Document with its body back; ``None`` if the body is gone (expired or already delivered)."""
        ref = data.get("body_ref")
        if data.get("type") != "document" or not ref:
            return data
        raw = cast(bytes | None, self._redis.hget(ref, "b"))
        if raw is None:
            return None
        return {key: value for key, value in data.items() if key != "body_ref"} | {"body": raw.decode("utf-8")}

    def stored_message(self, job_id: str, source: Source) -> dict[str, Any] | None:
        """The clean task's message for this input, rebuilt from what is stored; ``None`` if nothing is."""
        key = self.key(job_id, source)
        raw = cast(bytes | None, self._redis.hget(key, "m"))
        if raw is None:
            return None
        return {**json.loads(raw), "body": None, "body_ref": key}

