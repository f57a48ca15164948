"""The worker's main process freezes what it holds before each pool fork (workers/resources.py)."""

from __future__ import annotations

import gc

from celery.signals import worker_before_create_process

import workers.resources  # noqa: F401  # connects the worker's signal handlers


def test_objects_are_frozen_before_a_pool_process_is_forked() -> None:
    gc.unfreeze()
    try:
        worker_before_create_process.send(sender=None)
        # Everything alive now is skipped by later collections, here and in the forked children.
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
