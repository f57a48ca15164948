"""Dateline detection: wire-service openings are split off, ordinary sentences are left alone."""

from __future__ import annotations

import pytest

from newsmill.record import Dateline
from newsmill.text.dateline import dateline_date, split_dateline, without_dateline


@pytest.mark.parametrize(
    ("paragraph", "place", "agency", "rest"),
    [
        ("Damascus, SANA – Foreign Ministry said", "Damascus", "SANA", "Foreign Ministry said"),
        ("Damascus, SANA- Syrian Arab Republic", "Damascus", "SANA", "Syrian Arab Republic"),
        ("Deir Ezzor, SANA – Army units", "Deir Ezzor", "SANA", "Army units"),
        ("WASHINGTON (Reuters) - The Senate voted", "WASHINGTON", "Reuters", "The Senate voted"),
        ("BEIRUT (AP) — Israeli jets struck", "BEIRUT", "AP", "Israeli jets struck"),
        ("LONDON, Oct 5 (Reuters) - Sterling fell", "LONDON", "Reuters", "Sterling fell"),
        ("PARIS (AFP) - France said", "PARIS", "AFP", "France said"),
        ("BERLIN (dpa) - Germany said", "BERLIN", "dpa", "Germany said"),
        ("GAZA CITY (AP/Reuters) — Residents fled", "GAZA CITY", "AP/Reuters", "Residents fled"),
        ("(CNN) — A storm hit", None, "CNN", "A storm hit"),
        ("WASHINGTON — The Senate voted", "WASHINGTON", None, "The Senate voted"),
    ],
)
def test_datelines_are_split_off(paragraph: str, place: str | None, agency: str | None, rest: str) -> None:
    """Each common wire-service dateline form yields its place and agency and is removed from the text."""
    assert split_dateline(paragraph) == (Dateline(place=place, agency=agency), rest)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Damascus, the capital, is one of the oldest cities in the world.",
        "Damascus, Syria – the city woke up to explosions.",
        "London, UK – a rainy day.",
        "Apple (AAPL) - shares rose on Monday.",
        "COVID-19 cases - rose again this week.",
        "BREAKING — the minister has resigned.",
        "The ministry said on Monday that talks would resume.",
        "Damascus, SANA said on Monday that talks would resume.",
        "",
    ],
)
def test_ordinary_sentences_are_not_datelines(paragraph: str) -> None:
    """Sentences without an agency-like token and a dash after it come back unchanged, with no dateline."""
    assert split_dateline(paragraph) == (None, paragraph)


def test_a_dateline_standing_alone_leaves_nothing() -> None:
    """A paragraph that is only a dateline comes back empty, so the cleaner can drop it."""
    assert split_dateline("Hama, SANA-") == (Dateline(place="Hama", agency="SANA"), "")


@pytest.mark.parametrize(
    ("sentence", "rest"),
    [
        ("SPRINGFIELD, Oct. 18, 2023 (Metro Wire) - The council met.", "The council met."),
        ("WASHINGTON (Reuters) - The Senate voted.", "The Senate voted."),
        ("NEW YORK — Stocks fell.", "Stocks fell."),
        ("The council met on Oct. 18 - and voted.", "The council met on Oct. 18 - and voted."),
        ("COVID-19 cases rose.", "COVID-19 cases rose."),
    ],
)
def test_without_dateline_also_cuts_unknown_agencies(sentence: str, rest: str) -> None:
    """A reader's cut: an all-caps place before a dash goes, whatever the agency; prose stays."""
    assert without_dateline(sentence) == rest


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("October 25, 2017 — The vote", "October 25, 2017"),
        ("BEIRUT, Oct. 25, 2017 (AFP) - Lebanese", "Oct. 25, 2017"),
        ("Deir ez-Zor, 25 October 2017 – Army units", "25 October 2017"),
        ("The meeting on October 25, 2017 - it was long", None),
        ("October 25 — no year", None),
    ],
)
def test_dateline_date_is_the_full_date_a_dateline_states(text: str, date: str | None) -> None:
    """Only a full date at the head, before a dash, after nothing but a place."""
    assert dateline_date(text) == date
