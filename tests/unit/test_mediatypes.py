"""Content-Type headers as servers and crawlers write them."""

from __future__ import annotations

import pytest

from newsmill.mediatypes import HTML_TYPES, charset, media_type


@pytest.mark.parametrize(("header", "expected"), [
    ("text/html; charset=UTF-8", "text/html"),
    ("  Application/XHTML+XML ", "application/xhtml+xml"),
    ("", None),
    (None, None),
])
def test_media_type_is_the_lowercased_type_without_parameters(header: str | None, expected: str | None) -> None:
    assert media_type(header) == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("text/html; charset=windows-1251", "windows-1251"),
    ('text/html; Charset="koi8-r"', "koi8-r"),
    ("text/html; boundary=x; charset='utf-8'", "utf-8"),
    ("text/html; charset=", None),
    ("text/html", None),
    (None, None),
])
def test_charset_is_the_unquoted_parameter(header: str | None, expected: str | None) -> None:
    assert charset(header) == expected


def test_xhtml_counts_as_html() -> None:
    assert {"text/html", "application/xhtml+xml"} <= HTML_TYPES
