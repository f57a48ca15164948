"""The date a page prints beside its headline or byline ("By Ann Lee · March 1, 2024").

Readers see that date; metadata can disagree with it (a CMS that stamps ``article:modified_time`` but
no publication time, so htmldate reports the last edit as the publication day). Only dates in the
article's own header count: a ``<time>`` element, a short element whose class, id or ``itemprop``
says it holds a date (``date``, ``time``, ``publish``, ``posted``, ``byline``), or an element holding
nothing but a short text that reads as a date (or whose text before a spaced separator, ``·|•–-``,
does: "Updated Dec 18, 2025 · 12 min read"), within a few elements of the first ``<h1>`` outside
site chrome (``nav``, ``aside``, ``footer``), and comments, are skipped. A date the page labels as an
update (its element's class, or its text before the date, says ``updated`` or ``modified``) is kept
apart: it is not the publication day. A numeric date that reads either way ("3/4/2025") is read month
first where the header's other numeric dates can only be read so, or, with none either way, where the
page declares a US locale. Where the header prints none, a ``<time pubdate>`` anywhere in
the article (HTML5's own mark for the publication date) stands for it.

The tree is parsed here (a few milliseconds), without lxml.html's element classes.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from htmldate.extractors import try_date_expr
from lxml import etree  # type: ignore[import-untyped]

from newsmill.clean.tree import self_and_ancestors

# How far (in elements, document order) from the first <h1> the header's date may sit: bylines sit
# just above or below the headline; related-article cards and comment stamps sit much further away.
_WINDOW = 40
_MAX_TEXT = 80
_MAX_BARE_TEXT = 30
_SEPARATOR = re.compile(r"\s+[·|•–—-]\s+")
# An all-numeric date ("3/4/2025", "09.10.24"); htmldate reads it day first when both fields could be a month.
_NUMERIC = re.compile(r"(?<![\d/.])(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.])")
_CUE = re.compile(r"date|time|publish|posted|byline", re.IGNORECASE)
_UPDATE = re.compile(r"updat|modif", re.IGNORECASE)
_PUBLISH = re.compile(r"publish", re.IGNORECASE)
_COMMENT = re.compile(r"comment", re.IGNORECASE)
_SKIPPED_TAGS = frozenset({"nav", "aside", "footer"})
_DROPPED = ("script", "style", "noscript", "template", "svg")
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_EARLIEST = datetime(1995, 1, 1)
_Element = Any  # lxml.etree._Element (lxml ships no type information)


class PrintedDate(NamedTuple):
    """A day (``YYYY-MM-DD``) the article header prints, and whether the page labels it an update."""

    day: str
    update: bool


def _attributes(element: _Element) -> str:
    return " ".join(element.get(name, "") for name in ("class", "id", "itemprop"))


def _chrome(element: _Element) -> bool:
    """Site navigation, a sidebar, a footer or a comment: not the article's header."""
    return element.tag in _SKIPPED_TAGS or bool(_COMMENT.search(_attributes(element)))


def _iso_day(raw: str, latest: datetime) -> str | None:
    """The day of an ISO 8601 ``datetime`` attribute, which htmldate's parser refuses when it carries
    milliseconds or a zone (``2023-10-12T19:38:01.087Z``)."""
    try:
        stamp = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return stamp.date().isoformat() if _EARLIEST.date() <= stamp.date() <= latest.date() else None


def _day(element: _Element, text: str, latest: datetime) -> str | None:
    # A <time>'s machine-readable datetime first: its text may be relative ("2 days ago").
    stamp = element.get("datetime") if element.tag == "time" else None
    if stamp and (day := _iso_day(stamp, latest)):
        return day
    for raw in (stamp, text):
        if raw:
            # htmldate's own parser for one expression (no free-text search: no dateparser cost).
            day = try_date_expr(raw, "%Y-%m-%d", False, _EARLIEST, latest)
            if day:
                return day
    return _month_first_day(text, latest)


def _month_first_day(text: str, latest: datetime) -> str | None:
    """The day of a numeric date only month first can read ("01/31/2025"), which htmldate refuses."""
    numeric = _NUMERIC.search(text)
    if numeric is None or int(numeric.group(1)) > 12 or int(numeric.group(3)) <= 12:
        return None
    year = int(numeric.group(4))
    try:
        day = date(year + 2000 if year < 100 else year, int(numeric.group(1)), int(numeric.group(3)))
    except ValueError:
        return None
    return day.isoformat() if _EARLIEST.date() <= day <= latest.date() else None


def swapped_day(day: str) -> str | None:
    """``day`` (``YYYY-MM-DD``) with its month and day exchanged, when that is a date too."""
    try:
        return date(int(day[:4]), int(day[8:10]), int(day[5:7])).isoformat()
    except ValueError:
        return None


