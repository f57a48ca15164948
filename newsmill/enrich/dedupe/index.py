"""The shared duplicate index in Redis: exact content hashes and MinHash LSH bands.

Why not datasketch's ``MinHashLSH(storage_config={"type": "redis"})``: it opens its own
``redis.Redis`` (one per band) instead of reusing the worker's client, pickles keys (unpickling what
another process wrote), keeps no TTL, tracks every bucket in an ever-growing hash, inserts with separate
commands (no atomic query-then-insert) and stores no signatures, so candidates could not be verified.
The same banding in one Lua script fits in ~70 lines.

Keys, all under ``<prefix>:<index_name>:`` and named in :mod:`newsmill.keys`:

- ``exact:<content_hash>`` → id of the first article with that normalised text;
- ``sig:<id>`` → hash ``s`` (signature, ``num_perm`` little-endian uint32) and ``n`` (arrival number);
- ``band:<i>:<digest of the band's rows>`` → set of article ids;
- ``seq`` → counter handing out arrival numbers.

An article is forgotten ``ttl_seconds`` after it was indexed (its exact key and signature expire; a
band set lives as long as its newest member). Band sets may outlive a member's signature; the script
prunes such members when it meets them. An exact copy is not indexed again: its original stands for it.

Race safety: one script call looks an article up and inserts it, atomically. Of two copies arriving at
once, the one whose script runs second sees the first (so at most one misses the other), and an
article only ever matches articles that arrived before it (lower arrival number), so two copies never
point at each other and a redelivered article gets the same answer again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import redis

from newsmill.enrich.dedupe.options import DedupOptions
from newsmill.enrich.dedupe.shingles import Signature, from_bytes, similarity, to_bytes
from newsmill.keys import Keys
from newsmill.redistext import text

Method = Literal["exact", "minhash"]

# KEYS: exact key, own signature key, arrival counter, band keys...
# ARGV: article id, ttl, signature bytes, signature key prefix, max candidates.
# Returns {'exact', first id} or {'near', own arrival number, id1, sig1, n1, id2, sig2, n2, ...}.
_LOOKUP_AND_INSERT = """
local id, ttl = ARGV[1], ARGV[2]
local first = redis.call('GET', KEYS[1])
if first and first ~= id then return {'exact', first} end
if not first then redis.call('SET', KEYS[1], id, 'EX', ttl) end
local seq = redis.call('HGET', KEYS[2], 'n')
if not seq then seq = tostring(redis.call('INCR', KEYS[3])) end
redis.call('EXPIRE', KEYS[3], ttl)
local seen, candidates = {}, {}
local limit = tonumber(ARGV[5])
for i = 4, #KEYS do
  if #candidates < limit then
    for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do
      if member ~= id and not seen[member] and #candidates < limit then
        seen[member] = true
        table.insert(candidates, member)
      end
    end
  end
  redis.call('SADD', KEYS[i], id)
  redis.call('EXPIRE', KEYS[i], ttl)
end
redis.call('HSET', KEYS[2], 's', ARGV[3], 'n', seq)
redis.call('EXPIRE', KEYS[2], ttl)
local out = {'near', seq}
for _, member in ipairs(candidates) do
  local found = redis.call('HMGET', ARGV[4] .. member, 's', 'n')
  if found[1] then
    table.insert(out, member)
    table.insert(out, found[1])
    table.insert(out, found[2])
  else
    for i = 4, #KEYS do redis.call('SREM', KEYS[i], member) end
  end
end
return out
"""


@dataclass(frozen=True)
class Match:
    """The earlier article this one duplicates, or none (``duplicate_of is None``)."""

    duplicate_of: str | None
    similarity: float | None
    method: Method | None
    candidates: int = 0
    """Earlier articles that shared a band and were compared (0 for an exact match)."""


class DedupIndex:
    """Looks articles up in the shared index and adds them, one atomic step per article."""

    def __init__(self, client: redis.Redis, prefix: str, options: DedupOptions) -> None:
        self._options = options
        self._keys, self._name = Keys(prefix), options.index_name
        self._bands, self._rows = options.bands, options.rows
        self._script = client.register_script(_LOOKUP_AND_INSERT)

    def band_keys(self, sig: Signature) -> list[str]:
        """One key per band: the band number and a digest of its rows, so equal rows meet in one set."""
        keys = []
        for band in range(self._bands):
            rows = sig[band * self._rows:(band + 1) * self._rows]
            digest = hashlib.blake2b(to_bytes(rows), digest_size=12).hexdigest()
            keys.append(self._keys.dedup_band(self._name, band, digest))
        return keys

    def check(self, article_id: str, content_hash: str, sig: Signature) -> Match:
        """Find the earlier article ``article_id`` duplicates (exact text first, then near copies whose
        estimated Jaccard similarity reaches the threshold) and record this one for later articles."""
        keys, name = self._keys, self._name
        reply = self._script(
            keys=[keys.dedup_exact(name, content_hash), keys.dedup_signature(name, article_id),
                  keys.dedup_arrivals(name), *self.band_keys(sig)],
            args=[article_id, self._options.ttl_seconds, to_bytes(sig), keys.dedup_signature(name, ""),
                  self._options.max_candidates],
        )
        if text(reply[0]) == "exact":
            return Match(duplicate_of=text(reply[1]), similarity=1.0, method="exact")
        own_seq = int(reply[1])
        best: tuple[float, int, str] | None = None
        count = 0
        for i in range(2, len(reply), 3):
            seq = int(reply[i + 2])
            if seq >= own_seq:  # arrived later: it may point at us, never we at it
                continue
            count += 1
            score = similarity(sig, from_bytes(reply[i + 1]))
            # Highest similarity wins; on a tie the earlier arrival (lower number), i.e. the original.
            if score >= self._options.threshold and (best is None or (score, -seq) > (best[0], -best[1])):
                best = (score, seq, text(reply[i]))
        if best is None:
            return Match(duplicate_of=None, similarity=None, method=None, candidates=count)
        return Match(duplicate_of=best[2], similarity=round(best[0], 4), method="minhash", candidates=count)

