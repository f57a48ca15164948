"""Bytes to text: decoding web pages and text files, and telling text from binary.

HTML follows the browser's order of evidence (byte-order mark, HTTP header, ``<meta>``, then a guess),
because that is what the page's author saw working. Plain text and JSONL have no such markers, so
they must be UTF-8: guessing there would silently turn a corrupt file into plausible mojibake.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from newsmill.errors import Drop

SNIFF_BYTES = 1024
"""How far into the content the binary and HTML sniffers look."""

_PRESCAN_BYTES = 4096
# Browsers prescan 1024 bytes, but real pages often put <meta charset> after long comments or
# inline scripts; 4 KiB still keeps the regex cheap.

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_SUPERSETS = {
    # Servers and pages name a charset narrower than what they actually send (WHATWG encoding
    # standard): decoding with the superset turns "smart quotes" into quotes instead of errors.
    "ascii": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "gb2312": "gbk",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}

_WESTERN = frozenset({"cp1252"})

_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:+-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:+-]+)", re.IGNORECASE)

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
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    for label in (declared_charset, _charset_in_markup(raw[:_PRESCAN_BYTES])):
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
    """Python's codec name for a charset label, widened to the superset browsers use; None if unknown."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    name = name.replace("-", "_")
    return _SUPERSETS.get(name, name)


def _charset_in_markup(head: bytes) -> str | None:
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    label = match.group(1).decode("ascii", errors="replace")
    name = normalize_charset(label)
    if name is not None and name.startswith(("utf_16", "utf_32")):
        # A <meta> we could read as ASCII cannot be in UTF-16; browsers treat this as UTF-8.
        return "utf-8"
    return label


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
