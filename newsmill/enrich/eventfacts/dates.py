"""When an event happened, as written: ``October 23rd``, ``23 October 2017``, ``Monday night``.

Only the text is kept (``date_text``); turning it into a calendar date needs the article's publication
date and is left to the ``dates`` stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsmill.text.dategrammar import CALENDAR_DATE, ISO_DATE, MONTH, WEEKDAY, YEAR

# Besides a calendar date: a month of a year, and the times of day a report of violence gives
# ("Monday night", "overnight").
_DATE = re.compile(
    rf"\b(?:{CALENDAR_DATE}"
    rf"|{MONTH}\s+{YEAR}"
    rf"|{ISO_DATE}"
    rf"|(?:(?:last|this|early|late)\s+)?{WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?"
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
