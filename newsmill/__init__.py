"""newsmill: load or fetch news articles, clean, extract, enrich and deliver them as structured records.

This package is the pipeline core. It never imports Celery: the same stages run in the Celery chain
(`tasks/`, `workers/`) and in a plain in-process loop (:func:`newsmill.pipeline.process`).
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("newsmill")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"


def stage_version(stage: str, *libraries: str) -> str:
    """What a stage records in its provenance: ``newsmill-<stage> <version>``, then ``; <library>
    <version>`` for each installed library whose behaviour shapes the stage's output."""
    parts = [f"newsmill-{stage} {__version__}"]
    parts += [f"{library} {metadata.version(library)}" for library in libraries]
    return "; ".join(parts)
