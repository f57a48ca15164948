"""The date a page prints beside its headline or byline ("By Ann Lee · March 1, 2024").

Readers see that date; metadata can disagree with it (a CMS that stamps ``article:modified_time`` but
no publication time, so htmldate reports the last edit as the publication day). Only dates in the
article's own header count: a ``<time>`` element, a short element whose class, id or ``itemprop``
says it holds a date (``date``, ``time``, ``publish``, ``posted``, ``byline``), or an element holding
nothing but a short text that reads as a date (or whose text before a spaced separator, ``·|•–-``,
does: "Updated Dec 18, 2025 · 12 min read"), within a few elements of the first ``<h1>`` outside
site chrome (``nav``, ``aside``, ``footer``), and comments, are skipped. A date the page labels as an
update (its element's class, or its text before the date, says ``updated`` or ``modified``) is kept
apart: it is not the publication day. Where the header prints none, a ``<time pubdate>`` anywhere in
the article (HTML5's own mark for the publication date) stands for it.

The tree is parsed here (a few milliseconds), without lxml.html's element classes.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import datetime, timedelta
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
    return None


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
        found.append(PrintedDate(day, update))
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
