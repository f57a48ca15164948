"""The languages dateparser reads a page's date strings in: the page's own and English, not all 200.

htmldate (under trafilatura) hands the date-like strings its own patterns cannot read ("Dec. 19, 2025",
"2/24/2026", "12. März 2023") to dateparser with every language allowed. The first string that no
language accepts makes dateparser build its tables for every locale (3-5 s of CPU and ~43 MB, before a
worker's pool can fork), and each such string costs ~40 ms afterwards, because every locale is tried.
A page says which language it is written in (``<html lang>``, nearly always): its dates are read in that
language and in English (which international sites mix in), at ~1 ms a string. A page that declares no
language, or one dateparser does not know, is read in English only; its structured metadata and
htmldate's numeric patterns still apply.

htmldate builds its parser in ``htmldate.extractors.get_external_parser`` and offers no setting for it,
so :func:`install` puts :func:`current_parser` in its place (``tests/unit/test_date_languages.py``
fails if an htmldate release moves it).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dateparser import DateDataParser  # type: ignore[import-untyped]

FALLBACK: tuple[str, ...] = ("en",)
HTMLDATE_SETTINGS: dict[str, Any] = {
    # htmldate 1.11's own settings for its parser (extractors.get_external_parser), kept as they are.
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}

# The language a page declares: ``<html lang="fr">`` (or ``xml:lang``), else a Content-Language meta.
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)", re.IGNORECASE)
_META_LANG = re.compile(r"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*"
                        r"[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_HEAD_CHARS = 20_000

_page_languages: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "newsmill_date_languages", default=FALLBACK)


@functools.cache
def known_languages() -> frozenset[str]:
    """The language codes dateparser has data for."""
    from dateparser.data.languages_info import language_order  # type: ignore[import-untyped]

    return frozenset(language_order)


def declared_language(html: str) -> str | None:
    """The language code the page declares near its start, as written; None when it declares none."""
    head = html[:_HEAD_CHARS]
    match = _HTML_LANG.search(head) or _META_LANG.search(head)
    return match.group(1) if match else None


def languages_for(declared: str | None) -> tuple[str, ...]:
    """The languages to read the dates of a page declared as ``declared`` (``fr-FR``, ``pt_BR``) in."""
    code = (declared or "").strip().replace("_", "-").split("-")[0].casefold()
    if not code or code == "en" or code not in known_languages():
        return FALLBACK
    return (code, *FALLBACK)


@functools.cache
def parser_for(languages: tuple[str, ...]) -> DateDataParser:
    """One parser per set of languages, built once per process."""
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=HTMLDATE_SETTINGS)


def current_parser() -> DateDataParser:
    """The parser for the page being cleaned in this thread (English outside :func:`reading_dates_in`)."""
    return parser_for(_page_languages.get())


@contextlib.contextmanager
def reading_dates_in(declared: str | None) -> Iterator[None]:
    """Date strings htmldate hands to dateparser inside this block are read in ``declared``'s language."""
    token = _page_languages.set(languages_for(declared))
    try:
        yield
    finally:
        _page_languages.reset(token)


_replaced: list[Any] = []
"""htmldate's own factory, once :func:`install` replaced it (tests compare its settings with ours)."""


def install() -> None:
    """Make htmldate ask :func:`current_parser` for its dateparser."""
    import htmldate.extractors

    if htmldate.extractors.get_external_parser is not current_parser:
        _replaced.append(htmldate.extractors.get_external_parser)
        htmldate.extractors.get_external_parser = current_parser  # type: ignore[assignment]


def warm_up() -> None:
    """Build the English parser and its tables before a worker's pool forks (~0.3 s)."""
    parser_for(FALLBACK).get_date_data("12 newsmill 2021")
