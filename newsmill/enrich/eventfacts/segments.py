"""Paragraphs and their sentences, with offsets into the record's text.

Temporary: a private segtok helper until the shared ``newsmill.enrich.sentences`` module is switched
in by the lead; the :class:`Sentence` shape is the same so the switch is an import change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from segtok.segmenter import split_single  # type: ignore[import-untyped]

_PARAGRAPH = re.compile(r"\S(?:[^\n]|\n(?![ \t\u00a0]*\n))*")


@dataclass(frozen=True)
class Sentence:
    """One sentence exactly as in the text it was cut from: ``text[start:end] == sentence.text``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Paragraph:
    """A block of text between blank lines, and its sentences in order."""

    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]


def paragraphs(text: str, *, keep: Callable[[str], bool] | None = None) -> list[Paragraph]:
    """The non-empty paragraphs of ``text`` with their sentences; no sentence spans a paragraph break.

    ``keep`` filters paragraphs before they are split into sentences, the costly part.
    """
    found: list[Paragraph] = []
    for match in _PARAGRAPH.finditer(text):
        block = match.group().rstrip()
        if keep is not None and not keep(block):
            continue
        start = match.start()
        found.append(Paragraph(block, start, start + len(block), tuple(_sentences(block, start))))
    return found


def _sentences(block: str, offset: int) -> list[Sentence]:
    result: list[Sentence] = []
    cursor = 0
    for piece in split_single(block):
        piece = piece.strip()
        at = block.find(piece, cursor) if piece else -1
        if at < 0:  # segtok returns substrings; guard against a version that rewrites whitespace
            continue
        result.append(Sentence(piece, offset + at, offset + at + len(piece)))
        cursor = at + len(piece)
    return result
