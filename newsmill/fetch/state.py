"""Small Redis-backed memories of the fetcher: validators for conditional GET, where a deferred fetch
resumes, and which discovered URLs were already enqueued."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import redis

from newsmill.ids import canonical_url
from newsmill.keys import Keys
from newsmill.redistext import text

VALIDATOR_TTL_SECONDS = 30 * 24 * 3600
RESUME_TTL_SECONDS = 3600
_BATCH = 1000
"""Commands per Redis round trip when many URLs are looked up or remembered at once."""


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()



@dataclass(frozen=True)
class Validators:
    """What a server said to identify a version of a page, to ask "has it changed?" next time."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class ValidatorStore:
    """ETag and Last-Modified per canonical URL, kept a month."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._keys = Keys(prefix)

    def _key(self, url: str) -> str:
        return self._keys.validators(url)

    def get(self, url: str) -> Validators | None:
        raw = self._redis.hgetall(self._key(url))
        if not raw:
            return None
        return Validators(etag=text(raw.get(b"etag")) or None,
                          last_modified=text(raw.get(b"last_modified")) or None)

    def put(self, url: str, validators: Validators) -> None:
        if not (validators.etag or validators.last_modified):
            return
        key = self._key(url)
        pipe = self._redis.pipeline()
        pipe.delete(key)
        pipe.hset(key, mapping={"etag": validators.etag or "", "last_modified": validators.last_modified or ""})
        pipe.expire(key, VALIDATOR_TTL_SECONDS)
        pipe.execute()

    def forget(self, url: str) -> None:
        """Drop the validators: the next fetch is unconditional (the article did not end ``ok``)."""
        self._redis.delete(self._key(url))


@dataclass(frozen=True)
class Resume:
    """Where a deferred fetch picks up: the hop it had reached, and the request slot it reserved."""

    url: str
    hops: int = 0
    host: str | None = None
    reserved: str | None = None


class ResumeStore:
    """Resume points of deferred fetches, by job and input (the task message stays unchanged)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._keys = Keys(prefix)

    def _key(self, job_id: str, input_key: str) -> str:
        return self._keys.fetch_resume(job_id, _digest(input_key))

    def take(self, job_id: str, input_key: str) -> Resume | None:
        """The stored resume point, removed from the store (GETDEL)."""
        raw = self._redis.getdel(self._key(job_id, input_key))
        return Resume(**json.loads(raw)) if raw is not None else None

    def put(self, job_id: str, input_key: str, resume: Resume) -> None:
        self._redis.set(self._key(job_id, input_key), json.dumps(asdict(resume)), ex=RESUME_TTL_SECONDS)


# KEYS: the job's seen set, the cross-job key of this URL. ARGV: url, window seconds, job ttl.
_FIRST_SIGHT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[3])
if tonumber(ARGV[2]) > 0 then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 0 end
end
return 1
"""


class SeenUrls:
    """Discovered URLs already enqueued by this job, or by any job within ``window`` seconds."""

    def __init__(self, client: redis.Redis, prefix: str, *, window: float, job_ttl: int = 7 * 24 * 3600) -> None:
        self._redis = client
        self._script = client.register_script(_FIRST_SIGHT)
        self._keys = Keys(prefix)
        self._window = int(window)
        self._job_ttl = job_ttl

    def first_sight(self, job_id: str, url: str) -> bool:
        """True (and remembered) if ``url`` was not seen before in the job or the window."""
        canonical = canonical_url(url)
        keys = [self._keys.job_seen(job_id), self._keys.seen(_digest(canonical))]
        return bool(self._script(keys=keys, args=[canonical, self._window, self._job_ttl]))

    def _key(self, url: str) -> str:
        return self._keys.seen(_digest(canonical_url(url)))

    def unseen(self, urls: Sequence[str]) -> list[str]:
        """The ``urls`` no job enqueued within the window, in order; nothing is remembered (a watcher
        remembers them with :meth:`remember` once they are enqueued, so a crash in between loses none)."""
        known: list[int] = []
        for start in range(0, len(urls), _BATCH):
            pipe = self._redis.pipeline(transaction=False)
            for url in urls[start:start + _BATCH]:
                pipe.exists(self._key(url))
            known += pipe.execute()
        return [url for url, exists in zip(urls, known, strict=True) if not exists]

    def remember(self, urls: Sequence[str]) -> None:
        """Remember ``urls`` for the window from now: those already known start their window again, so a
        URL a feed keeps listing is never forgotten while it is listed."""
        if self._window <= 0:
            return
        for start in range(0, len(urls), _BATCH):
            pipe = self._redis.pipeline(transaction=False)
            for url in urls[start:start + _BATCH]:
                pipe.set(self._key(url), "1", ex=self._window)
            pipe.execute()
