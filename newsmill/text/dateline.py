"""Wire-service datelines at the start of a story: ``Damascus, SANA –``, ``WASHINGTON (Reuters) -``.

Both cleaners run :func:`split_dateline` on the first body paragraph. The rules are deliberately
conservative: removing words that were not a dateline damages the text, while leaving a real
dateline in place costs little. So the separator must be a dash, and the agency must look like one
(a known agency name, or an all-caps token where that is unambiguous).

Stages that only read the text may cut more: :func:`without_dateline` also drops an opening the
cleaners kept because its agency is unknown, and :func:`dateline_date` reads the date a dateline
states. All three share the place, dash and date rules below.
"""

from __future__ import annotations

import re

from newsmill.record import Dateline
from newsmill.text.dategrammar import FULL_DATE

KNOWN_AGENCIES: frozenset[str] = frozenset(name.casefold() for name in (
    "AA", "AAP", "ABNA", "AFP", "Agerpres", "ANA", "ANI", "ANP", "ANSA", "Antara", "AP", "APA", "APS",
    "Bernama", "Belga", "Bloomberg", "BNA", "BBC", "BTA", "Canadian Press", "CNA", "CNN", "CP", "CTK",
    "dpa", "EFE", "Europa Press", "Fars", "HINA", "IANS", "Interfax", "IRNA", "ISNA", "Jiji", "KCNA",
    "KUNA", "Kyodo", "Lusa", "MAP", "Mehr", "MENA", "MTI", "NNA", "NTB", "ONA", "PAP", "Petra", "PNA",
    "Prensa Latina", "PTI", "QNA", "Reuters", "RIA Novosti", "Ritzau", "SABA", "SANA", "SPA", "Sputnik",
    "STA", "STT", "Tanjug", "TAP", "TASS", "Tasnim", "TT", "UNI", "UPI", "WAFA", "WAM", "Xinhua", "Yonhap",
))

NOT_AGENCIES: frozenset[str] = frozenset((
    # All-caps tokens that follow a place name but name a country, state or region, not an agency
    # ("London, UK –", "Paris, FRANCE –").
    "UK", "US", "USA", "UAE", "KSA", "DRC", "EU", "DC", "NYC", "FRANCE", "SYRIA", "IRAQ", "IRAN", "CHINA",
    "INDIA", "JAPAN", "ITALY", "SPAIN", "RUSSIA", "EGYPT", "ISRAEL", "LEBANON", "JORDAN", "TURKEY",
))

NOT_PLACES: frozenset[str] = frozenset((
    # All-caps labels that open a story the way a dateline does but name no place ("BREAKING — …").
    "BREAKING", "BREAKING NEWS", "UPDATE", "UPDATED", "EXCLUSIVE", "WATCH", "LISTEN", "OPINION",
    "EDITORIAL", "ANALYSIS", "COMMENT", "NOTE", "EDITOR'S NOTE", "EDITOR’S NOTE", "CORRECTION", "LIVE",
    "VIDEO", "PHOTOS", "ALERT", "URGENT", "FLASH", "REVIEW", "INTERVIEW", "SPONSORED", "ADVERTISEMENT",
))

_DASH = r"(?:--|[-‐‑‒–—―])"
# A place is one to four capitalised words; Arabic and European particles may sit in between
# ("Deir ez-Zor", "Rio de Janeiro").
_WORD = r"[A-Z][\w'’.\-]*"
_PARTICLE = r"(?:al|el|ez|es|ad|as|ash|de|di|du|da|la|le|del|der|den|van|von|bin|ibn)(?:-[\w'’]+)?"
_PLACE = rf"{_WORD}(?:[ \t\u00a0]+(?:{_WORD}|{_PARTICLE})){{0,3}}"
_AGENCY_WORDS = r"[A-Za-z][A-Za-z.&]*(?:[ \t\u00a0][A-Z][A-Za-z.&]*){0,2}"

