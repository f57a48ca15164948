"""Dates: the publication date with the evidence for it, and the dates the article mentions.

The record has no HTML any more, so the evidence is what it carries: the ``published`` value the clean
stage took from the page or the input, a date in the URL (``/2017/10/25/``), and a full date in a
wire dateline at the top of the text (``October 25, 2017 —``). When the record has no publication date,
the first of URL and dateline fills it in.

Mentions are found by a regex pass (month-day expressions, weekdays, ``yesterday``, ``three days
ago``) and resolved to a day with dateparser, relative to the publication date and preferring the past,
as a report speaks of what happened. Without a publication date a mention that lacks a year stays
unresolved: "October 23rd" in an undated story could be any year's, and "Tuesday" any week's.
The mention patterns are English; for a record in another language ``mentions`` is null (not looked
for), while a record whose language is unknown is searched.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import dateparser  # type: ignore[import-untyped]

from newsmill import stage_version
from newsmill.clean.hints import INPUT
from newsmill.record import ArticleRecord, StageRun
from newsmill.text import dateline
from newsmill.text.dategrammar import CALENDAR_DATE, ISO_DATE, MONTH, WEEKDAY, YEAR

STAGE = "enrich.dates"
VERSION = stage_version("dates", "dateparser")
MIN_YEAR = 1990
"""Older "dates" in URLs are nearly always ids or other numbers."""

_NUMBER = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
_MENTION = re.compile(
    rf"\b(?:{CALENDAR_DATE}"
    rf"|(?:(?:[Ll]ast|[Nn]ext|[Tt]his|[Pp]ast|[Cc]oming)\s+)?{WEEKDAY}"
    rf"|{ISO_DATE}"
    # "today's" is nearly always "nowadays" ("today's consumers"), not a day.
    rf"|(?i:yesterday|today(?!['’]s)|tomorrow|{_NUMBER}\s+days?\s+ago))\b"
)
_HAS_YEAR = re.compile(rf"(?<!\d){YEAR}")
_MONTH_NAME = re.compile(MONTH)
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_.-]?(0[1-9]|1[0-2])[/_.-]?(0[1-9]|[12]\d|3[01])(?!\d)")
_URL_DATE_SLASHED = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)")

_SETTINGS_BASE: dict[str, Any] = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return None
    return found if MIN_YEAR <= year <= dt.date.today().year + 1 else None


def url_date(url: str | None) -> dt.date | None:
    """The date in an article URL's path: ``/2017/10/25/``, ``/2017-10-25-``, ``/20171025/``."""
    if not url:
        return None
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", url, flags=re.IGNORECASE)
    for pattern in (_URL_DATE_SLASHED, _URL_DATE):
        for match in pattern.finditer(path):
            found = _valid(*(int(part) for part in match.groups()))
            if found is not None:
                return found
    return None


def dateline_date(text: str | None) -> dt.date | None:
    """A full date (with year) in the dateline at the head of ``text``."""
    written = dateline.dateline_date(text or "")
    return _parse(written, None) if written is not None else None


def as_date(value: str | None) -> dt.date | None:
    """The calendar day of an ISO 8601 date or date-time, as written (its own time zone)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _next_year(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 1) if (day.month, day.day) != (2, 29) else dt.date(day.year + 1, 3, 1)


@functools.lru_cache(maxsize=4096)
def _parse(expression: str, anchor: dt.date | None) -> dt.date | None:
    settings = dict(_SETTINGS_BASE)
    if anchor is not None:
        settings["RELATIVE_BASE"] = dt.datetime(anchor.year, anchor.month, anchor.day, 12)
    parsed = dateparser.parse(expression, languages=["en"], settings=settings)
    return parsed.date() if parsed is not None else None


def resolve(expression: str, anchor: dt.date | None) -> dt.date | None:
    """The day a mention refers to; None without an anchor unless the mention names its year."""
    has_year = bool(_HAS_YEAR.search(expression))
    if anchor is None and not has_year:
        return None
    day = _parse(re.sub(r"^the\s+", "", expression), anchor)
    # "Past" is right for weekdays and most month-days, but a story of October 18 that announces a
    # vote "on November 14th" means the coming one, not last year's: a month-day without a year
    # more than half a year before the anchor is taken as the nearest one, after it.
    if (day is not None and anchor is not None and not has_year and _MONTH_NAME.search(expression)
            and (anchor - day).days > 183):
        day = _next_year(day)
    return day


def mentions(text: str, anchor: dt.date | None) -> list[dict[str, Any]]:
    """Every date expression in ``text``, with its character offsets and the day it resolves to."""
    found: list[dict[str, Any]] = []
    for match in _MENTION.finditer(text):
        day = resolve(match.group(0), anchor)
        found.append({"text": match.group(0), "start": match.start(), "end": match.end(),
                      "resolved": day.isoformat() if day is not None else None})
    return found


def _record_source(record: ArticleRecord) -> str:
    """Where the record's own ``published`` came from: the input's metadata, or the clean stage."""
    for run in reversed(record.provenance):
        producer = run.fields.get("published")
        if producer is not None:
            return "input" if producer == INPUT else run.stage
    return "record"


def warm_up() -> None:
    # dateparser builds its English tables on first use (~0.2 s): before the pool forks.
    _parse("October 23rd", dt.date(2017, 10, 25))


def enrich(record: ArticleRecord) -> ArticleRecord:
    candidates: list[dict[str, str]] = []
    if record.published:
        candidates.append({"value": record.published, "source": _record_source(record)})
    for source, day in (("url", url_date(record.url)), ("dateline", dateline_date(record.text))):
        if day is not None:
            candidates.append({"value": day.isoformat(), "source": source})
    changes: dict[str, Any] = {}
    fields = {"dates": "newsmill.enrich.dates (regex, dateparser)"}
    if not record.published and candidates:
        changes["published"] = candidates[0]["value"]
        fields["published"] = f"newsmill.enrich.dates ({candidates[0]['source']})"
    anchor = as_date(changes.get("published", record.published))
    found = mentions(record.text or "", anchor) if record.language in (None, "en") else None
    dates = {"published_candidates": candidates, "mentions": found}
    run = StageRun(stage=STAGE, version=VERSION, fields=fields)
    return record.with_stage(run, dates=dates, **changes)
