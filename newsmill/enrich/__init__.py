"""Enrichment stages: each one is a plain function ArticleRecord → ArticleRecord, registered by name.

Adding a stage is local: write a module with an ``enrich_*`` function and add it to :data:`REGISTRY`.
Settings (``NEWSMILL_ENRICH``) choose which run and in what order; each becomes its own task in the chain.
"""

from __future__ import annotations

from collections.abc import Callable

from newsmill.enrich.reading_time import enrich_reading_time
from newsmill.record import ArticleRecord

EnrichFn = Callable[[ArticleRecord], ArticleRecord]

REGISTRY: dict[str, EnrichFn] = {
    "reading_time": enrich_reading_time,
}


def get(name: str) -> EnrichFn:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown enrichment stage {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
