"""Common first names, which are also the names of towns (``Charlotte``, ``Victoria``, ``Tyler``).

The list is Faker's: its English-language person providers (US and British) carry the first names
most given in those countries (the US list with the Social Security Administration's frequencies), a
few hundred each, so "common" means common, not merely attested. Read once per process, offline.
"""

from __future__ import annotations

import functools

from newsmill.enrich.geo.normalise import fold


@functools.cache
def first_names() -> frozenset[str]:
    """Case-folded common first names."""
    # Imported here: only the places stage needs the lists, and faker's providers are ~40 ms to load.
    from faker.providers.person.en_GB import Provider as British
    from faker.providers.person.en_US import Provider as American

    names: set[str] = set()
    for provider in (American, British):
        for table in (provider.first_names_female, provider.first_names_male):
            names.update(fold(name) for name in table)
    return frozenset(names)


def is_first_name(text: str) -> bool:
    """True for a single word that is a common first name (``Charlotte``; not ``Charlotte Amalie``)."""
    return " " not in text.strip() and fold(text.strip()) in first_names()
