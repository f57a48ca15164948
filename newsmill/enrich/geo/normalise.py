"""Matching keys for place names, so spelling variants of one place meet in one index entry.

``Deir Ezzor``, ``Deir ez-Zor``, ``Deir el-Zor`` and ``DEIR EZ ZOR`` all become ``deirzor``: case folded,
diacritics stripped, apostrophes and dots dropped, Arabic articles (``al-``, ``ez-``, ``ad-`` …) dropped
between words and at the start of any word after the first, and what is left joined without spaces or
hyphens. The same function builds the index and looks names up, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata

ARTICLES: frozenset[str] = frozenset((
    # Arabic al- and its sun-letter assimilations, as transliterated in news copy and in GeoNames.
    "al", "el", "ad", "ed", "ar", "er", "as", "es", "ash", "esh", "at", "et", "az", "ez", "an", "en", "ul",
))
_APOSTROPHES = re.compile(r"['’‘`ʿʾ.]")
_TOKEN = re.compile(r"[^\W_]+")
# "Ezzor", "Azzawr": an article fused onto a word whose first consonant it doubles.
_FUSED_ARTICLE = re.compile(r"^[ae]([dlnrstz])(?=\1[a-z]{2})")


def fold(text: str) -> str:
    """Case-folded text without diacritics (``Côte d’Ivoire`` → ``cote d’ivoire``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def place_key(text: str) -> str:
    """The matching key of a place name; empty when nothing word-like is left."""
    tokens = _TOKEN.findall(_APOSTROPHES.sub("", fold(text)))
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    if len(tokens) > 1:
        kept = [tokens[0]] if tokens[0] not in ARTICLES else []
        for token in tokens[1:]:
            if token not in ARTICLES:
                kept.append(_FUSED_ARTICLE.sub("", token))
        tokens = kept or tokens
    return "".join(tokens)


def is_latin(text: str) -> bool:
    """True for names written in Latin letters once diacritics are stripped (index only those)."""
    return fold(text).isascii()
