"""Paragraphs and sentences of a record's clean text, with character offsets, for enrichment stages.

The clean stages separate paragraphs with a blank line; sentences come from segtok's rule-based
segmenter (no model to download, unlike nltk's punkt). Every :class:`Sentence` carries its offsets
into the text it was cut from, so a stage that finds something in a sentence (a date, a quote) can
point back at the exact characters: ``text[s.start:s.end] == s.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from segtok.segmenter import split_multi  # type: ignore[import-untyped]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n\s*")
_TERMINATOR = re.compile(r"""[.!?…]["'”’»)\]]*$""")


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text exactly as in the source, and where it sits there (``end`` exclusive)."""

    text: str
    start: int
    end: int


def paragraphs(text: str) -> list[str]:
    """The non-empty paragraphs of ``text`` (blocks separated by blank lines), stripped."""
    return [block.strip() for block in _PARAGRAPH_BREAK.split(text) if block.strip()]


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    return spans


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order; a sentence never spans a paragraph break."""
    found: list[Sentence] = []
    # segtok breaks paragraphs only at two consecutive newlines; a "blank" line holding spaces would
    # let a heading run into the next paragraph, so paragraphs are cut first by the stricter rule.
    for first, last in _paragraph_spans(text):
        block = text[first:last]
        cursor = 0
        for piece in split_multi(block):
            piece = piece.strip()
            if not piece:
                continue
            start = block.find(piece, cursor)
            if start < 0:
                # segtok returns substrings of its input, so this only guards against a future
                # version that normalises whitespace: skip the sentence rather than invent offsets.
                continue
            cursor = start + len(piece)
            found.append(Sentence(piece, first + start, first + cursor))
    return found


def ends_sentence(paragraph: str) -> bool:
    """True when ``paragraph`` already ends with a sentence terminator (possibly before a quote)."""
    return bool(_TERMINATOR.search(paragraph.rstrip()))


def as_sentences(*blocks: str) -> str:
    """Blocks (a headline, paragraphs) joined so that each one ends a sentence and a paragraph.

    Headlines and list items often lack a final full stop; without one, sentence splitters and
    keyword extractors read the headline and the first body sentence as one run of words.
    """
    parts = [block.strip() for block in blocks if block and block.strip()]
    return "\n\n".join(part if ends_sentence(part) else f"{part}." for part in parts)
