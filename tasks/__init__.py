"""Thin Celery tasks around the pipeline stages, and the chains that connect them."""
