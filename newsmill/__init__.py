"""newsmill: load or fetch news articles, clean, extract, enrich and deliver them as structured records.

This package is the pipeline core. It never imports Celery: the same stages run in the Celery chain
(`tasks/`, `workers/`) and in a plain in-process loop (:func:`newsmill.pipeline.process`).
"""

from __future__ import annotations

__version__ = "0.1.0"
