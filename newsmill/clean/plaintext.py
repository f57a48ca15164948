"""The plain-text cleaner, for ``.txt`` articles: title line, dateline, byline and teasers.

A saved wire story looks like the seed file: the headline on the first line, then paragraphs
separated by blank lines, the first one opening with a dateline (``Damascus, SANA –``), then a
byline of editors' names (``M.al-Frieh/H. Said``) and finally the site's related-story teasers
(``Check Also`` and what follows). Only the paragraphs in between are the article's text.
"""

from __future__ import annotations

import dataclasses
import re

from newsmill import __version__
from newsmill.clean.hints import INPUT, hint_overrides
from newsmill.clean.options import CleanOptions
from newsmill.errors import Drop
from newsmill.record import ArticleRecord, Dateline, Document, StageRun
from newsmill.text.dateline import split_dateline
from newsmill.text.segment import join_paragraphs, wrapped_paragraphs

VERSION = f"newsmill-clean {__version__}"
PRODUCER = "newsmill.plaintext"

_TEASER_MARKER = re.compile(
    r"(?:check\s+also|related(?:\s+(?:articles?|stories|story|news|posts?|content|coverage|reading))?"
    r"|read\s+(?:more|also|next)|also\s+read|see\s+also|more\s+(?:stories|news|on\s+this\s+story)"
    r"|you\s+(?:may|might)\s+also\s+like|recommended(?:\s+for\s+you)?)"
    r"\s*[:.…]*",
    re.IGNORECASE,
)
# One name: capitalised words with initials ("M.al-Frieh", "H. Said", "Hamda Mustafa"), possibly
# joined by lowercase particles ("Ibn al-Walid").
_NAME_WORD = r"(?:[A-Z][\w'’\-]*\.?|[A-Z]\.[\w'’\-]*)"
_NAME_PARTICLE = r"(?:al|el|bin|ibn|abu|de|da|di|du|del|van|von|der|la|le)(?:-[\w'’]+)?"
# Words are split only at spaces or right after a dot, so a long run of letters cannot be cut up in
# many ways when the regex backtracks.
_NAME = re.compile(rf"{_NAME_WORD}(?:(?:\s+|(?<=\.))(?:{_NAME_WORD}|{_NAME_PARTICLE}\b)){{0,4}}")
# A single name counts as a byline only when it has the wire-desk initial form ("H. Said").
_INITIAL_NAME = re.compile(r"[A-Z]\.\s?[A-Za-z]")
_MAX_BYLINE_CHARS = 80


def _cut_teasers(paragraphs: list[str], options: CleanOptions) -> list[str]:
    """Everything from a standalone related-story marker on, when it sits near the end."""
    for index, paragraph in enumerate(paragraphs):
        if (index >= 1 and index >= len(paragraphs) // 2
                and len(paragraphs) - index - 1 <= options.max_teaser_paragraphs
                and _TEASER_MARKER.fullmatch(paragraph)):
            return paragraphs[:index]
    return paragraphs


def _byline_names(paragraph: str) -> list[str] | None:
    """The names in a byline paragraph (``M.al-Frieh/H. Said``), or None if it is not one."""
    if len(paragraph) > _MAX_BYLINE_CHARS:
        return None
    text = re.sub(r"^by\s+", "", paragraph, flags=re.IGNORECASE)
    parts = [part.strip() for part in text.split("/")]
    if not all(_NAME.fullmatch(part) for part in parts):
        return None
    if len(parts) == 1 and not (_INITIAL_NAME.match(parts[0]) or text != paragraph):
        return None
    return parts


def _cut_bylines(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Trailing byline paragraphs removed, and the names they held, in reading order."""
    authors: list[str] = []
    end = len(paragraphs)
    # Keep at least one paragraph: a one-paragraph "body" that looks like names is the body.
    while end > 1:
        names = _byline_names(paragraphs[end - 1])
        if names is None:
            break
        authors[:0] = [name for name in names if name not in authors]
        end -= 1
    return paragraphs[:end], authors


def _same_title(line: str, title: str) -> bool:
    return " ".join(line.split()).casefold() == " ".join(title.split()).casefold()


def clean_text(doc: Document, options: CleanOptions) -> ArticleRecord:
    """A plain-text document as an article record; raises :class:`Drop` when there is no article.

    The first non-empty line is the title. When the input supplied a title hint, that line is only
    taken as the title if it repeats the hint: a JSONL ``text`` field usually starts with the body.
    """
    body = doc.body.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not body.strip():
        raise Drop("empty", "the document has no text")
    overrides = hint_overrides(doc.hints)
    lines = body.strip().split("\n")
    first = lines[0].strip()
    hinted = overrides.get("title")
    title: str | None
    if hinted is None or _same_title(first, hinted):
        title = " ".join(first.split())
        lines = lines[1:]
    else:
        title = None

    paragraphs = _cut_teasers(wrapped_paragraphs("\n".join(lines)), options)
    paragraphs, authors = _cut_bylines(paragraphs)
    dateline: Dateline | None = None
    if paragraphs and options.detect_dateline:
        dateline, rest = split_dateline(paragraphs[0])
        paragraphs = ([rest] if rest else []) + paragraphs[1:]
    if not paragraphs:
        raise Drop("too_short", "no body after the title")

    fields = {"text": PRODUCER}
    if title:
        fields["title"] = PRODUCER
    if authors:
        fields["authors"] = PRODUCER
    if dateline is not None:
        fields["dateline"] = "newsmill.dateline"
    fields.update(dict.fromkeys(overrides, INPUT))
    record = ArticleRecord(
        id=doc.id,
        job_id=doc.item.job_id,
        source=doc.item.source,
        url=doc.url,
        title=title,
        authors=tuple(authors),
        dateline=dateline,
        text=join_paragraphs(paragraphs),
    )
    run = StageRun(stage="clean", version=VERSION, fields=fields)
    return dataclasses.replace(record, **overrides, provenance=(*doc.provenance, run))
