"""The article's authors, reconciled across the places a page names them.

trafilatura reads ``meta[name=author]``, JSON-LD and byline markup, but it rewrites what it finds: it
drops the full stops of initials and titles (``Christopher S. Penn`` becomes ``Christopher S Penn``,
``Dr. Allen`` becomes ``Dr Allen``), skips one-word names (``Zach``, a blogger's handle), takes the
site itself for an author when the page's only "author" metadata names the publisher, and its
last-resort search takes any element whose class says "author" (a menu item, a commenter). So:

- a name trafilatura reports is written as the page writes it, when one of the page's own sources
  (``meta[name=author]``, ``rel=author`` links, ``itemprop=author``, JSON-LD ``author``) spells the same
  letters with punctuation, or the page prints it with full stops after its initials or title; a pick
  holding a copyright line or a run of menu text, or a name no metadata states that the page prints
  only in its comments, is not taken;
- after trafilatura's pick, ``meta[name=author]`` and then JSON-LD are read directly (not a name that
  is the page's ``meta[name=copyright]`` holder);
- the printed byline: a text block just below the first ``<h1>`` that is nothing but ``By Name``
  (``Written by``, ``Posted by``, ``Author:``, ``Contributors:``; ``Written by`` anywhere below it;
  ``By Name`` or ``Published <date> by Name`` just above it), links and emphasis inside it joined. A
  whole block, not a phrase anywhere in the text: "by" inside a sentence is not a byline; failing that,
  the first element below the ``<h1>`` whose class names an author or a byline (``post-author``,
  ``byline``; not a bio, an avatar or a comment) whose whole text is a name;
- when no metadata names anyone, the printed byline; failing that, the first link below the ``<h1>``
  to an author's page (``/authors/jane-doe``) whose text is a name, and last the ``rel=author`` and
  ``itemprop=author`` elements whose text is a name.

Where the sources disagree, what readers see wins: a metadata author the page never shows (a CMS
account, an unfilled template, a previous writer) gives way to the printed byline. A byline that names
the site or its team (``Supermove``, ``Podium Staff``) is kept, for on the WCXB dev articles the ground
truth counts it as the author far more often than not; but the site (``og:site_name``, the domain, the
JSON-LD publisher) named among people is left out, and the site as the only author gives way to a
person another source names, the printed byline first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from html import unescape

from newsmill.clean.authors import is_page_furniture, tidy_author, tidy_authors
from newsmill.clean.comments import only_in_comments
from newsmill.clean.hints import split_names
from newsmill.clean.structured import json_ld_authors, meta_content, publisher_names
from newsmill.clean.title import site_keys

# Case-sensitive and starting with the attribute: searched for by that literal, ~20x faster than a
# case-insensitive pattern starting at each <a; attribute names are lower case in practice.
_MARKED_AUTHOR = (
    re.compile(r'rel=["\'][^"\'>]*\bauthor\b[^"\'>]*["\'][^>]*>(.*?)</a\s*>', re.DOTALL),
    re.compile(r'itemprop=["\']author["\'][^>]*>(.*?)</', re.DOTALL),
)
_TAG = re.compile(r"<[^>]+>")
# A link to an author's archive page: a path segment ``author``/``authors`` (``blog-authors``) and a slug.
_AUTHOR_LINK = re.compile(r'<a\b[^>]*\bhref=["\'][^"\'#?]*/(?:[\w-]*-)?authors?/[^/"\'#?]+/?["\'#?][^>]*>(.*?)</a\s*>',
                          re.IGNORECASE | re.DOTALL)
_MAX_MARKED = 10
_INVISIBLE = re.compile(r"<(head|script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1\b", re.IGNORECASE)
_NOT_TEXT = re.compile(r"<(script|style|noscript|template|svg|button|nav|footer)\b.*?</\1\s*>",
                       re.IGNORECASE | re.DOTALL)
_INLINE = re.compile(r"</?(?:a|span|strong|em|b|i|u|small|font|abbr|time)\b[^>]*>", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:by|written by|posted by|words by|author:?|contributors?:)\s*:?\s+([A-ZÀ-Þ0-9].{2,59})$",
                     re.IGNORECASE)
# "Posted on December 3, 2025 by Jane Doe", "Published 7 August 2023 by Jane Doe": the WordPress themes'
# dated byline.
_DATED_BYLINE = re.compile(r"^(?:(?:published|posted|updated)(?:\s+on)?:?\s+)?(?:[a-z]{3,9}\.?\s+\d{1,2}|\d{1,2}\s+"
                           r"[a-z]{3,9}\.?),?\s+\d{4}\s+by\s+([A-ZÀ-Þ0-9].{2,59})$", re.IGNORECASE)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,;:])")
_BYLINE_MARKUP = re.compile(r'<(\w+)\b[^>]*\bclass=["\']([^"\']*(?:author|byline)[^"\']*)["\'][^>]*>(.*?)</\1\s*>',
                            re.IGNORECASE | re.DOTALL)
# Classes of an author's bio, picture, social links or comments, which also say "author".
_NOT_BYLINE_CLASSES = ("bio", "avatar", "comment", "img", "image", "photo", "social", "desc")
_MAX_NAME_CHARS = 60
_BYLINE_END = re.compile(r"\s*[•⋅∙●·|]\s*")
# How far below the headline a byline is looked for: characters of markup, and text blocks.
_BYLINE_WINDOW = 40_000
_BYLINE_BLOCKS = 40
# And how far above it, where some templates print the byline after the category: characters, blocks.
_ABOVE_CHARS = 3_000
_ABOVE_BLOCKS = 4
_MAX_BYLINE_WORDS = 5
# Lower-case words a name may hold ("Ana de la Cruz", "Erik van Vulpen"); any other word of a byline
# name starts with a capital, which is what tells "By Ana Ruiz" from "By Tuesday the ferries ran".
_PARTICLES = frozenset({"de", "del", "della", "der", "den", "van", "von", "da", "di", "du", "la", "le", "bin",
                        "al", "y", "e"})


def _key(name: str) -> str:
    return "".join(char for char in name.casefold() if char.isalnum())


def meta_authors(html: str) -> list[str]:
    """The names in the page's ``meta[name=author]`` (``;``-separated lists split)."""
    content = meta_content(html, "name", "author")
    return list(split_names(unescape(content))) if content else []


