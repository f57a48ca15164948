"""Celery side of newsmill: the app and its configuration, logging, per-process resources, the CLI and
the embedded runner. The pipeline logic itself lives in the Celery-free ``newsmill`` package."""
