"""Enrichment stages: each one is a plain function ArticleRecord → ArticleRecord, registered by name.

Adding a stage is local: write a module with an ``enrich`` function and add one line to
:data:`REGISTRY`. Modules are imported only when their stage is used, so a worker that does not run
named-entity recognition never imports spaCy. Settings (``NEWSMILL_ENRICH``) choose which stages run and
in what order; each becomes its own task in the chain.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from newsmill.record import ArticleRecord

EnrichFn = Callable[[ArticleRecord], ArticleRecord]

REGISTRY: dict[str, str] = {
    "reading_time": "newsmill.enrich.reading_time",
    "entities": "newsmill.enrich.entities",
    "places": "newsmill.enrich.places",
    "keywords": "newsmill.enrich.keywords",
    "summary": "newsmill.enrich.summary",
    "tone": "newsmill.enrich.tone",
    "dates": "newsmill.enrich.dates",
    "quotes": "newsmill.enrich.quotes",
    "events": "newsmill.enrich.events",
    "dedup": "newsmill.enrich.dedupe.stage",
}
"""Stage name → module holding ``enrich(record, ...) -> record`` (and optionally ``warm_up()``). Stages that
take options or a shared index (entities, places, summary, dedup) get them from the pipeline
(:mod:`newsmill.pipeline`), which binds each to the process's settings and resources: no stage imports
those layers."""


def get(name: str) -> EnrichFn:
    try:
        module_name = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown enrichment stage {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    module = importlib.import_module(module_name)
    fn: EnrichFn | None = getattr(module, "enrich", None)
    if fn is None:
        raise ValueError(f"enrichment stage {name!r} has no enrich function")
    return fn



def warm_up(name: str, options: object | None = None) -> None:
    """Load the stage's models now (called before a worker's pool forks), with the stage's options from
    the settings if it has any (the spaCy model to load, the place index to read)."""
    module = importlib.import_module(REGISTRY[name])
    hook = getattr(module, "warm_up", None)
    if callable(hook):
        if options is None:
            hook()
        else:
            hook(options)