def marked_authors(html: str) -> list[str]:
    """The text of the page's first few ``rel=author`` links and ``itemprop=author`` elements."""
    found: list[str] = []
    for pattern in _MARKED_AUTHOR:
        for match in pattern.finditer(html):
            text = " ".join(unescape(_TAG.sub(" ", match.group(1))).split())
            if text and len(text) < 80:
                found.append(text)
            if len(found) >= _MAX_MARKED:
                break
    return found


def _name_in(text: str) -> str | None:
    """The name a byline block's text consists of (up to a ``•``/``|`` separator), or None."""
    name = tidy_author(_BYLINE_END.split(text)[0])
    words = name.split() if name else []
    # A digit may start a name too ("3i Global", "98 Buck Social"), but not a later word ("Erin Spain 4").
    if 0 < len(words) <= _MAX_BYLINE_WORDS and (words[0][0].isupper() or words[0][0].isdigit()) \
            and all(word[0].isupper() or word in _PARTICLES for word in words[1:]):
        return name
    return None


def _text_blocks(markup: str) -> Iterator[str]:
    """The non-empty text blocks of ``markup``, inline tags read as spaces (``<a>Name</a><span>Published``)."""
    for block in _TAG.split(_INLINE.sub(" ", markup)):
        text = " ".join((unescape(block) if "&" in block else block).split())
        if text:
            yield text


def _byline_name(text: str) -> str | None:
    """The name in the text after a byline's ``By``; a space is no word before a comma (``Name , Role``)."""
    return _name_in(_SPACE_BEFORE_PUNCTUATION.sub(r"\1", text))


