"""Settings of near-duplicate detection: shingle size, signature and band layout, threshold, window."""

from __future__ import annotations

from dataclasses import dataclass

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class DedupOptions:
    """How articles are fingerprinted and how long the shared index remembers them.

    Every worker writing to one index must use the same ``shingle_words``, ``num_perm``, ``seed``,
    ``bands`` and ``rows``, or their signatures and band keys do not line up: change them together with
    ``index_name`` so that a new index starts instead of mixing two incompatible ones. ``threshold``,
    ``min_words``, ``ttl_seconds`` and ``max_candidates`` may differ between workers.
    Numbers below are from ``bench/near_duplicates.py`` on the WCXB dev corpus.
    """

    shingle_words: int = 3
    """Words per shingle. With 3, a copy with 10 % of its words edited keeps Jaccard ≈ 0.57-0.63 while
    unrelated articles stay below 0.06 (the closest unrelated pair in the corpus, two shops' terms pages
    sharing clauses, is at 0.29). With 5 the 10 % copy falls to ≈ 0.42-0.46, too close to that pair."""
    num_perm: int = 128
    """MinHash permutations: the similarity estimate's standard error is ≤ 0.045 at 128."""
    seed: int = 1
    """Seed of the MinHash permutations; every worker must use the same one."""
    bands: int = 32
    rows: int = 4
    """LSH layout: an earlier article becomes a candidate when all ``rows`` rows of one of ``bands``
    bands agree, probability 1 - (1 - J^4)^32: 0.5 at J ≈ 0.38, 0.97 at J = 0.57, 0.9999 at J = 0.75,
    2e-4 at J = 0.05. Three rows would catch J = 0.55 more surely but make every unrelated article a
    candidate of thousands at a million indexed; five rows (datasketch's choice for 0.5) miss a
    quarter of the copies at J = 0.55."""
    threshold: float = 0.45
    """Estimated Jaccard similarity (signature agreement) at or above which a candidate is a copy:
    4 standard errors above the 0.29 pair and 2 below the weakest planted copies (≈ 0.55)."""
    min_words: int = 25
    """Below this many words the text is too short to fingerprint reliably: the stage skips."""
    ttl_seconds: int = 30 * DAY_SECONDS
    """How long an article stays in the index after it was indexed (the duplicate window)."""
    max_candidates: int = 200
    """Bound on the earlier articles one article is compared with, so a hot band cannot stall Redis."""
    index_name: str = "dedup:v1"
    """Key namespace under the newsmill prefix; bump it when the fingerprint settings change."""

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands × rows ({self.bands} × {self.rows}) exceeds num_perm {self.num_perm}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
