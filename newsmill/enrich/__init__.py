"""Enrichment stages: each one is a plain function ArticleRecord → ArticleRecord, registered by name.

Adding a stage is local: write a module with an ``enrich`` function and add one line to
:data:`REGISTRY`. Modules are imported only when their stage is used, so a worker that does not run
named-entity recognition never imports spaCy. Settings (``NEWSMILL_ENRICH``) choose which stages run and
in what order; each becomes its own task in the chain.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from newsmill.record import ArticleRecord

if TYPE_CHECKING:
    from newsmill.resources import Resources

EnrichFn = Callable[[ArticleRecord], ArticleRecord]
RunnerFn = Callable[[ArticleRecord, "Resources"], ArticleRecord]

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
"""Stage name → module holding ``enrich(record) -> record`` (and optionally ``warm_up()``), or
``enrich_with_resources(record, res)`` for stages that need the process's shared resources or options
from its settings (the near-duplicate index on the process's Redis client, the spaCy model to load)."""


def get(name: str) -> EnrichFn:
    try:
        module_name = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown enrichment stage {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    module = importlib.import_module(module_name)
    fn: EnrichFn | None = getattr(module, "enrich", None)
    if fn is None:
        raise ValueError(f"enrichment stage {name!r} needs a process's resources: run it through runner()")
    return fn


def runner(name: str) -> RunnerFn:
    """How the pipeline calls stage ``name``: with the process's resources when the stage wants them."""
    module = importlib.import_module(REGISTRY[name]) if name in REGISTRY else None
    with_resources = getattr(module, "enrich_with_resources", None)
    if callable(with_resources):
        fn: RunnerFn = with_resources
        return fn
    plain = get(name)
    return lambda record, _res: plain(record)


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
