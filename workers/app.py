"""The Celery app: ``celery -A workers.app worker`` or ``newsmill worker`` start workers from it."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import setup_logging

from newsmill.settings import Settings
from workers import broker as _broker  # noqa: F401  (connects the start-up declaration of every queue)
from workers.config import celery_config
from workers.logging import configure_logging
from workers.reconciler import SupervisionStep


def make_app(settings: Settings) -> Celery:
    app = Celery("newsmill", include=["tasks.stages"])
    app.conf.update(celery_config(settings))
    # Heartbeats and the reconciler run in every worker's main process (see workers/reconciler.py).
    app.steps["worker"].add(SupervisionStep)
    return app


settings = Settings.from_env()
app = make_app(settings)


@setup_logging.connect
def _setup_logging(**_: Any) -> None:
    # Connecting this signal stops Celery from configuring logging itself.
    configure_logging(log_format=settings.log_format, level=settings.log_level)
