"""When an event happened, as written: ``October 23rd``, ``23 October 2017``, ``Monday night``.

Only the text is kept (``date_text``); turning it into a calendar date needs the article's publication
date and is left to the ``dates`` stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+{_DAY}\b(?:,?\s+\d{{4}})?"
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|(?:(?:last|this|early|late)\s+)?{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?"
    rf"|yesterday|last\s+night|overnight)(?![\w-])")


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str


def find_dates(text: str) -> list[DateMention]:
    """Date expressions in ``text``, in order (offsets into ``text``)."""
    return [DateMention(m.start(), m.end(), m.group()) for m in _DATE.finditer(text)]


def nearest_date(dates: list[DateMention], start: int, end: int) -> DateMention | None:
    """The date expression closest to the span ``start:end``."""
    return min(dates, key=lambda d: max(0, d.start - end, start - d.end), default=None)
