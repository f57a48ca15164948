"""Places: the record's place entities and its dateline resolved to GeoNames places, and its country.

Runs after ``entities`` and reads its GPE and LOC entities; without them (the entities stage did not run
or skipped the article) it does nothing and records ``no_entities``. Resolution and the choice of the
primary country are in :mod:`newsmill.enrich.geo.resolve`; the index in :mod:`newsmill.enrich.geo.index`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import MISSING

from newsmill import stage_version
from newsmill.enrich.geo import GeoIndex, Mention, Resolved, data_version, primary_country, resolve, shared_index
from newsmill.enrich.geo.index import GeoOptions
from newsmill.record import ArticleRecord, StageRun

VERSION = stage_version("places")
PLACE_LABELS = frozenset(("GPE", "LOC"))


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
        resolved = resolve(index or shared_index(), found)
        places, country = places_of(resolved), primary_country(resolved)
    tool = f"newsmill.enrich.geo; {data_version()}"
    run = StageRun(stage="enrich.places", version=f"{VERSION}; {data_version()}",
                   fields={} if found is None else {"places": tool, "country": tool},
                   skipped="no_entities" if found is None else None)
    return record.with_stage(run, places=places, country=country)
