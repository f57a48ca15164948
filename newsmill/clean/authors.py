"""Author names as a byline gives them, without what surrounds them on the page.

trafilatura reads authors from metadata and from byline markup; the markup often carries more than the
name: ``By``/``Author``/``Written by`` before it, a role (``Senior Autos Reporter``) or the date
(``December 19``, ``Last updated``) after it, a bare label (``Name``) beside it. A wrong author is
worse than none for people who aggregate by author, so what cannot be reduced to a name is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^(?:(?:this\s+(?:post|article|story)\s+(?:was\s+)?)?(?:written|posted|reported|published|recipe|article|"
    r"story|words|reviewed|edited|compiled|photos?|text)\s+by|(?:view|see)\s+(?:all|more)\s+posts(?:\s+by)?|"
    r"more\s+posts\s+by|read\s+more\s+(?:about|from|by)|about\s+the\s+author|about\s+the|about|by|author|authors|"
    # "by" in Spanish/Portuguese, French, Dutch and the Scandinavian languages ("von" and "di" are also
    # name particles, so they stay).
    r"por|par|door|av)\b"
    r"[\s:|–-]*",
    re.IGNORECASE,
)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_TOKENS = frozenset(_MONTHS) | frozenset(month[:3] for month in _MONTHS) | {"sept"}
# Month names that are also names (Jo March, Theresa May, Wang Jun, María del Mar): these and the
# abbreviations end a name only when a day or year follows them.
_NAME_MONTHS = frozenset({"april", "may", "june", "july", "august", "march"})
# Abbreviations that are also names (Pieter Jan Mol, Wang Jun, María del Mar).
_NAME_MONTH_ABBREVIATIONS = frozenset({"jan", "mar", "jun", "jul", "may"})
# Separators a byline puts between the name and a date or a role: the name always ends there.
_SEPARATORS = frozenset({"|", "•", "·", "⋅", "∙", "●", "-", "–", "—"})
# Words that start an update note. "Last" and "On" are also surnames (Jonathan V. Last), so they end a
# name only when the note goes on (``Last updated``, ``On December 9``).
_NOTE_WORDS = frozenset({"updated", "published", "posted", "modified"})
_NOTE_STARTS = frozenset({"last", "on", "at"})
# Job titles that follow a name in bylines; the name ends at the first of them (or at a modifier before it).
_ROLES = frozenset({
    "editor", "writer", "reporter", "correspondent", "contributor", "columnist", "journalist", "author",
    "producer", "consultant", "analyst", "director", "manager", "founder", "co-founder", "ceo", "head",
    "staff", "intern", "photographer", "critic", "host", "anchor", "researcher", "expert", "attorney",
})
_ROLE_MODIFIERS = frozenset({
    "senior", "junior", "chief", "deputy", "managing", "associate", "executive", "contributing", "staff",
    "former", "lead", "special", "trending", "guest", "freelance", "trial",
})
# Words that are labels or placeholders, never a name on their own.
_NOT_NAMES = frozenset({"name", "author", "the author", "admin", "human", "staff", "editor", "editors",
                        "unknown", "anonymous", "guest", "team", "by", "undefined", "null", "none", "webmaster"})
_NAME_PARTICLES = frozenset({"de", "del", "della", "der", "den", "van", "von", "da", "di", "du", "la", "le", "los",
                             "las", "bin", "al", "y", "e", "dos", "das", "do"})
_SUFFIX_PUNCTUATION = " ,;:|•·⋅∙●-–—\"“”"


def _is_date_part(word: str) -> bool:
    return word.rstrip(",.").isdigit()


def _ends_name(words: list[str], index: int) -> bool:
    """Whether the name ends before ``words[index]`` (a separator, an update note or a date)."""
    word = words[index]
    following = words[index + 1] if index + 1 < len(words) else ""
    if word in _SEPARATORS or word in _NOTE_WORDS:
        return True
    if word in _NOTE_STARTS:
        return following in _NOTE_WORDS or following in _MONTH_TOKENS or _is_date_part(following)
    if word in _MONTH_TOKENS:
        if _is_date_part(following):
            return True
        # A month that is no name, last in the entry: "Jordana Cepelewicz December", "Wyndo Dec" (the day
        # was in another element).
        return not following and word not in _NAME_MONTHS and word not in _NAME_MONTH_ABBREVIATIONS
    return False


# More words than any name has, particles aside: a menu or a sentence caught by a class name.
_MAX_NAME_WORDS = 6
_COPYRIGHT = re.compile(r"©|&copy;|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.IGNORECASE)


def is_page_furniture(raw: str) -> bool:
    """Whether a byline entry is a copyright notice or a run of menu text rather than a name."""
    words = [word for word in _PREFIX.sub("", raw.strip()).split() if word.casefold() not in _NAME_PARTICLES]
    return bool(_COPYRIGHT.search(raw)) or len(words) > _MAX_NAME_WORDS


def _is_monogram(token: str, following: list[str]) -> bool:
    """Whether ``token`` is the initials of the words after it, as an avatar without a picture shows them."""
    initials = "".join(word[0] for word in following[:len(token)])
    return 2 <= len(token) <= 3 and token.isupper() and token == initials


def tidy_author(raw: str) -> str | None:
    """The name in one byline entry, or None when it holds no name."""
    text = " ".join(raw.split())
    if "@" in text or "://" in text or text.casefold().startswith(("www.", "www ")):
        return None  # an e-mail address or a profile URL, not a byline
    text = _PREFIX.sub("", text).strip(_SUFFIX_PUNCTUATION)
    tokens = text.split()
    words = [token.casefold().strip(".,:;") for token in tokens]
    if not words or _ends_name(words, 0) or all(word in _ROLES | _ROLE_MODIFIERS for word in words):
        return None  # "Updated January 3", "Trial Attorney": a note or a role, no name
    if len(tokens) >= 3 and _is_monogram(tokens[0], tokens[1:]):
        tokens, words = tokens[1:], words[1:]  # "CM Craig McCarthy": the avatar's initials before the name
    kept: list[str] = []
    for index, token in enumerate(tokens):
        rest = words[index:]
        if index and _ends_name(words, index):
            break
        if index and words[index] in _ROLES | _ROLE_MODIFIERS and (
                len(kept) >= 2 or (len(rest) >= 2 and all(w in _ROLES | _ROLE_MODIFIERS for w in rest))):
            break  # "Keith Barry Senior Autos Reporter", "HomeAdvisor Staff Writer"; not "Mark Head"
        kept.append(token)
    name = " ".join(kept).strip(_SUFFIX_PUNCTUATION)
    if not name or name.casefold() in _NOT_NAMES or name.casefold().strip(".") in _MONTH_TOKENS:
        return None
    if not any(char.isalpha() for char in name):
        return None
    return name


# Post-nominal letters that a comma in "Cara Dumaplin, RN, BSN" split into entries of their own. An
# explicit list: short all-caps entries are also wire agencies (AP, AFP, SANA), which must stay.
_CREDENTIALS = frozenset({
    "md", "do", "rn", "bsn", "msn", "np", "phd", "ms", "msc", "ma", "mba", "mph", "rd", "ld", "ldn", "cpa", "cfp",
    "cfa", "cpp", "psp", "jd", "esq", "dds", "dmd", "dvm", "facp", "fand", "lcsw", "cscs", "pe", "pharmd",
})


def _is_credential(name: str) -> bool:
    return name.replace(".", "").casefold() in _CREDENTIALS


def tidy_authors(names: Iterable[str]) -> tuple[str, ...]:
    """Each name tidied, empty and repeated ones and stray credentials left out, order kept."""
    tidied: list[str] = []
    for raw in names:
        name = tidy_author(raw)
        if name and name not in tidied:
            tidied.append(name)
    if len(tidied) > 1:
        tidied = [name for name in tidied if not _is_credential(name)] or tidied[:1]
    return tuple(tidied)
