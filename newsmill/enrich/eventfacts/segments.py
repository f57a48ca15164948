"""Paragraphs with their sentences, for the quotes and events stages.

A thin layer over :mod:`newsmill.text.segment`: these stages scan paragraph by paragraph and skip
paragraphs with nothing for them before paying for sentence splitting, so they need a filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsmill.text.segment import Span, paragraph_spans, sentences

__all__ = ["Paragraph", "paragraphs"]


@dataclass(frozen=True)
class Paragraph:
    """A block of text between blank lines, and its sentences in order (offsets into the whole text)."""

    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]


def paragraphs(text: str, *, keep: Callable[[str], bool] | None = None) -> list[Paragraph]:
    """The non-empty paragraphs of ``text`` with their sentences; ``keep`` filters paragraphs before
    they are split into sentences, the costly part."""
    found: list[Paragraph] = []
    for block in paragraph_spans(text):
        if keep is not None and not keep(block.text):
            continue
        shifted = tuple(Span(s.text, block.start + s.start, block.start + s.end) for s in sentences(block.text))
        found.append(Paragraph(block.text, block.start, block.end, shifted))
    return found
