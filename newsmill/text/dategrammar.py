"""How English news copy writes a calendar date: the pieces every date pattern is built from.

Regex fragments (strings, to be composed), not compiled patterns: the date-mention finders of the
``dates`` and ``events`` stages and the dateline recogniser each put them together their own way,
but a month, a day or a year is written the same way everywhere.
"""

from __future__ import annotations

MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
         r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)(?!\w)")
"""A month name, capitalised: "may 5" and "march 3 miles" are not dates. Abbreviations may lack their
dot, as wire copy writes them ("LONDON, Oct 5 (Reuters)"); a full name takes none, so the full stop
after "on 13 December." stays with the sentence."""
DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\w)"
"""A day of the month, possibly ordinal ("23rd"), not the start of a longer number or word."""
YEAR = r"(?:19|20)\d\d(?!\d)"
"""A year of the last or this century: "May 1000 people" is no date."""
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
ISO_DATE = r"\d{4}-\d\d-\d\d(?!\d)"

MONTH_DAY = rf"(?:{MONTH}\s+{DAY}(?:,?\s+{YEAR})?|(?:the\s+)?{DAY}\s+(?:of\s+)?{MONTH}(?:,?\s+{YEAR})?)"
"""A day of a month, year optional, in US or British order: "October 23rd, 2017", "the 23rd of October"."""
CALENDAR_DATE = rf"(?:{WEEKDAY},?\s+)?{MONTH_DAY}"
"""A day of a month, possibly after its weekday: "Monday, October 23"."""
FULL_DATE = rf"(?:{MONTH}\s+{DAY},?\s+{YEAR}|{DAY}\s+{MONTH},?\s+{YEAR})"
"""A day of a month with its year: "October 25, 2017", "25 Oct. 2017"."""
