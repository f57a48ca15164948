"""Near-duplicate detection across the whole corpus: fingerprints (``shingles``) and the shared Redis
index (``index``); the enrichment stage itself is :mod:`newsmill.enrich.dedupe.stage`."""

from __future__ import annotations

from newsmill.enrich.dedupe.index import DedupIndex, Match
from newsmill.enrich.dedupe.options import DedupOptions
from newsmill.enrich.dedupe.shingles import Signature, signature, similarity, words

__all__ = ["DedupIndex", "DedupOptions", "Match", "Signature", "signature", "similarity", "words"]