def _month_first(tree: _Element, orders: list[str | None]) -> bool:
    """The page writes numeric dates month first: another one in its header can only be read that way
    ("01/31/2025"), or, with none either way, it declares a US locale (``<html lang="en-US">``,
    ``og:locale`` ``en_US``), where month first is the convention; htmldate reads day first."""
    shown = {order for order in orders if order}
    if shown:
        return shown == {"md"}
    locale = tree.get("lang") or ""
    meta = tree.find(".//meta[@property='og:locale']")
    if not locale and meta is not None:
        locale = meta.get("content") or ""
    return locale.replace("_", "-").casefold().endswith("-us")


def _parse(html: str) -> _Element | None:
    """The page's tree without scripts, styles and comments; None when it does not parse.

    A plain lxml tree, not lxml.html's: its per-element class lookup doubles the cost of a walk."""
    try:
        tree = etree.fromstring(html, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if tree is not None:
        etree.strip_elements(tree, *_DROPPED, with_tail=False)
    return tree


def _header_window(tree: _Element) -> list[_Element]:
    """The elements within :data:`_WINDOW` of the headline, the first <h1> outside site chrome (a
    footer's "Contact Us" is no headline): from the headline down, then from just above it upwards;
    empty without one. The walk stops once the window below is full."""
    above: deque[_Element] = deque(maxlen=_WINDOW)
    walk = (element for element in tree.iter() if isinstance(element.tag, str))
    for element in walk:
        if element.tag == "h1" and not any(_chrome(outer) for outer in self_and_ancestors(element)):
            return [element, *islice(walk, _WINDOW - 1), *reversed(above)]
        above.append(element)
    return []


def printed_dates(html: str) -> list[PrintedDate]:
    """The dates the article header prints, those below the headline first; empty without an <h1>."""
    tree = _parse(html)
    if tree is None:
        return []
    latest = datetime.now() + timedelta(days=1)
    found: list[PrintedDate] = []
    orders: list[str | None] = []  # the field order each numeric date shows: "dm", "md" or None
    ambiguous: list[int] = []  # indexes in found of numeric dates that read either way
    # Below the headline first (where bylines sit), then above it, nearest first: what precedes the
    # <h1> within the window is as often a menu of other articles' dates as a kicker.
    for element in _header_window(tree):
        attributes = _attributes(element)
        # A bare date in an element of its own ("January 23, 2025" in an unnamed <div>, as page
        # builders with generated class names print it) counts as much as a date-classed one.
        # Comments inside it (``February 4, 2025<!-- --> - 11 minutes``, as React prints text runs)
        # are gone from the tree.
        cued = element.tag == "time" or bool(_CUE.search(attributes))
        bare = len(element) == 0
        if not cued and not bare:
            continue
        text = " ".join("".join(element.itertext()).split())
        if len(text) > _MAX_TEXT:
            continue
        if not cued and len(text) > _MAX_BARE_TEXT:
            # "Updated Dec 18, 2025 · 12 min read": a meta line whose parts a separator sets apart.
            text = _SEPARATOR.split(text, maxsplit=1)[0]
            if len(text) > _MAX_BARE_TEXT:
                continue
        if any(_chrome(outer) for outer in self_and_ancestors(element)):
            continue
        day = _day(element, text, latest)
        if day is None:
            continue
        # "Updated on June 18, 2025" is an update; "December 3, 2025. Updated: December 7" prints the
        # publication day first: only a label before the date's first digit counts.
        label = text[:next((index for index, char in enumerate(text) if char.isdigit()), len(text))]
        update = bool(_UPDATE.search(label) or (_UPDATE.search(attributes) and not _PUBLISH.search(attributes)))
        numeric = _NUMERIC.search(text)
        if numeric and not (element.tag == "time" and element.get("datetime")):
            first, second = int(numeric.group(1)), int(numeric.group(3))
            orders.append("dm" if first > 12 else "md" if second > 12 else None)
            if first <= 12 and second <= 12 and first != second:
                ambiguous.append(len(found))
        found.append(PrintedDate(day, update))
    if ambiguous and _month_first(tree, orders):
        # htmldate read "3/4/2025" day first; this page writes the month first.
        for index in ambiguous:
            found[index] = found[index]._replace(day=swapped_day(found[index].day) or found[index].day)
    if not found:
        # HTML5's ``<time pubdate>`` says outright that it is the article's publication date, however far
        # from the headline the template prints it.
        for element in tree.iter("time"):
            if element.get("pubdate") is not None and not any(
                    _chrome(outer) for outer in self_and_ancestors(element)):
                day = _day(element, " ".join("".join(element.itertext()).split()), latest)
                if day:
                    return [PrintedDate(day, update=False)]
    return found


def printed_publication_day(html: str) -> str | None:
    """The first day the article header prints that it does not label as an update."""
    return next((printed.day for printed in printed_dates(html) if not printed.update), None)
