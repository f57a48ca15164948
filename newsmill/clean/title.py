"""The article's headline, reconciled from what the page says in several places.

A page names its article up to four times: ``<title>``, ``og:title``, a JSON-LD ``headline`` and the
visible ``<h1>``. The metadata titles are written for search results and link previews: they carry the
site's name (``Story | Site``, ``Site - Story``), a second catchphrase (``Story – Top 10 Picks``) or an
older wording, while the ``<h1>`` is the headline readers see. So:

- a ``<title>`` segment that names the site (``og:site_name``, or the domain: ``Flatworld Solutions`` on
  ``flatworldsolutions.com``) is removed from either end;
- the ``<h1>`` wins when it agrees with the metadata: at least half of its words appear in one of the
  metadata titles or the JSON-LD headline. That keeps a logo ``<h1>`` (``Example News``), a section label
  (``The Blog``) or a pull quote from replacing the title, and still takes a headline the metadata only
  reworded (``How X Personalizes Shopping`` for ``Using X To Personalize Shopping``).

Headlines are read by pattern: the clean stage has no tree of its own (trafilatura keeps its tree to
itself) and a second parse of the page would cost ~15x the pattern for the same first few headlines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape
from urllib.parse import urlsplit

from newsmill.clean.structured import meta_content

SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " • ", " ⋆ ", " : ")
_MAX_HEADLINES = 5
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# Inline markup inside a word (``C<span>ycle</span>``) joins, other tags separate words.
_INLINE_TAG = re.compile(r"</?(?:span|em|strong|b|i|u|a|mark|small|sup|sub|font)\b[^>]*>", re.IGNORECASE)
_TITLE_TAG = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HEADLINE = re.compile(r'"headline"\s*:\s*"((?:[^"\\]|\\.){1,500})"')
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_WORD = re.compile(r"\w+")
# Words too common to show that two titles speak of the same thing.
_STOPWORDS = frozenset({
    "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "with", "by", "at", "from", "is", "are",
    "be", "your", "you", "it", "its", "this", "that", "how", "what", "why", "s",
})
_AGREEMENT = 0.5
"""Share of an ``<h1>``'s words that must appear in a metadata title for the ``<h1>`` to be the headline."""
_MIN_HEADLINE_WORDS = 2
_MIN_SHARED_WORDS = 2
# Hosts' leading labels that say nothing about the site's name.
_HOST_PREFIXES = ("www.", "m.", "amp.", "blog.", "news.")


def fold(text: str) -> str:
    """Case, typographic quotes and dashes and whitespace folded, for comparing titles."""
    return " ".join(text.translate(_QUOTES).split()).casefold()


def _key(text: str) -> str:
    """Letters and digits only: ``Flatworld Solutions`` and ``flatworldsolutions`` meet here."""
    return "".join(char for char in text.casefold() if char.isalnum())


def _stems(text: str) -> set[str]:
    # A five-letter prefix lets "personalizes" meet "personalize" and "certifications" "certification".
    return {word[:5] for word in _WORD.findall(fold(text)) if word not in _STOPWORDS}


def site_keys(site_name: str | None, url: str | None) -> set[str]:
    """What a site-name segment of a title may fold to: the ``og:site_name`` and the domain's name."""
    keys = {_key(site_name)} if site_name else set()
    host = (urlsplit(url).hostname or "") if url else ""
    for prefix in _HOST_PREFIXES:
        host = host.removeprefix(prefix)
    labels = host.split(".")
    if len(labels) >= 2:
        keys.add(_key(labels[-2] if len(labels[-2]) > 3 or len(labels) < 3 else labels[-3]))
        keys.add(_key(host))  # "Move.org", "bold.org"
    return {key for key in keys if len(key) >= 3}


def names_site(segment: str, keys: set[str]) -> bool:
    """Whether a title segment is the site's name (``Soliant`` for ``Soliant Health``, ``Paycom Blog``
    on ``paycom.com``): equal to a key, or one starting with the other."""
    segment_key = _key(segment)
    if len(segment_key) < 3:
        return False
    return any(segment_key == key or key.startswith(segment_key) or segment_key.startswith(key)
               or (len(segment_key) >= 6 and segment_key in key) for key in keys)


def strip_site_name(title: str, keys: set[str]) -> str:
    """``title`` without separated segments at either end that name the site; never all of it."""
    changed = True
    while changed:
        changed = False
        for separator in SEPARATORS:
            head, found, tail = title.rpartition(separator)
            if found and head.strip() and names_site(tail, keys):
                title, changed = head.strip(), True
                break
            head, found, tail = title.partition(separator)
            if found and tail.strip() and names_site(head, keys):
                title, changed = tail.strip(), True
                break
    return title


