"""How many: numbers in digits or words, vague amounts, their qualifiers, and the people they count.

``killing more than 40 others`` holds one :class:`Quantity`: qualifier ``more than``, number 40, who
``others`` (reported as null: it names nobody). Vague amounts (``thousands``, ``dozens``) keep their
words and have no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    """A word list written as one string, to keep long vocabularies readable."""
    return text.split()


_UNITS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen")
_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
_SMALL = {word: value for value, word in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

QUALIFIERS: dict[str, str] = {
    "more than": "more than", "over": "more than", "upwards of": "more than", "in excess of": "more than",
    "at least": "at least", "no fewer than": "at least", "no less than": "at least",
    "not less than": "at least", "a minimum of": "at least",
    "about": "about", "around": "about", "approximately": "about", "roughly": "about", "some": "about",
    "an estimated": "about", "estimated": "about",
    "nearly": "nearly", "almost": "nearly", "close to": "nearly", "just under": "nearly",
    "up to": "up to", "as many as": "up to", "fewer than": "up to", "less than": "up to", "at most": "up to",
}
"""Qualifier as written → one of the five the record schema allows."""

# People an event can count. Singular forms only follow "a"/"an"/"one"; "others" is matched so the
# phrase ends in the right place, then reported as no one in particular.
_PLURAL_WHO = _words(
    "people persons individuals civilians children kids minors infants babies women men boys girls "
    "soldiers troops servicemen officers policemen police security personnel militants fighters "
    "terrorists gunmen insurgents rebels jihadists protesters protestors demonstrators activists "
    "students workers journalists reporters residents villagers inhabitants families members "
    "passengers pilgrims worshippers worshipers migrants refugees patients doctors medics paramedics "
    "nurses teachers staff employees tourists hostages detainees prisoners suspects settlers sailors miners "
    "victims others Palestinians Israelis Syrians Iraqis Afghans Yemenis Ukrainians Russians Kurds")
_SINGULAR_WHO = _words(
    "person civilian child kid minor infant baby woman man boy girl soldier officer policeman "
    "policewoman militant fighter terrorist gunman insurgent rebel protester demonstrator activist "
    "student worker journalist reporter resident villager family member passenger pilgrim migrant "
    "refugee patient doctor medic nurse teacher tourist hostage detainee prisoner suspect settler sailor miner")
UNNAMED_WHO = frozenset({"others"})

_WORD = "|".join(sorted([*_SMALL, *_SCALES], key=len, reverse=True))
_FIRST = "|".join(sorted(_SMALL, key=len, reverse=True))
# A number in words starts with a unit or ten ("two hundred"), or "a" before a scale ("a thousand"):
# a bare "million" is the tail of "$14 million", not a count.
_NUMBER_WORDS = (rf"(?:(?:{_FIRST}|a\s+(?:hundred|thousand|million))(?:[\s-]+(?:and\s+)?(?:{_WORD}))*"
                 rf"(?:\s+dozen)?|half\s+a\s+dozen|a\s+dozen)")
_DIGITS = (r"(?<![\w.,$£€#-])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s+(?:hundred|thousand|million|billion))?"
           r"(?![\d%:]|\.\d|-(?:year|month|day|week|hour|minute))")
_VAGUE = (r"(?:tens|hundreds)\s+of\s+thousands|dozens|scores|hundreds|thousands|millions|several|"
          r"numerous|countless|many")
_SINGLE = rf"(?:an?|one)(?=\s+(?:[\w'’-]+\s+){{0,2}}?(?:{'|'.join(_SINGULAR_WHO)})\b)"
_WHO = "|".join(sorted(_PLURAL_WHO + _SINGULAR_WHO, key=len, reverse=True))
_QUALIFIER = "|".join(sorted((q.replace(" ", r"\s+") for q in QUALIFIERS), key=len, reverse=True))

_QUANTITY = re.compile(
    rf"""\b(?:(?P<qual>{_QUALIFIER})\s+)?
    (?P<num>{_DIGITS}|(?:{_VAGUE}|{_SINGLE}|{_NUMBER_WORDS})\b)
    (?:\s+(?:of\s+)?(?:(?!and\b|or\b)[\w'’-]+\s+){{0,2}}?(?P<who>{_WHO})\b)?""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class Quantity:
    """One counted phrase; offsets are into the string it was found in."""

    start: int
    end: int
    number_start: int
    quantity: int | None
    text: str
    """The number as written: ``14``, ``two dozen``, ``thousands``."""
    qualifier: str | None
    who: str | None
    year_like: bool
    """A bare 4-digit number such as 2011 that more likely names a year than a count."""


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity phrase in ``text``, left to right."""
    found = []
    for match in _QUANTITY.finditer(text):
        number = re.sub(r"\s+", " ", match.group("num"))
        qual = match.group("qual")
        who = match.group("who")
        year_like = bool(re.fullmatch(r"1[89]\d\d|20\d\d", number)) and who is None and qual is None
        found.append(Quantity(
            start=match.start(), end=match.end(), number_start=match.start("num"),
            quantity=parse_number(number), text=number,
            qualifier=QUALIFIERS[re.sub(r"\s+", " ", qual.lower())] if qual else None,
            who=None if who is None or who.lower() in UNNAMED_WHO else who.lower() if who.islower() else who,
            year_like=year_like,
        ))
    return found


def parse_number(text: str) -> int | None:
    """``1,200`` → 1200, ``fourteen`` → 14, ``two dozen`` → 24, ``1.5 million`` → 1500000;
    ``thousands`` and other vague amounts → None."""
    words = re.split(r"[\s-]+", text.lower().replace(",", ""))
    if words[0] in ("a", "an") and len(words) == 1:
        return 1
    if words[0][0].isdigit():
        scale = _SCALES.get(words[-1], 1) if len(words) > 1 else 1
        return round(float(words[0]) * scale)
    total = current = 0
    seen = False
    for word in words:
        if word in ("and", "a", "an"):
            continue
        if word == "half":
            current = current or 1
            continue
        if word == "dozen":
            current = (current or 1) * 12
            if "half" in words:
                current //= 2
        elif word in _SMALL:
            current += _SMALL[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None
