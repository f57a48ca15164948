"""Bytes to text: decoding web pages and text files, and telling text from binary.

HTML follows the browser's order of evidence (byte-order mark, HTTP header, ``<meta>``, then a guess),
because that is what the page's author saw working. Plain text and JSONL have no such markers, so
they must be UTF-8: guessing there would silently turn a corrupt file into plausible mojibake.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from newsmill.errors import Drop

SNIFF_BYTES = 1024
"""How far into the content the binary and HTML sniffers look."""

_WESTERN = frozenset({"cp1252"})


# Only signatures that are impossible as the start of real text; formats whose headers contain NUL
# bytes (WAV, MP3, most executables) are caught by the NUL test anyway.
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",  # JPEG
    b"PK\x03\x04",  # ZIP, and so DOCX, EPUB, ODT
    b"PK\x05\x06",  # empty ZIP
    b"\x1f\x8b",  # gzip
    b"BZh91AY&SY",  # bzip2, the common block size; "BZh" alone could start a sentence
    b"\xfd7zXZ\x00",  # xz
    b"7z\xbc\xaf\x27\x1c",
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE: old .doc / .xls
    b"\x7fELF",
    b"OggS",
)

_HTML_START = re.compile(
    rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>/]", re.IGNORECASE | re.DOTALL
)


def decode_html(raw: bytes, *, declared_charset: str | None = None) -> str:
    """Decode a web page: BOM, then the HTTP header's charset, then ``<meta>``, then detection.

    A declared charset the bytes do not decode under is treated as a wrong label, not as the truth:
    mislabelled pages are common and the later evidence usually gets them right.
    """
    bom_encoding, bom = read_bom(raw)
    if bom_encoding is not None and bom is not None:
        return raw[len(bom):].decode(bom_encoding, errors="replace")
    for label in (declared_charset, _charset_in_markup(raw)):
        if label:
            text = _decode_declared(raw, label)
            if text is not None:
                return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Cheap strict UTF-8 comes first because detection on short pages sometimes prefers an exotic
    # single-byte charset that happens to fit.
    best = from_bytes(raw).best()
    if best is not None and best.encoding:
        return raw.decode(best.encoding, errors="replace")
    return raw.decode("utf-8", errors="replace")


def decode_text(raw: bytes) -> str:
    """Decode a plain-text or JSONL input: UTF-8 (a UTF-8 or UTF-16 BOM allowed), or ``Drop``."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not raw.startswith(
        codecs.BOM_UTF32_LE
    ):
        # Windows editors still save "Unicode" text as UTF-16 with a BOM; the BOM makes it unambiguous.
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Drop("invalid_encoding", f"not valid {exc.encoding} at byte {exc.start}") from None


def looks_binary(raw: bytes) -> bool:
    """True when the first KiB holds a NUL byte or starts with a known binary file signature."""
    head = raw[:SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # UTF-16 (and UTF-32) text is full of NULs; its BOM says it is text.
        return False
    return head.startswith(_BINARY_MAGIC) or b"\0" in head


def looks_html(raw: bytes) -> bool:
    """True when the content starts (after a BOM, whitespace and comments) like an HTML document."""
    head = raw[:SNIFF_BYTES].removeprefix(codecs.BOM_UTF8)
    return _HTML_START.match(head) is not None


def normalize_charset(label: str) -> str | None:
    """Python's codec name for a charset label, widened to the superset browsers use (WHATWG: ISO-8859-1
    means windows-1252, GB2312 means GB18030…); None if unknown or refused (UTF-7)."""
    return resolve_encoding(label.strip().strip("\"'"))


def _charset_in_markup(raw: bytes) -> str | None:
    """The charset a ``<meta>`` or the XML declaration names, found the WHATWG prescan's way (comments
    skipped, ``http-equiv`` only with its content-type pragma, first 4 KiB)."""
    name = html_body_declared_encoding(raw)
    if name is not None and name.replace("-", "_").startswith(("utf_16", "utf_32")):
        # A <meta> we could read as ASCII cannot be in UTF-16; browsers treat this as UTF-8.
        return "utf-8"
    return name


def _decode_declared(raw: bytes, label: str) -> str | None:
    """Decode with a declared charset, or None when the declaration is unknown or clearly wrong."""
    name = normalize_charset(label)
    if name is None:
        return None
    if name in _WESTERN and not raw.isascii():
        # Servers default to ISO-8859-1 for pages that are really UTF-8; multi-byte UTF-8 sequences
        # essentially never occur by chance in Western text, so valid UTF-8 wins.
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode(name)
    except UnicodeDecodeError:
        return None
