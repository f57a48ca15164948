"""Stable identifiers: an article's id is a hash of its canonical URL, or of its content when it has none."""

from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import urldefrag

import courlan

ID_HEX_CHARS = 24
"""96 bits: collisions stay negligible for billions of articles and the id is still short to read."""


def canonical_url(url: str) -> str:
    """The URL with scheme and host lowercased, default port, fragment and tracking parameters removed,
    and query parameters sorted, so that the same article reached by two spellings gets one id."""
    try:
        normal = str(courlan.normalize_url(url.strip(), strict=True))
    except ValueError:
        normal = url.strip()
    # courlan keeps fragments; a fragment never names a different article.
    return urldefrag(normal).url


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=ID_HEX_CHARS // 2).hexdigest()


def id_for_url(url: str) -> str:
    return _digest(b"url:" + canonical_url(url).encode("utf-8"))


def id_for_content(content: bytes | str) -> str:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return _digest(b"content:" + raw)


def id_for_source_key(key: str) -> str:
    """Id of an input that never yielded content (unreadable file, refused URL)."""
    return _digest(b"source:" + key.encode("utf-8"))


def content_hash(text: str) -> str:
    """Hash of the clean text after Unicode and whitespace normalisation: equal for the same story
    whatever its line breaks or non-breaking spaces."""
    normal = " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
