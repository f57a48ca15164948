"""Stored documents (the claim check between the load/fetch stage and clean), against the real Redis."""

from __future__ import annotations

import redis

from newsmill.bodies import Bodies
from newsmill.keys import Keys
from newsmill.record import Source


def document(job: str, location: str) -> dict[str, object]:
    return {"type": "document", "item": {"job_id": job, "source": Source("file", location).to_dict()},
            "id": "x" * 24, "content_kind": "text", "body": "Damascus, SANA – The ministry said …"}


def test_a_stored_document_comes_back_whole(redis_client: redis.Redis, prefix: str) -> None:
    bodies = Bodies(redis_client, Keys(prefix))
    message = bodies.stash(document("j1", "/in/a.txt"))
    assert message["body"] is None and message["body_ref"]
    assert bodies.restore(message) == {k: v for k, v in document("j1", "/in/a.txt").items()}


def test_a_late_drive_does_not_store_the_document_of_an_input_already_delivered(
        redis_client: redis.Redis, prefix: str) -> None:
    """A stale drive that loads again after the sink delivered (and discarded the document) must not
    leave a document behind for a finished job."""
    keys = Keys(prefix)
    bodies = Bodies(redis_client, keys)
    redis_client.hset(keys.job_deliveries("j2"), "/in/b.txt", "done")
    message = bodies.stash(document("j2", "/in/b.txt"))
    assert list(redis_client.scan_iter(f"{prefix}:doc:*")) == []
    assert bodies.restore(message) is None  # its next stage finds nothing, and stops at its start anyway
