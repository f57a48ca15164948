"""Country names: ISO 3166 names from pycountry plus the short forms news copy actually uses."""

from __future__ import annotations

from collections.abc import Iterator

import pycountry

EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    # pycountry has formal names ("Russian Federation") and some common names ("Syria"); these are the
    # everyday spellings and abbreviations it lacks. Two-letter codes are NOT all aliases ("IN", "IT"
    # are words), so only the ones used as names are listed.
    "US": ("US", "U.S.", "USA", "U.S.A.", "America", "United States"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "RU": ("Russia",),
    "KR": ("Korea",),
    "CD": ("DR Congo", "DRC", "Democratic Republic of Congo", "Congo-Kinshasa"),
    "CG": ("Congo-Brazzaville", "Republic of Congo"),
    "CI": ("Ivory Coast",),
    "CZ": ("Czech Republic",),
    "MM": ("Burma",),
    "NL": ("Holland",),
    "PS": ("Palestine", "Gaza Strip", "West Bank"),
    "TR": ("Turkey", "Türkiye"),
    "TW": ("Taiwan",),
    "VA": ("Vatican", "Vatican City"),
    "MK": ("Macedonia",),
    "SY": ("Syria", "Syrian Arab Republic"),
    "LA": ("Laos",),
    "MD": ("Moldova",),
    "CV": ("Cape Verde",),
    "SZ": ("Swaziland",),
}


def country_names() -> Iterator[tuple[str, str]]:
    """(alpha-2 code, name) for every name or alias of every ISO 3166-1 country."""
    for country in pycountry.countries:
        code = str(country.alpha_2)
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                yield code, str(name)
                if ", " in name:  # "Korea, Republic of" → also "Republic of Korea"
                    head, _, tail = str(name).partition(", ")
                    yield code, f"{tail} {head}"
    for code, aliases in EXTRA_ALIASES.items():
        for alias in aliases:
            yield code, alias
