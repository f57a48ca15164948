"""The Celery app, built by :func:`make_app` from a :class:`~newsmill.settings.Settings` value.

``newsmill worker`` (and ``flower``, ``healthcheck``, the producer in ``enqueue``/``run``) build their
app from the settings they read at start-up. For ``celery -A workers.app worker``, Celery looks up the
attribute ``app`` of this module (``celery.app.utils.find_app``); the module's ``__getattr__`` builds it
then, from the environment, at that process's start, and not when the module is imported. (``-A
workers.app:make_app`` would not do: Celery takes the callable itself as the app, it does not call it.)
"""

from __future__ import annotations

import functools
from typing import Any

from celery import Celery

from newsmill.settings import Settings
from tasks.stages import StageTasks, register
from workers import broker as _broker  # noqa: F401  (connects the start-up declaration of every queue)
from workers.config import celery_config
from workers.metrics import observer_for
from workers.reconciler import SupervisionStep
from workers.resources import ProcessResources, ResourcesStep


class NewsmillApp(Celery):  # type: ignore[misc]  # Celery is untyped
    """A Celery app configured from one settings value, with newsmill's tasks and worker steps."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        kwargs.setdefault("main", "newsmill")
        kwargs.setdefault("log", "workers.logging:StructlogLogging")
        super().__init__(**kwargs)
        self.settings = settings
        self.conf.update(celery_config(settings))
        self.process_resources = ProcessResources(settings, observer_for(settings))
        self.stage_tasks: StageTasks = register(self, self.process_resources.get)
        self.steps["worker"].add(ResourcesStep)
        # Heartbeats and the reconciler run in every worker's main process (see workers/reconciler.py).
        self.steps["worker"].add(SupervisionStep)

    def __reduce_keys__(self) -> dict[str, Any]:
        # A pool child started by spawn rebuilds the app from these (celery.app.base._unpickle_app_v2).
        keys: dict[str, Any] = super().__reduce_keys__()
        keys.pop("changes", None)  # derived from the settings again
        return {**keys, "settings": self.settings}


def make_app(settings: Settings) -> NewsmillApp:
    return NewsmillApp(settings)


@functools.cache
def _app_from_environment() -> NewsmillApp:
    return make_app(Settings.from_env())


def __getattr__(name: str) -> Any:
    # Only for `celery -A workers.app`: newsmill's own commands call make_app with their settings.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
