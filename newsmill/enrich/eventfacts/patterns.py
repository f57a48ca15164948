"""Event phrases: a casualty or arrest verb (or noun) next to a quantity of people.

Two shapes cover most news English. *Forward*: the trigger comes first and the quantity is its object
(``killing 14 civilians``, ``claiming the lives of 14``, ``the deaths of thousands``, ``arrested 12``).
*Backward*: the quantity comes first and the trigger says what happened to it, passive or predicative
(``14 people were killed``, ``at least 3 wounded``, ``left thousands of civilians dead``). Without a
quantity next to a trigger there is no event: ``killed the bill`` and ``14 civilians attended`` are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from newsmill.enrich.eventfacts.quantities import Quantity, find_quantities


def _words(text: str) -> list[str]:
    """A word list written as one string, to keep long vocabularies readable."""
    return text.split()

EventType = Literal["killed", "injured", "arrested", "displaced", "missing", "kidnapped"]

_FORWARD: dict[str, str] = {
    "killed": r"kill(?:ed|ing|s)|murder(?:ed|ing|s)|massacr(?:ed|ing|es)|slaughter(?:ed|ing|s)|"
              r"(?:shot|shooting|gunned|gunning)\s+(?:dead|down)|execut(?:ed|ing)|"
              r"(?:claim(?:ed|ing|s)?|took|tak(?:es|ing)|cost(?:s|ing)?)\s+the\s+lives\s+of|"
              r"the\s+(?:deaths?|killings?|murders?)\s+of|"
              r"death\s+toll\s+(?:\w+\s+){0,5}?(?:to|at|of)",
    "injured": r"injur(?:ed|ing|es)|wound(?:ed|ing)|maim(?:ed|ing)|injuries\s+to",
    "arrested": r"arrest(?:ed|ing|s)|detain(?:ed|ing|s)|apprehend(?:ed|ing|s)|round(?:ed|ing)\s+up|"
                r"the\s+(?:arrests?|detention)\s+of",
    "displaced": r"displac(?:ed|ing|es)|uproot(?:ed|ing)|the\s+displacement\s+of",
    "kidnapped": r"kidnap(?:ped|ping|s)|abduct(?:ed|ing|s)|the\s+(?:kidnapping|abduction)s?\s+of",
}
_BACKWARD: dict[str, str] = {
    "killed": r"killed|dead|died|perished|slain|murdered|massacred|executed|lost\s+their\s+lives|"
              r"(?:shot|gunned)\s+(?:dead|down)|deaths|fatalities",
    "injured": r"injured|wounded|hurt|maimed|injuries",
    "arrested": r"arrested|detained|apprehended|rounded\s+up|taken\s+into\s+custody|arrests",
    "displaced": r"displaced|homeless|uprooted|fled(?:\s+their\s+homes)?|"
                 r"forced\s+(?:to\s+flee|from\s+their\s+homes|out\s+of\s+their\s+homes)",
    "missing": r"missing|unaccounted\s+for",
    "kidnapped": r"kidnapped|abducted|(?:taken|held)\s+(?:hostage|captive)",
}


def _alternation(triggers: dict[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?P<{kind}>\b(?:{rx})\b)" for kind, rx in triggers.items()), re.IGNORECASE)


_FORWARD_RX = _alternation(_FORWARD)
_BACKWARD_RX = _alternation(_BACKWARD)
# Between a forward trigger and its quantity: nothing, or a filler such as "a total of".
_FORWARD_GAP = re.compile(r"\s+(?:(?:a\s+total\s+of|another|a\s+further)\s+)?", re.IGNORECASE)
# Between a quantity and a backward trigger: auxiliaries and adverbs ("were reportedly"), or an
# aside between commas ("14 people, including five children, were killed").
_AUX = (r"were|was|have|has|had|been|being|are|is|got|remain(?:ed|s)?|still|also|reportedly|reported|"
        r"believed\s+to\s+be|feared|confirmed|later|all|so\s+far|in\s+total")
_BACKWARD_GAP = re.compile(rf"(?:\s*,[^,.;]{{1,80}},)?\s+(?:(?:{_AUX})\s+)*", re.IGNORECASE)
_PASSIVE = re.compile(rf"\b(?:{_AUX})\b", re.IGNORECASE)
# A quantity after "no" counts nobody ("no one was killed"); a verb after a modal did not happen.
_NEGATED = re.compile(r"\b(?:no|not|none\s+of\s+the|without)\s+$", re.IGNORECASE)
# A forward quantity without people must end its phrase: "killed two birds", "killed 3 years ago" count
# things or time. These words may follow a bare number ("arrested 12 in raids").
_BARE_FOLLOWERS = frozenset(_words(
    "and or in on at near during across after before when while since following including as by from "
    "of over inside outside throughout overnight amid with this last yesterday today more"))
_NEXT_WORD = re.compile(r"\s+([A-Za-z][\w'’-]*)")
_HYPOTHETICAL = re.compile(r"\b(?:could|would|might|may|will|shall|can|not|never|n't)\s+(?:have\s+)?$",
                           re.IGNORECASE)


@dataclass(frozen=True)
class EventMatch:
    """One event phrase in a sentence; offsets are into the sentence."""

    type: EventType
    start: int
    end: int
    quantity: Quantity


def may_hold_events(text: str) -> bool:
    """False when ``text`` has no trigger word at all: a cheap test that spares most paragraphs the
    sentence splitter and the quantity search."""
    return bool(_FORWARD_RX.search(text) or _BACKWARD_RX.search(text))


def find_events(sentence: str) -> list[EventMatch]:
    """The event phrases of one sentence, in order, one per (type, quantity)."""
    if not may_hold_events(sentence):
        return []
    quantities = [q for q in find_quantities(sentence) if not _NEGATED.search(sentence[:q.start])]
    by_start = {q.start: q for q in quantities}
    found: dict[tuple[str, int], EventMatch] = {}
    for match in _FORWARD_RX.finditer(sentence):
        quantity = _quantity_after(match.end(), sentence, by_start)
        if quantity is None or quantity.year_like or _counts_things(quantity, sentence) \
                or _hypothetical(match, sentence):
            continue
        kind = _kind(match)
        found.setdefault((kind, quantity.start), EventMatch(kind, match.start(), quantity.end, quantity))
    for quantity in quantities:
        event = _backward(quantity, sentence, by_start)
        if event is not None:
            found.setdefault((event.type, quantity.start), event)
    return sorted(found.values(), key=lambda e: (e.start, e.end))


def _kind(match: re.Match[str]) -> EventType:
    # Every alternative of the trigger patterns is a group named after its event type.
    return cast(EventType, match.lastgroup)


def _quantity_after(position: int, sentence: str, by_start: dict[int, Quantity]) -> Quantity | None:
    gap = _FORWARD_GAP.match(sentence, position)
    return by_start.get(gap.end()) if gap else None


def _counts_things(quantity: Quantity, sentence: str) -> bool:
    if quantity.who is not None or sentence[quantity.start:quantity.end].lower().endswith("others"):
        return False
    return _followed_by_noun(quantity.end, sentence)


def _followed_by_noun(position: int, sentence: str) -> bool:
    following = _NEXT_WORD.match(sentence, position)
    if following is None:
        return False
    word = following.group(1)
    return word.islower() and word not in _BARE_FOLLOWERS


def _hypothetical(trigger: re.Match[str], sentence: str) -> bool:
    # Nominal triggers ("led to the deaths of") carry no modal; only verbs can be hypothetical.
    return not trigger.group().lower().startswith("the") and bool(
        _HYPOTHETICAL.search(sentence[:trigger.start()]))


def _backward(quantity: Quantity, sentence: str, by_start: dict[int, Quantity]) -> EventMatch | None:
    gap = _BACKWARD_GAP.match(sentence, quantity.end)
    if gap is None:
        return None
    trigger = _BACKWARD_RX.match(sentence, gap.end())
    if trigger is None or (quantity.year_like and not _PASSIVE.search(gap.group())):
        return None
    passive = bool(_PASSIVE.search(gap.group()))
    # "14 soldiers killed 3 militants": without an auxiliary, a verb followed by its own quantity
    # makes the first quantity its agent, not its victims; the forward reading takes the object.
    if not passive and _quantity_after(trigger.end(), sentence, by_start) is not None:
        return None
    # "one dead switch": without an auxiliary or people, a trigger followed by a noun is an adjective.
    if not passive and quantity.who is None and _followed_by_noun(trigger.end(), sentence):
        return None
    return EventMatch(_kind(trigger), quantity.start, trigger.end(), quantity)