def printed_byline(html: str) -> list[str]:
    """The name in a ``By Name`` block just below the page's first ``<h1>``, else the first author-classed
    element there whose whole text is a name; or nothing."""
    headline = _H1.search(html)
    if headline is None:
        return []
    window = _NOT_TEXT.sub(" ", html[headline.start(): headline.start() + _BYLINE_WINDOW])
    # Some templates print the byline just above the headline, after the category.
    above = list(_text_blocks(_NOT_TEXT.sub(" ", html[max(0, headline.start() - _ABOVE_CHARS): headline.start()])))
    for block in above[-_ABOVE_BLOCKS:]:
        match = _BYLINE.match(block) or _DATED_BYLINE.match(block)
        if match and (name := _byline_name(match.group(1))):
            return [name]
    for index, block in enumerate(_text_blocks(window)):
        match = _BYLINE.match(block)
        # "By" alone starts many a caption or card further down; "Written by" is a byline wherever it is.
        if match and (index < _BYLINE_BLOCKS or block[:2].casefold() != "by"):
            name = _byline_name(match.group(1))
            return [name] if name else []
    for match in _BYLINE_MARKUP.finditer(window):
        if any(part in match.group(2).lower() for part in _NOT_BYLINE_CLASSES):
            continue
        text = " ".join(unescape(_TAG.sub(" ", _INLINE.sub("", match.group(3)))).split())
        if text and len(text) <= _MAX_NAME_CHARS:
            name = _name_in(text)
            if name:
                return [name]
    return []


def linked_byline(html: str) -> list[str]:
    """The name in the first link to an author's page (``/author/jane-doe``, ``/blog/authors/jane-doe/``)
    from the page's first ``<h1>`` on, when the link's whole text is a name; or nothing. Bylines link
    the name to the writer's archive; the links before the headline are navigation."""
    headline = _H1.search(html)
    if headline is None:
        return []
    window = html[headline.start(): headline.start() + _BYLINE_WINDOW]
    for match in _AUTHOR_LINK.finditer(window):
        text = " ".join(unescape(_TAG.sub(" ", match.group(1))).split())
        name = _name_in(text) if 0 < len(text) <= _MAX_NAME_CHARS else None
        if name:
            return [name]
    return []


def _printed_spelling(name: str, html: str) -> str:
    """``name`` as the page prints it when the page adds only full stops to it (``Dr. Vahid Osman`` for
    ``Dr Vahid Osman``, ``Justin C. Meserole``): the first such occurrence, else ``name``."""
    tokens = name.split()
    if len(tokens) < 2 or not any(len(token.rstrip(".")) <= 2 for token in tokens):
        return name  # only short tokens (initials, "Dr") lose a full stop
    pattern = re.compile(r"\.?\s*".join(re.escape(token) for token in tokens) + r"\.?(?!\w)")
    for match in pattern.finditer(html):
        # Checked here rather than by a lookbehind, which would keep re from searching for the literal.
        if match.start() == 0 or not (html[match.start() - 1].isalnum() or html[match.start() - 1] == "."):
            return " ".join(match.group(0).split())
    return name


def _as_written(names: Iterable[str], spellings: dict[str, str], html: str) -> list[str]:
    return [spellings.get(_key(name)) or _printed_spelling(name, html) for name in names]


