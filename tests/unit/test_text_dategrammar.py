"""The shared date grammar: what counts as a month, a day and a year in every date pattern."""

from __future__ import annotations

import re

import pytest

from newsmill.text.dategrammar import CALENDAR_DATE, FULL_DATE, MONTH, YEAR

_CALENDAR = re.compile(rf"{CALENDAR_DATE}$")


@pytest.mark.parametrize("text", ["October 23rd", "Oct 5", "Oct. 5, 2023", "the 23rd of October",
                                  "23 October 2017", "Monday, October 23", "Sept. 3"])
def test_calendar_dates(text: str) -> None:
    assert _CALENDAR.match(text)


@pytest.mark.parametrize("text", ["may 5", "October 234", "October 5th-floor", "Octob 5"])
def test_not_calendar_dates(text: str) -> None:
    """Lower-case month names, longer numbers and words are no day of a month."""
    assert not _CALENDAR.match(text)


def test_years_and_full_dates() -> None:
    """A year is of this or the last century; a full date has one."""
    assert re.fullmatch(YEAR, "2017") and not re.match(YEAR, "1000") and not re.match(YEAR, "20171")
    assert re.fullmatch(FULL_DATE, "25 Oct. 2017") and not re.fullmatch(FULL_DATE, "October 25")
    assert re.fullmatch(MONTH, "Jan") and re.fullmatch(MONTH, "January")


def test_a_full_month_name_leaves_the_full_stop_to_the_sentence() -> None:
    """"on 13 December." ends a sentence; "Dec." is an abbreviation."""
    assert [m[0] for m in re.finditer(CALENDAR_DATE, "on 13 December. On 13 Dec. 2017")] == [
        "13 December", "13 Dec. 2017"]