# "Damascus, SANA –", "Damascus, SANA-".
_COMMA_FORM = re.compile(rf"^(?P<place>{_PLACE}),\s+(?P<agency>{_AGENCY_WORDS})\s*{_DASH}\s*")
# "WASHINGTON (Reuters) -", "LONDON, Oct 5 (Reuters) -", "(CNN) —"; the part between the place and
# the parenthesis (a date, a state) is not kept.
_PAREN_FORM = re.compile(
    rf"^(?:(?P<place>{_PLACE})(?:,[ \t\u00a0]+[^()\n!?;:]{{1,30}}?)?\s+)?"
    rf"\((?P<agency>[^()\n]{{2,40}})\)\s*{_DASH}\s*"
)
# "WASHINGTON —", "NEW YORK, N.Y. —": no agency, but an all-caps place is unmistakable. Spaces around
# the dash keep hyphenated words ("COVID-19") out.
_CAPS_FORM = re.compile(
    r"^(?P<place>[A-Z][A-Z'’.\-]{2,}(?:[ \t\u00a0][A-Z][A-Z'’.\-]+){0,3})"
    rf"(?:,[ \t\u00a0]+[A-Z][A-Za-z.]{{1,10}})?\s+{_DASH}\s+"
)
_CAPS_TOKEN = re.compile(r"[A-Z][A-Z]{1,9}")
# A dateline whose agency is unknown: "SPRINGFIELD, Oct. 18, 2023 (Metro Wire) - …". An all-caps place
# keeps ordinary sentences out.
_LOOSE_FORM = re.compile(
    r"^[A-Z][A-Z'’.\-]+(?:[ \t\u00a0][A-Z][A-Z'’.\-]+){0,3}(?:,[^()\n]{1,30}?)?\s*(?:\([^()\n]{1,40}\)\s*)?"
    rf"{_DASH}\s+"
)
# A full date at the head of the text, before a dash, possibly after a place and with an agency in
# parentheses: "October 25, 2017 — …", "BEIRUT, Oct. 25, 2017 (AFP) - …". The place is capitalised
# words only, so "The meeting on October 25, 2017 — …" is a sentence, not a dateline.
_DATED_FORM = re.compile(
    rf"^(?:{_PLACE},?\s+)?(?P<date>{FULL_DATE})\s*(?:\([^()\n]{{1,40}}\)\s*)?{_DASH}"
)


def _known(agency: str) -> bool:
    return agency.casefold() in KNOWN_AGENCIES


def _agency_in_parens(place: str | None, text: str) -> str | None:
    """The agency named inside ``(…)``: one or more agencies joined by ``/``, ``,`` or ``and``."""
    parts = [part.strip() for part in re.split(r"\s*/\s*|\s+and\s+|\s*,\s*", text.strip())]
    if not parts or not all(_known(part) or _CAPS_TOKEN.fullmatch(part) for part in parts):
        return None
    # An unknown all-caps token after a mixed-case name is more likely a ticker or an acronym
    # ("Apple (AAPL) -") than an agency; after "WASHINGTON" or at the very start it is a dateline.
    if not all(_known(part) for part in parts) and place is not None and not place.isupper():
        return None
    return "/".join(parts)


def _agency_after_comma(place: str, agency: str) -> bool:
    if _known(agency):
        return True
    # An unknown all-caps token is an agency only after a place written in mixed case
    # ("Damascus, SANA –"); after "PARIS," it is more likely a country.
    return (bool(_CAPS_TOKEN.fullmatch(agency)) and len(agency) >= 3 and agency not in NOT_AGENCIES
            and not place.isupper())


def split_dateline(paragraph: str) -> tuple[Dateline | None, str]:
    """The dateline at the start of ``paragraph``, if any, and the paragraph without it.

    Without a dateline the paragraph comes back unchanged (and ``None``). With one, the rest may
    be empty when the dateline stood alone as its own paragraph.
    """
    match = _PAREN_FORM.match(paragraph)
    if match:
        agency = _agency_in_parens(match["place"], match["agency"])
        if agency is not None:
            return Dateline(place=match["place"], agency=agency), paragraph[match.end():]
    match = _COMMA_FORM.match(paragraph)
    if match and _agency_after_comma(match["place"], match["agency"]):
        return Dateline(place=match["place"], agency=match["agency"]), paragraph[match.end():]
    match = _CAPS_FORM.match(paragraph)
    if match and not _known(match["place"]) and match["place"] not in NOT_PLACES:
        return Dateline(place=match["place"], agency=None), paragraph[match.end():]
    return None, paragraph


def without_dateline(text: str) -> str:
    """``text`` without the dateline at its start, by looser rules than :func:`split_dateline`.

    For text that is read, not kept (a summary's opening sentence): an all-caps place before a dash
    opens a story even when the agency after it is not one this module knows.
    """
    return _LOOSE_FORM.sub("", split_dateline(text)[1])


def dateline_date(text: str) -> str | None:
    """The full date (with year), as written, in a dateline at the start of ``text``."""
    match = _DATED_FORM.match(text)
    return match["date"] if match else None
