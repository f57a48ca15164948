"""Paragraphs with their sentences, for the quotes and events stages.

A thin layer over :mod:`newsmill.enrich.sentences` (the project's one segtok splitter): these stages
scan paragraph by paragraph and skip paragraphs with nothing for them before paying for sentence
splitting, so they need paragraph offsets and a filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from newsmill.enrich.sentences import Sentence, sentences

__all__ = ["Paragraph", "Sentence", "paragraphs"]

_PARAGRAPH = re.compile(r"\S(?:[^\n]|\n(?![ \t\u00a0]*\n))*")


@dataclass(frozen=True)
class Paragraph:
    """A block of text between blank lines, and its sentences in order (offsets into the whole text)."""

    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]


def paragraphs(text: str, *, keep: Callable[[str], bool] | None = None) -> list[Paragraph]:
    """The non-empty paragraphs of ``text`` with their sentences; ``keep`` filters paragraphs before
    they are split into sentences, the costly part."""
    found: list[Paragraph] = []
    for match in _PARAGRAPH.finditer(text):
        block = match.group().rstrip()
        if keep is not None and not keep(block):
            continue
        start = match.start()
        shifted = tuple(Sentence(s.text, start + s.start, start + s.end) for s in sentences(block))
        found.append(Paragraph(block, start, start + len(block), shifted))
    return found
