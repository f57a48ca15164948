"""Claim checks for document bodies: the HTML a load or fetch task produced waits in Redis, and only
its key travels in the Celery message to the clean task.

A page averages 230 KB; carried in the message it would be JSON-escaped, base64-encoded, stored in the
queue, copied again into the broker's unacked table and decoded twice. In Redis it is one SET and one
GET. The sink (end of the chain) deletes it; a TTL is the safety net for chains that never get there.
"""

from __future__ import annotations

import hashlib
from typing import Any

from newsmill.record import Source
from newsmill.resources import Resources

BODY_TTL_SECONDS = 24 * 3600


def body_key(res: Resources, job_id: str, source: Source) -> str:
    digest = hashlib.blake2b(source.key.encode("utf-8"), digest_size=12).hexdigest()
    return f"{res.settings.prefix}:body:{job_id}:{digest}"


def stash(data: dict[str, Any], res: Resources) -> dict[str, Any]:
    """Move a serialized Document's body into Redis; returns the message form (body replaced by a key)."""
    if data.get("type") != "document" or data.get("body") is None:
        return data
    item = data["item"]
    key = body_key(res, item["job_id"], Source.from_dict(item["source"]))
    res.redis.set(key, data["body"].encode("utf-8"), ex=BODY_TTL_SECONDS)
    return {**data, "body": None, "body_ref": key}


def restore(data: dict[str, Any], res: Resources) -> dict[str, Any] | None:
    """The Document with its body back; ``None`` if the body is gone (expired or already delivered)."""
    ref = data.get("body_ref")
    if data.get("type") != "document" or not ref:
        return data
    raw = res.redis.get(ref)
    if raw is None:
        return None
    body = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    return {key: value for key, value in data.items() if key != "body_ref"} | {"body": body}


def discard(res: Resources, job_id: str, source: Source) -> None:
    res.redis.delete(body_key(res, job_id, source))
