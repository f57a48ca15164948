"""Where an event happened: the place name nearest to it in its sentence.

Candidates come from the record's named entities when the ``entities`` stage ran (GPE, LOC and FAC
mentions), else from a capitalised-name heuristic: a name after a place preposition (``in Raqqa``,
``in the province of Deir Ezzor``) or before a place word (``al-Qussour neighborhood``). A small place
inside a larger one (``al-Qussour neighborhood in Deir Ezzor city``) reports the larger one as the place
and the smaller as its detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


def _words(text: str) -> list[str]:
    """A word list written as one string, to keep long vocabularies readable."""
    return text.split()


_SMALL = r"neighbou?rhoods?|district|quarter|village|camp|suburb|street|square|area|town|hospital|market"
_LARGE = r"city|province|governorate|region|countryside|county|state|country"
_TYPE = re.compile(rf"\s+(?:(?P<small>{_SMALL})|(?P<large>{_LARGE}))\b", re.IGNORECASE)
_NAME = r"(?:(?:al|el|ad|as|ash|ar|az|an|at|ed|es|ibn|bin)-)?[A-Z][\w'’-]*(?:\s+(?:(?:al|el)-)?[A-Z][\w'’-]*){0,3}"
_AFTER_PREPOSITION = re.compile(
    rf"\b(?:[Ii]n|near|at|outside|around|across|into|towards?|from)\s+(?:the\s+)?"
    rf"(?:(?:{_SMALL}|{_LARGE})\s+of\s+)?(?P<name>{_NAME})")
_BEFORE_TYPE = re.compile(rf"(?P<name>{_NAME})(?=\s+(?:{_SMALL}|{_LARGE})\b)")
_INSIDE = re.compile(r"\s*,?\s+(?:in|of)\s+(?:the\s+)?$")
_NOT_PLACES = frozenset(_words(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "Ministry Council Army Forces Nations Organization Organisation Committee Party Government University "
    "Company Group Coalition Court Police General Secretary President Minister Chairman Office Agency "
    "Department Assembly Parliament Union Front Movement Brigade Brigades Division Command Authority "
    "ISIS Daesh Mr Mrs Ms Dr The This That These Those It He She They We I A An Addition"))
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


@dataclass(frozen=True)
class EventPlace:
    """A place mention in a sentence (offsets into the sentence) and, when it lies inside another
    mentioned place, the smaller one as ``detail``. Only a name as written: resolving it to a real place
    is :class:`newsmill.enrich.geo.Place`'s business, in the ``places`` stage."""

    start: int
    end: int
    name: str
    detail: str | None = None


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    """Past the place word if one follows (``neighborhood``)."""
    name: str
    small: bool


def find_places(sentence: str, entities: Sequence[dict[str, Any]] | None) -> list[EventPlace]:
    """Place mentions in ``sentence``, in order, small places folded into the larger ones around them."""
    if entities is None:
        mentions = _from_heuristic(sentence)
    else:
        # A name with a place word after it ("al-Qussour neighborhood") is a place even when the entity
        # model calls it a person; entity mentions come first and win any overlap.
        typed = [m for m in _from_heuristic(sentence) if m.end > m.start + len(m.name)]
        mentions = _without_overlaps([*_from_entities(sentence, entities), *typed])
    places: list[EventPlace] = []
    index = 0
    while index < len(mentions):
        mention = mentions[index]
        outer = mentions[index + 1] if index + 1 < len(mentions) else None
        if mention.small and outer is not None and _INSIDE.match(sentence[mention.end:outer.start]):
            places.append(EventPlace(mention.start, outer.end, outer.name, detail=mention.name))
            index += 2
            continue
        places.append(EventPlace(mention.start, mention.end, mention.name))
        index += 1
    return places


def nearest(places: Sequence[EventPlace], start: int, end: int) -> EventPlace | None:
    """The place closest to the span ``start:end`` (an earlier one wins a tie)."""
    def distance(place: EventPlace) -> int:
        return max(0, place.start - end, start - place.end)

    return min(places, key=distance, default=None)


def _typed(sentence: str, start: int, end: int, name: str) -> _Mention:
    kind = _TYPE.match(sentence, end)
    if kind is None:
        return _Mention(start, end, name, small=False)
    return _Mention(start, kind.end(), name, small=kind.group("small") is not None)


def _from_entities(sentence: str, entities: Sequence[dict[str, Any]]) -> list[_Mention]:
    mentions: dict[int, _Mention] = {}
    for entity in entities:
        text = entity.get("text")
        if entity.get("label") not in PLACE_LABELS or not isinstance(text, str) or not text.strip():
            continue
        name = entity.get("name") or text
        # Not inside a compound: "US" is no place in "US-led".
        for found in re.finditer(rf"(?<![\w-]){re.escape(text)}(?![\w-])", sentence):
            if found.start() not in mentions:
                mentions[found.start()] = _typed(sentence, found.start(), found.end(), name)
    return _without_overlaps(sorted(mentions.values(), key=lambda m: (m.start, -m.end)))


def _from_heuristic(sentence: str) -> list[_Mention]:
    mentions: dict[int, _Mention] = {}
    for rx in (_AFTER_PREPOSITION, _BEFORE_TYPE):
        for found in rx.finditer(sentence):
            name = _trim(found.group("name"))
            if name is not None:
                start = found.start("name")
                mentions.setdefault(start, _typed(sentence, start, start + len(name), name))
    return _without_overlaps(sorted(mentions.values(), key=lambda m: (m.start, -m.end)))


def _trim(name: str) -> str | None:
    """The name without trailing month or weekday words; None when it names an organisation or a person's
    title rather than a place."""
    words = name.split()
    while words and words[-1] in _NOT_PLACES:
        words.pop()
    if not words or any(word in _NOT_PLACES for word in words):
        return None
    return " ".join(words)


def _without_overlaps(mentions: Iterable[_Mention]) -> list[_Mention]:
    """Mentions in order, dropping any that overlaps one kept before it (earlier in ``mentions`` wins)."""
    kept: list[_Mention] = []
    for mention in mentions:
        if all(mention.end <= other.start or mention.start >= other.end for other in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)
