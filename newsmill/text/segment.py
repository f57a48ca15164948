"""Paragraphs, sentences and words of article text, with character offsets where a stage needs them.

The clean stages write a record's text as paragraphs separated by one blank line
(:func:`join_paragraphs`); everything downstream reads it back with :func:`paragraphs`. Sentences come
from segtok's rule-based segmenter (no model to download, unlike nltk's punkt). Every :class:`Span`
carries its offsets into the text it was cut from, so a stage that finds something in a sentence (a
date, a quote) can point back at the exact characters: ``text[s.start:s.end] == s.text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from segtok.segmenter import split_multi  # type: ignore[import-untyped]

PARAGRAPH_SEPARATOR = "\n\n"
"""Between two paragraphs of a record's text: one blank line."""

# A blank line may hold spaces, tabs or no-break spaces (left over from markup); it still ends the
# paragraph, or a heading would run into the text below it.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n\s*")
_TERMINATOR = re.compile(r"""[.!?…]["'”’»)\]]*$""")
# Hyphens, apostrophes and dots inside a word keep it whole: "US-led", "won’t", "U.S." and "3.5" are
# one word each, as a reader (and a reading-time estimate) counts them, and a speaker named
# "Cars.com" or "Article 53.1" keeps its name. A dot before a space still ends the word.
_WORD = re.compile(r"\w+(?:[-'’.]\w+)*")
_WORD_PART = re.compile(r"\w+")


@dataclass(frozen=True)
class Span:
    """A piece of text exactly as in the source, and where it sits there (``end`` exclusive)."""

    text: str
    start: int
    end: int


def join_paragraphs(blocks: Iterable[str]) -> str:
    """Paragraphs as a record's text; the inverse of :func:`paragraphs` for stripped, non-empty blocks."""
    return PARAGRAPH_SEPARATOR.join(blocks)


def paragraph_spans(text: str) -> list[Span]:
    """The non-empty paragraphs of ``text`` (blocks between blank lines), stripped, with their offsets."""
    found: list[Span] = []
    start = 0
    for brk in (*_PARAGRAPH_BREAK.finditer(text), None):
        end = brk.start() if brk else len(text)
        block = text[start:end]
        stripped = block.strip()
        if stripped:
            first = start + len(block) - len(block.lstrip())
            found.append(Span(stripped, first, first + len(stripped)))
        if brk:
            start = brk.end()
    return found


def paragraphs(text: str) -> list[str]:
    """The non-empty paragraphs of ``text`` (blocks separated by blank lines), stripped."""
    return [span.text for span in paragraph_spans(text)]


def line_paragraphs(text: str) -> list[str]:
    """One paragraph per non-blank line, its runs of whitespace made single spaces.

    For text whose writer put each paragraph (or heading, or list item) on a line of its own, as
    trafilatura does.
    """
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def wrapped_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: blocks separated by blank lines, hard-wrapped lines joined by a space.

    A text with no blank line at all is taken to hold one paragraph per line instead, or it would
    come out as a single paragraph.
    """
    lines = [line.strip() for line in text.split("\n")]
    if "" not in lines:
        return line_paragraphs(text)
    found: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line:
            block.append(line)
        elif block:
            found.append(" ".join(" ".join(block).split()))
            block = []
    return found


def sentences(text: str) -> list[Span]:
    """The sentences of ``text`` in order; a sentence never spans a paragraph break."""
    found: list[Span] = []
    # segtok breaks paragraphs only at two consecutive newlines; a "blank" line holding spaces would
    # let a heading run into the next paragraph, so paragraphs are cut first by the stricter rule.
    for paragraph in paragraph_spans(text):
        block = paragraph.text
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
            found.append(Span(piece, paragraph.start + start, paragraph.start + cursor))
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
    return join_paragraphs(part if ends_sentence(part) else f"{part}." for part in parts)


def words(text: str) -> list[str]:
    """The words of ``text`` as a reader counts them: "US-led", "won’t" and "U.S." are one word each."""
    return _WORD.findall(text)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def word_parts(text: str) -> list[str]:
    """The runs of letters and digits in ``text``: :func:`words` cut at their hyphens, apostrophes and dots.

    For comparing two texts, where a re-punctuated copy must give the same tokens: "well-known" and
    "well known", "won't" and "won’t" agree here and would not as :func:`words`.
    """
    return _WORD_PART.findall(text)
