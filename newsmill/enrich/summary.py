"""Summary: two or three of the article's own sentences, chosen by TextRank, in their original order.

Extractive on purpose: every summary sentence is one the publisher wrote, so the summary cannot
state anything the article does not. Sentences (from segtok) are the nodes of a graph whose edge
weights are TF-IDF cosine similarities; a sentence ranks high when it resembles many sentences that
rank high themselves (PageRank by power iteration, Mihalcea & Tarau 2004). The random jump favours
early sentences a little, because news is written lead first; ``lead_bias=0`` gives plain TextRank.

The title is not in the text; datelines (``LONDON (Reuters) -``) are cut from the first sentence and
bylines, photo credits and other fragments too short to be sentences are left out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from newsmill import stage_version
from newsmill.clean.dateline import split_dateline
from newsmill.enrich.keywords import UNSEGMENTED, stopwords
from newsmill.enrich.sentences import sentences
from newsmill.record import ArticleRecord, StageRun
from newsmill.timing import Stopwatch

if TYPE_CHECKING:
    from newsmill.resources import Resources

STAGE = "enrich.summary"
VERSION = stage_version("summary", "numpy")

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# A dateline the clean stage left in place because its agency is not a known one:
# "SPRINGFIELD, Oct. 18, 2023 (Metro Wire) - …". An all-caps place keeps ordinary sentences out.
_CAPS_DATELINE = re.compile(
    r"^[A-Z][A-Z'’.\-]+(?:[ \t\u00a0][A-Z][A-Z'’.\-]+){0,3}(?:,[^()\n]{1,30}?)?\s*(?:\([^()\n]{1,40}\)\s*)?"
    r"(?:--|[-–—])\s+"
)
_NOT_PROSE = re.compile(
    r"^(?:by\s|photo|image|picture|credit|file photo|read more|related|click|subscribe|sign up|advertisement"
    r"|share this|follow us)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SummaryOptions:
    """How many sentences to pick, and how the graph is ranked."""

    min_sentences: int = 3
    """Fewer candidate sentences than this and there is nothing to summarise."""
    long_article: int = 10
    """From this many candidate sentences on, the summary has three sentences instead of two."""
    min_words: int = 5
    """Shorter "sentences" are headings, bylines or credits, not summary material."""
    damping: float = 0.85
    lead_bias: float = 1.0
    """Weight of sentence position in the random jump: sentence i gets 1 / (i + 1) ** lead_bias."""
    tolerance: float = 1e-6
    max_iterations: int = 100


DEFAULT_OPTIONS = SummaryOptions()


def candidates(text: str, options: SummaryOptions = DEFAULT_OPTIONS) -> list[str]:
    """The sentences a summary may use: datelines cut off, bylines, credits and fragments left out."""
    picked: list[str] = []
    for sentence in sentences(text):
        # Only the story's opening can carry a dateline (possibly after a byline line).
        body = _CAPS_DATELINE.sub("", split_dateline(sentence.text)[1]) if not picked else sentence.text
        if len(_WORD.findall(body)) < options.min_words or _NOT_PROSE.match(body):
            continue
        picked.append(body)
    return picked


def _tfidf(sents: list[str], stop: frozenset[str]) -> np.ndarray:
    """Rows of L2-normalised TF-IDF weights (log-scaled term frequency), one row per sentence."""
    bags = [Counter(w for w in (m.lower() for m in _WORD.findall(s)) if w not in stop) for s in sents]
    vocabulary = {term: i for i, term in enumerate(sorted({t for bag in bags for t in bag}))}
    matrix = np.zeros((len(sents), len(vocabulary)))
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            matrix[row, vocabulary[term]] = 1.0 + math.log(count)
    document_frequency = (matrix > 0).sum(axis=0)
    matrix *= np.log(len(sents) / np.maximum(document_frequency, 1)) + 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalised: np.ndarray = matrix / np.where(norms == 0, 1.0, norms)
    return normalised


def rank(sents: list[str], stop: frozenset[str], options: SummaryOptions = DEFAULT_OPTIONS) -> np.ndarray:
    """TextRank score of each sentence (they sum to 1)."""
    vectors = _tfidf(sents, stop)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    count = len(sents)
    jump = 1.0 / np.arange(1, count + 1) ** options.lead_bias
    jump /= jump.sum()
    out_weight = similarity.sum(axis=1, keepdims=True)
    # A sentence sharing no word with any other has no out-links: it jumps like the random surfer.
    transition = np.where(out_weight > 0, similarity / np.where(out_weight == 0, 1.0, out_weight), jump)
    scores = np.full(count, 1.0 / count)
    for _ in range(options.max_iterations):
        updated = (1 - options.damping) * jump + options.damping * transition.T @ scores
        converged = np.abs(updated - scores).sum() < options.tolerance
        scores = updated
        if converged:
            break
    return scores


def summarize(text: str, stop: frozenset[str], options: SummaryOptions = DEFAULT_OPTIONS) -> str | None:
    """The summary of ``text``, or None when it has fewer than ``options.min_sentences`` sentences."""
    found = candidates(text, options)
    if len(found) < options.min_sentences:
        return None
    size = 3 if len(found) >= options.long_article else 2
    scores = rank(found, stop, options)
    # Stable order: on equal scores the earlier sentence wins.
    best = sorted(np.argsort(-scores, kind="stable")[:size].tolist())
    return " ".join(found[i] for i in best)


def enrich(record: ArticleRecord, options: SummaryOptions = DEFAULT_OPTIONS) -> ArticleRecord:
    watch = Stopwatch()
    stop = stopwords(record.language) if record.language else None
    # Without a stopword list the TF-IDF weights still work (idf discounts common words), but a
    # language written without spaces cannot be cut into words or sentences by these rules.
    summary: str | None = None
    skipped: str | None = "no_model_for_language"
    if record.language not in UNSEGMENTED:
        summary = summarize(record.text or "", stop or frozenset(), options)
        skipped = None if summary is not None else "text_too_short"
    fields = {"summary": "newsmill.enrich.summary (textrank)"} if summary is not None else {}
    run = StageRun(stage=STAGE, version=VERSION, duration_ms=watch.ms, fields=fields, skipped=skipped)
    return record.with_stage(run, extra={**record.extra, "summary": summary})


def enrich_with_resources(record: ArticleRecord, res: Resources) -> ArticleRecord:
    """The pipeline's entry point: :func:`enrich` with the options of the process's settings."""
    return enrich(record, res.settings.summary or DEFAULT_OPTIONS)
