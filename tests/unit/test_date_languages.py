"""Unit tests of the languages htmldate's dateparser reads a page's dates in (newsmill/clean/datelanguages.py)."""

from __future__ import annotations

import datetime as dt

import htmldate.extractors
import pytest

from newsmill.clean import clean, datelanguages
from newsmill.record import Document, Source, WorkItem


def test_htmldate_asks_newsmill_for_its_parser() -> None:
    # Installed when newsmill.clean is imported; fails if an htmldate release renames what we replace.
    import newsmill.clean  # noqa: F401

    assert htmldate.extractors.get_external_parser is datelanguages.current_parser
    assert htmldate.extractors._external_date("Dec. 19, 2025") == dt.datetime(2025, 12, 19)


def test_our_parser_keeps_htmldates_settings() -> None:
    import newsmill.clean  # noqa: F401

    htmldates_own = datelanguages._replaced[0].__wrapped__()  # unbuilt: its tables load on first use
    ours = datelanguages.parser_for(datelanguages.FALLBACK)
    for key in datelanguages.HTMLDATE_SETTINGS:
        assert getattr(ours._settings, key) == getattr(htmldates_own._settings, key), key
    assert htmldates_own.languages is None and ours.languages == ["en"]


@pytest.mark.parametrize(("html", "declared"), [
    ('<!doctype html><html lang="fr-FR"><head>', "fr-FR"),
    ("<html class='x' xml:lang='de'>", "de"),
    ('<html><head><meta http-equiv="Content-Language" content="es"></head>', "es"),
    ("<html><head><title>No language</title></head>", None),
])
def test_the_declared_language_is_read_from_the_page(html: str, declared: str | None) -> None:
    assert datelanguages.declared_language(html) == declared


@pytest.mark.parametrize(("declared", "languages"), [
    ("fr-FR", ("fr", "en")), ("pt_BR", ("pt", "en")), ("EN-us", ("en",)), (None, ("en",)),
    ("", ("en",)), ("xx", ("en",)),  # no dateparser data: English only
])
def test_languages_are_the_pages_and_english(declared: str | None, languages: tuple[str, ...]) -> None:
    assert datelanguages.languages_for(declared) == languages


def test_dates_are_read_in_the_pages_language_within_the_block() -> None:
    german = "12. März 2023"
    with datelanguages.reading_dates_in("de-DE"):
        assert datelanguages.current_parser().get_date_data(german)["date_obj"] == dt.datetime(2023, 3, 12)
        assert datelanguages.current_parser().get_date_data("Feb. 27, 2025")["date_obj"] == dt.datetime(2025, 2, 27)
    # Outside it (and on a page that declares no language): English only, so no German month.
    assert datelanguages.current_parser().get_date_data(german)["date_obj"] is None
    assert datelanguages.current_parser().get_date_data("2/24/2026")["date_obj"] == dt.datetime(2026, 2, 24)


def _spanish_page(lang: str, printed: str) -> Document:
    body = " ".join(["El paro de transporte paralizó la ciudad durante toda la jornada del martes."] * 12)
    page = (f'<html lang="{lang}"><head><title>El paro</title></head><body><article><h1>El paro</h1>'
            f'<p class="date">{printed}</p><p>{body}</p><p>{body}</p></article></body></html>')
    return Document(item=WorkItem("job", Source("file", "paro.html")), id="f" * 24, content_kind="html",
                    body=page)


def test_a_spanish_page_gets_the_day_it_prints_in_spanish() -> None:
    # htmldate's own patterns do not read this; dateparser does, in Spanish.
    assert clean(_spanish_page("es-ES", "martes, 3 de diciembre de 2024")).published == "2024-12-03"
    # A page that declares no language is read in English only: htmldate is left with the year. (It
    # caches what it read per string, so this is another day.)
    assert clean(_spanish_page("", "miércoles, 4 de diciembre de 2024")).published != "2024-12-04"