def visible_text(html: str) -> str:
    """The page's text as a reader sees it, folded for searching: no scripts, styles or ``<head>``, no
    markup, entities undone, case folded, whitespace single."""
    return " ".join(unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", html))).split()).casefold()


@functools.lru_cache(maxsize=4)
def _stated(html: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The names the page's ``meta[name=author]``, JSON-LD ``author`` and ``rel``/``itemprop=author``
    markup state. Cached like the JSON-LD blocks: one page's sources are asked about several times."""
    return tuple(meta_authors(html)), tuple(json_ld_authors(html)), tuple(marked_authors(html))


# The metadata trafilatura reads a whole name from, besides ``meta[name=author]``.
_CREATOR_META = ("dc.creator", "dcterms.creator")
_WORD = re.compile(r"\w+")


def _rejoined(names: tuple[str, ...], html: str) -> tuple[str, ...]:
    """trafilatura splits an author at "and", "&" and commas and drops words it takes for noise, which
    cuts an organisation apart ("Center for Drug Evaluation and Research" → "Center; Research"). When
    the pieces are in order inside one name the page's metadata states whole, but do not make up all of
    its words (so it was not a plain list of people, "Ann Lee and Bo Li"), that stated name is the author."""
    if len(names) < 2:
        return names
    pieces = [_WORD.findall(name.casefold()) for name in names]
    for key in ("author", *_CREATOR_META):
        stated = meta_content(html, "name", key)
        if not stated:
            continue
        whole = " ".join(unescape(stated).split())
        words = _WORD.findall(whole.casefold())
        position, covered = 0, 0
        for piece in pieces:
            start = next((i for i in range(position, len(words) - len(piece) + 1)
                          if words[i:i + len(piece)] == piece), None)
            if start is None:
                break
            position, covered = start + len(piece), covered + len(piece)
        else:
            separators = sum(1 for word in words if word in ("and", "und", "et", "y"))
            if covered + separators < len(words):
                return (whole,)
    return names


def _metadata_candidates(extracted: str | None, html: str) -> list[tuple[tuple[str, ...], str]]:
    """The authors each metadata source names, in order of trust: trafilatura's pick, then the page's own
    ``meta[name=author]`` and JSON-LD (trafilatura skips one-word names and JSON-LD authors given as an
    ``@id`` reference)."""
    meta, structured, marked = _stated(html)
    candidates: list[tuple[tuple[str, ...], str]] = []
    # trafilatura's last-resort search takes any element whose class says "author" (a menu item
    # "authorities-…", a footer's copyright line): one entry that is page furniture spoils the whole pick.
    if extracted and not any(is_page_furniture(name) for name in split_names(extracted)):
        spellings = {_key(name): name for name in (*marked, *structured, *meta) if _key(name)}
        picked = _rejoined(split_names(extracted), html)
        candidates.append((tidy_authors(_as_written(picked, spellings, html)), "trafilatura"))
    candidates += [(tidy_authors(meta), "meta author"), (tidy_authors(structured), "json-ld")]
    # The copyright holder (often the agency that built the site) named as the author is the owner.
    holder = _key(unescape(meta_content(html, "name", "copyright") or ""))
    return [(authors, source) for authors, source in candidates
            if authors and not (holder and _key(authors[0]) and _key(authors[0]) in holder)]


def _stated_keys(html: str) -> set[str]:
    """The names the page's own author metadata and markup state, as keys."""
    return {_key(name) for names in _stated(html) for name in names}


def _without_site(name: str, site: set[str]) -> str:
    """``name`` without the site's name printed after it (``Brian Truitt USA TODAY``)."""
    words = name.split()
    for start in range(2, len(words)):
        if _key(" ".join(words[start:])) in site:
            return " ".join(words[:start]).rstrip(",|-–— ")
    return name


def _printed_authors(html: str, printed: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The authors the page prints when no metadata names one: the byline, an author-page link, then
    ``rel``/``itemprop=author`` markup."""
    if printed:
        return printed, "printed byline"
    linked = tidy_authors(linked_byline(html))
    if linked:
        return linked, "author link"
    return tidy_authors(name for name in _stated(html)[2] if _name_in(name)), "author markup"


def reconcile_authors(extracted: str | None, *, html: str, site_name: str | None = None,
                      url: str | None = None) -> tuple[tuple[str, ...], str]:
    """The article's authors and where they came from (``trafilatura``, ``meta author``, ``json-ld``,
    ``printed byline``, ``author link``, ``author markup``)."""
    candidates = _metadata_candidates(extracted, html)
    printed = tidy_authors(printed_byline(html))
    if candidates and candidates[0][1] == "trafilatura" and _key(candidates[0][0][0]) not in _stated_keys(html) \
            and only_in_comments(candidates[0][0][0], html):
        # Found by its class alone, stated by no metadata, printed only in the comments: a commenter.
        candidates = candidates[1:]
    if not candidates:
        return _printed_authors(html, printed)
    authors, source = candidates[0]
    site = site_keys(site_name, url) | {_key(name) for name in publisher_names(html)}
    # The site or its publisher named among people ("Fastarz; Ahmet Serhan") is the publisher, not a writer.
    authors = tuple(name for name in authors if _key(name) not in site) or authors
    if _key(authors[0]) in site:
        # The site as the only author is what many small sites' bylines print; but a source that names
        # someone else (the printed byline first, it is what readers see) names the writer.
        for other, other_source in ((printed, "printed byline"), *candidates[1:]):
            people = tuple(_without_site(name, site) for name in other if _key(name) not in site)
            if people:
                return people, other_source
    # Metadata outlives the byline: a CMS account (``andrew.keaveney``), a template placeholder or the
    # article's previous writer stays in meta and JSON-LD while the page prints someone else. A metadata
    # name the page never shows loses to the name its byline prints.
    if printed and _key(printed[0]) != _key(authors[0]) and authors[0].casefold() not in visible_text(html):
        return printed, "printed byline"
    return authors, source
