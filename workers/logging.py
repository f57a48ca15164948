"""Structured logging: structlog JSON lines (a readable console renderer on a terminal).

Celery's own log records go through the same processors, so one stream of JSON events comes out of a
worker. Context (``task_id``, ``job_id``, ``article_id``, ``stage``) is bound per task with contextvars,
which are per thread, so the ``io`` worker's thread pool keeps contexts apart.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from celery.app.log import Logging

SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def _renderer(log_format: str, stream: Any) -> Any:
    console = log_format == "console" or (log_format == "auto" and hasattr(stream, "isatty") and stream.isatty())
    if console:
        return structlog.dev.ConsoleRenderer()
    return structlog.processors.JSONRenderer(ensure_ascii=False)


class TaskPayloadFilter(logging.Filter):
    """Celery's per-task lines ("received", "succeeded in 0.2s: <return value>") carry the task's
    arguments and its return value (whole records) in their message and extra ``data``: at INFO that
    was ~55 KB of log per article. Keep what says which task it was and how long it took; the record's
    summary is in our own ``article.done`` event."""

    _KEEP = frozenset({"id", "name", "runtime", "hostname", "eta", "exc", "description"})

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("celery."):
            return True
        data = getattr(record, "data", None)
        if isinstance(data, dict):
            record.data = {key: value for key, value in data.items() if key in self._KEEP}
        if isinstance(record.args, dict):
            args: dict[str, Any] = dict(record.args)
            for key in ("return_value", "args", "kwargs"):
                if key in args:
                    args[key] = "…"
            record.args = args
        return True


def configure_logging(*, log_format: str = "auto", level: str = "INFO", stream: Any = None) -> None:
    """Route structlog and the standard library (Celery, kombu, httpx) through one processor chain."""
    stream = stream if stream is not None else sys.stderr
    structlog.configure(
        # filter_by_level first: events below the level cost one comparison, not a processor chain.
        processors=[structlog.stdlib.filter_by_level, *SHARED_PROCESSORS,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _renderer(log_format, stream),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(TaskPayloadFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO; our own events already say what was fetched.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class StructlogLogging(Logging):  # type: ignore[misc]  # Celery is untyped
    """The app's logging set-up (``Celery(log=...)``): :func:`configure_logging` with the app's settings,
    in place of Celery's own handlers."""

    def setup_logging_subsystem(self, *args: Any, **kwargs: Any) -> bool | None:
        # Like Celery's: once per process tree (a pool child inherits the set-up, and says "not handled").
        if self.already_setup:
            return None
        Logging._setup = True
        settings = self.app.settings
        configure_logging(log_format=settings.log_format, level=settings.log_level)
        return True
