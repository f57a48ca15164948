"""Fingerprints of article text: normalised words, word shingles and their MinHash signature."""

from __future__ import annotations

import functools
import unicodedata

import numpy as np
import numpy.typing as npt
from datasketch import MinHash  # type: ignore[import-untyped]

from newsmill.enrich.dedupe.options import DedupOptions
from newsmill.text.segment import word_parts

SCHEME = "affine32"
"""datasketch's permutation scheme, named explicitly: signatures of two schemes must never meet in one
index, and the default changed once already (2.0)."""

Signature = npt.NDArray[np.uint32]
"""``num_perm`` MinHash values; two signatures agree in a share of rows ≈ the Jaccard similarity."""


def words(text: str) -> list[str]:
    """The text's words, Unicode-normalised and case-folded, punctuation and spacing dropped: a
    reformatted or re-punctuated copy gives the same words."""
    return word_parts(unicodedata.normalize("NFKC", text).casefold())


def shingles(tokens: list[str], k: int) -> set[bytes]:
    """The distinct runs of ``k`` consecutive words (the whole text if shorter)."""
    if len(tokens) <= k:
        return {" ".join(tokens).encode("utf-8")}
    return {" ".join(tokens[i:i + k]).encode("utf-8") for i in range(len(tokens) - k + 1)}


@functools.cache
def _permutations(num_perm: int, seed: int) -> npt.NDArray[np.uint32]:
    # MinHash draws its permutations from the seed on every construction; drawing them once per
    # process and passing them in saves that work on every article.
    perms: npt.NDArray[np.uint32] = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return perms


def signature(tokens: list[str], options: DedupOptions) -> Signature:
    """MinHash signature of the text's word shingles."""
    minhash = MinHash(num_perm=options.num_perm, seed=options.seed, scheme=SCHEME,
                      permutations=_permutations(options.num_perm, options.seed))
    minhash.update_batch(list(shingles(tokens, options.shingle_words)))
    values: Signature = minhash.hashvalues.astype(np.uint32)
    return values


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of rows where the signatures agree."""
    return float(np.count_nonzero(a == b)) / len(a)


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    values: Signature = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    return values
