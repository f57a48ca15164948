"""Places: the record's place entities and its dateline resolved to GeoNames places, and its country.

Runs after ``entities`` and reads its GPE and LOC entities; without them (the entities stage did not run
or skipped the article) it does nothing and records ``no_entities``. Resolution and the choice of the
primary country are in :mod:`newsmill.enrich.geo.resolve`; the index in :mod:`newsmill.enrich.geo.index`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from pydantic import MISSING

from newsmill import stage_version
from newsmill.enrich.geo import GeoIndex, Mention, Resolved, data_version, primary_country, resolve, shared_index
from newsmill.enrich.geo.index import GeoOptions
from newsmill.enrich.geo.resolve import qualifier_places
from newsmill.record import ArticleRecord, StageRun

VERSION = stage_version("places")
PLACE_LABELS = frozenset(("GPE", "LOC"))
_QUALIFIER_WORDS = r"((?:[A-Z][\w'’.-]*\s?){1,3})"


def warm_up(options: GeoOptions | None = None) -> None:
    """Load the place index before the worker forks (its pages are then shared by the children)."""
    shared_index(options)


def mentions(record: ArticleRecord) -> list[Mention] | None:
    """Place mentions from the record's entities and dateline; None when there are no entities.

    A name the entity model also tagged as something else in the same article (``Mary`` a person,
    ``Jordan`` a player) is not taken for a place: one reading is wrong, and a wrong place misleads more
    than a missing one.
    """
    entities = record.entities
    if entities is None or entities is MISSING:
        return None
    elsewhere = {str(e["name"]).casefold() for e in entities if e["label"] not in PLACE_LABELS}
    found = [Mention(text=str(e["name"]), count=int(e["count"])) for e in entities
             if e["label"] in PLACE_LABELS and str(e["name"]).casefold() not in elsewhere]
    if record.dateline and record.dateline.place:
        found.append(Mention(text=record.dateline.place, dateline=True))
    return found


def with_qualifiers(mentions: list[Mention], text: str, index: GeoIndex) -> list[Mention]:
    """Each mention with the country or US state the text writes right after it, if any.

    The entity model splits ``Bristol, England`` and ``Aberdeen, Washington`` into two places; the
    second says which Bristol and which Aberdeen.
    """
    out = []
    for mention in mentions:
        found = None
        if not mention.dateline and mention.qualifier is None:
            pattern = re.compile(rf"(?<!\w){re.escape(mention.text)},\s+{_QUALIFIER_WORDS}")
            for match in pattern.finditer(text):
                words = match.group(1).split()
                for size in range(len(words), 0, -1):
                    phrase = " ".join(words[:size]).rstrip(",")
                    # "England." ends a sentence; "D.C." keeps its dots.
                    found = next((c for c in (phrase.rstrip("."), phrase) if qualifier_places(index, c)), None)
                    if found:
                        break
                if found:
                    break
        out.append(dataclasses.replace(mention, qualifier=found) if found else mention)
    return out


def with_word_flags(mentions: list[Mention], text: str) -> list[Mention]:
    """Each one-word mention flagged when the text also writes it in lower case ("Mobile", "mobile")."""
    words = set(re.findall(r"\b[a-z]+\b", text))
    return [dataclasses.replace(m, also_a_word=True) if m.text.isalpha() and m.text.lower() in words else m
            for m in mentions]


def places_of(resolved: Iterable[Resolved]) -> list[dict[str, Any]]:
    """One entry per place: its GeoNames facts, the spellings the article used and how often."""
    merged: dict[int, dict[str, Any]] = {}
    for item in resolved:
        entry = merged.setdefault(item.place.geonameid, {**item.place.to_dict(), "mentions": [], "count": 0})
        if item.mention.text not in entry["mentions"]:
            entry["mentions"].append(item.mention.text)
        entry["count"] += 0 if item.mention.dateline else item.mention.count
    return sorted(merged.values(), key=lambda entry: -entry["count"])


def enrich(record: ArticleRecord, index: GeoIndex | None = None) -> ArticleRecord:
    """The record with ``places`` and ``country`` (both null, with a skip reason, without entities)."""
    found = mentions(record)
    places: list[dict[str, Any]] | None = None
    country: str | None = None
    if found is not None:
        chosen = index or shared_index()
        text = f"{record.title or ''}\n\n{record.text or ''}"
        resolved = resolve(chosen, with_word_flags(with_qualifiers(found, text, chosen), text))
        places, country = places_of(resolved), primary_country(resolved)
    tool = f"newsmill.enrich.geo; {data_version()}"
    run = StageRun(stage="enrich.places", version=f"{VERSION}; {data_version()}",
                   fields={} if found is None else {"places": tool, "country": tool},
                   skipped="no_entities" if found is None else None)
    return record.with_stage(run, places=places, country=country)