def headlines(html: str) -> list[str]:
    """The text of the page's first few ``<h1>`` elements."""
    found = []
    for match in _H1.finditer(html):
        inner = _TAG.sub(" ", _INLINE_TAG.sub("", match.group(1)))
        text = " ".join(unescape(unescape(inner)).split())
        if text:
            found.append(text)
        if len(found) == _MAX_HEADLINES:
            break
    return found


def json_ld_headlines(html: str) -> list[str]:
    """The ``headline`` values of the page's JSON-LD (read by pattern; JSON escapes undone)."""
    found = []
    for match in _HEADLINE.finditer(html):
        raw = match.group(1)
        try:
            text = raw.encode("latin-1", "backslashreplace").decode("unicode_escape") if "\\" in raw else raw
        except UnicodeDecodeError:
            text = raw
        found.append(" ".join(unescape(text).split()))
    return found


def metadata_titles(html: str) -> list[str]:
    """The page's ``<title>``, ``og:title`` and JSON-LD headlines, as written."""
    found = []
    match = _TITLE_TAG.search(html)
    if match:
        found.append(" ".join(unescape(_TAG.sub(" ", match.group(1))).split()))
    og_title = meta_content(html, "property", "og:title")
    if og_title is not None:
        found.append(" ".join(unescape(og_title).split()))
    found.extend(json_ld_headlines(html))
    return [text for text in found if text]


def _segments(title: str) -> list[str]:
    parts = [title]
    for separator in (*SEPARATORS, ": "):
        parts = [piece.strip() for part in parts for piece in part.split(separator)]
    return [part for part in parts if part]


def _agreement(headline: str, others: Iterable[str]) -> float:
    """Share of the headline's words found in the metadata title that shares most of them; 0 when fewer
    than two words are shared (``M&A Updates`` against ``Cybersecurity Sector Update``)."""
    words = _stems(headline)
    if not words:
        return 0.0
    shared = max((len(words & _stems(other)) for other in others), default=0)
    return shared / len(words) if shared >= min(_MIN_SHARED_WORDS, len(words)) else 0.0


def best_headline(candidates: list[str], metadata_titles: list[str], keys: set[str]) -> str | None:
    """The ``<h1>`` that is the article's headline, or None: the first one of at least two words that
    is not the site's name and agrees best (and enough) with the metadata titles."""
    best, best_score = None, _AGREEMENT
    for headline in candidates:
        if len(_WORD.findall(headline)) < _MIN_HEADLINE_WORDS or names_site(headline, keys):
            continue
        if headline.isupper() and not any(fold(headline) == fold(title) for title in metadata_titles):
            continue  # a styled label ("SUPPORTING GAAP COMPLIANCE"), or the title shouted
        score = _agreement(headline, metadata_titles)
        if score > best_score or (best is None and score >= best_score):
            best, best_score = headline, score
    return best


_MAX_WRAPPER_WORDS = 4


def _settle(headline: str, titles: list[str]) -> str:
    """Between an agreeing ``<h1>`` and the metadata titles (site name already removed), which is the
    headline: the ``<h1>`` unless it only puts a few words before a title (``Dec 18 2025 Story``,
    ``Blog: Story``), a date or a section label that the page styled into the heading."""
    head = fold(headline)
    for title in titles:
        folded = fold(title)
        if folded == head:
            return headline
        wrapper = head[: -len(folded)].split() if len(folded) >= 10 and head.endswith(folded) else []
        # One bare word ("The", "2025") is part of the headline; a date or a "Label:" is not.
        if (len(wrapper) >= 2 or (wrapper and wrapper[-1].endswith(":"))) and len(wrapper) <= _MAX_WRAPPER_WORDS:
            return title
    return headline


def reconcile_title(title: str | None, *, html: str, url: str | None, site_name: str | None) -> str | None:
    """The article's headline: the agreeing ``<h1>``, else ``title`` (the extractor's pick among the
    metadata titles) without its site-name segments."""
    keys = site_keys(site_name, url)
    known = [" ".join(title.split())] if title and title.strip() else []
    known.extend(metadata_titles(html))
    chosen = best_headline(headlines(html), known, keys)
    if chosen is not None:
        return _settle(chosen, [strip_site_name(text, keys) for text in known])
    if not title:
        return None
    return strip_site_name(" ".join(title.split()), keys)
