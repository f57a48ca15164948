"""Decoding bytes to text: the order of charset evidence, strict text, and binary sniffing."""

from __future__ import annotations

import codecs

import pytest

from newsmill.decode import decode_html, decode_text, looks_binary, looks_html
from newsmill.errors import Drop

RUSSIAN = (
    "Москва. Президент России провёл совещание с членами правительства, на котором обсуждались "
    "вопросы экономики и социальной политики."
)


def test_bom_beats_declared_charset() -> None:
    """A UTF-8 byte-order mark wins over a (wrong) declared charset."""
    raw = codecs.BOM_UTF8 + "<p>café</p>".encode()
    assert decode_html(raw, declared_charset="windows-1251") == "<p>café</p>"


def test_utf16_bom_is_honoured() -> None:
    """A UTF-16 page with a BOM decodes without any other hint."""
    assert decode_html("<p>naïve</p>".encode("utf-16")) == "<p>naïve</p>"


def test_header_charset_is_used() -> None:
    """The HTTP header's charset decodes a page that has no <meta>."""
    raw = f"<p>{RUSSIAN}</p>".encode("koi8_r")
    assert "Москва" in decode_html(raw, declared_charset="koi8-r")


def test_meta_charset_is_used() -> None:
    """A <meta charset> decodes a page when the header says nothing."""
    raw = f'<html><head><meta charset="windows-1251"></head><body>{RUSSIAN}</body></html>'.encode("cp1251")
    assert "Москва" in decode_html(raw)


def test_http_equiv_meta_is_used() -> None:
    """The older http-equiv Content-Type meta is understood too."""
    raw = ('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
           f"<p>{RUSSIAN}</p>").encode("koi8_r")
    assert "Москва" in decode_html(raw)


def test_wrong_latin1_label_on_utf8_page() -> None:
    """A page labelled ISO-8859-1 that is really UTF-8 comes out right, not as mojibake."""
    raw = "<p>Zürich – café</p>".encode()
    assert decode_html(raw, declared_charset="iso-8859-1") == "<p>Zürich – café</p>"


def test_latin1_label_uses_windows_1252() -> None:
    """ISO-8859-1 is read as windows-1252, so curly quotes survive (browser behaviour)."""
    raw = "“quoted” café".encode("cp1252")
    assert decode_html(raw, declared_charset="ISO-8859-1") == "“quoted” café"


def test_undecodable_declared_charset_falls_through() -> None:
    """A declared charset the bytes are not valid in is ignored in favour of detection."""
    raw = f"<p>{RUSSIAN}</p>".encode("cp1251")
    assert "Москва" in decode_html(raw, declared_charset="utf-8")


def test_detection_without_any_label() -> None:
    """With no BOM, header or meta, windows-1251 is detected."""
    raw = f"<html><body><p>{RUSSIAN}</p></body></html>".encode("cp1251")
    assert "Москва" in decode_html(raw)


def test_unknown_label_is_ignored() -> None:
    """A nonsense charset label does not raise."""
    assert decode_html(b"<p>plain</p>", declared_charset="no-such-charset") == "<p>plain</p>"


def test_meta_charset_inside_a_comment_is_not_a_declaration() -> None:
    """The WHATWG prescan skips comments: a commented-out meta must not override the real one."""
    raw = f'<!-- <meta charset="iso-8859-5"> --><meta charset="koi8-r"><p>{RUSSIAN}</p>'.encode("koi8-r")
    assert "Москва" in decode_html(raw)


def test_content_charset_without_the_content_type_pragma_is_not_a_declaration() -> None:
    raw = f'<meta name="note" content="charset=iso-8859-5"><p>{RUSSIAN}</p>'.encode()
    assert "Москва" in decode_html(raw)


def test_utf7_label_is_refused() -> None:
    """UTF-7 can spell "<" in plain ASCII ("+ADw-"): browsers dropped it, so a page naming it is not
    decoded with it."""
    assert decode_html(b"<p>+ADw-script+AD4-</p>", declared_charset="utf-7") == "<p>+ADw-script+AD4-</p>"


def test_decode_text_accepts_utf8_with_bom() -> None:
    """Plain text may carry a UTF-8 BOM, which is removed."""
    assert decode_text(codecs.BOM_UTF8 + "héllo".encode()) == "héllo"


def test_decode_text_rejects_invalid_utf8() -> None:
    """Text that is not UTF-8 is dropped as invalid_encoding rather than guessed."""
    with pytest.raises(Drop) as info:
        decode_text("café".encode("latin-1"))
    assert info.value.reason == "invalid_encoding"


@pytest.mark.parametrize("raw", [
    b"%PDF-1.7\n...", b"\x89PNG\r\n\x1a\n\0\0", b"PK\x03\x04zipped", b"\x1f\x8b\x08\0", b"text\0with nul",
])
def test_looks_binary_true(raw: bytes) -> None:
    """Known binary signatures and NUL bytes are binary."""
    assert looks_binary(raw)


@pytest.mark.parametrize("raw", [b"<html></html>", "Привет".encode(), "utf-16 text".encode("utf-16")])
def test_looks_binary_false(raw: bytes) -> None:
    """Text, including UTF-16 text with its BOM, is not binary."""
    assert not looks_binary(raw)


def test_looks_html() -> None:
    """HTML is recognised after a BOM, whitespace and comments; prose is not."""
    assert looks_html(codecs.BOM_UTF8 + b"\n  <!DOCTYPE html><html>")
    assert looks_html(b"<!-- generated --><html lang=en>")
    assert not looks_html(b"Just an article about <html> tags.")
