"""Place-name resolution against GeoNames: a normalised index and context-aware disambiguation."""

from __future__ import annotations

from newsmill.enrich.geo.compact import shared_index
from newsmill.enrich.geo.index import GeoIndex, GeoOptions, Place, data_version
from newsmill.enrich.geo.normalise import place_key
from newsmill.enrich.geo.resolve import Mention, Resolved, primary_country, resolve

__all__ = ["GeoIndex", "GeoOptions", "Mention", "Place", "Resolved", "data_version", "place_key",
           "primary_country", "resolve", "shared_index"]
