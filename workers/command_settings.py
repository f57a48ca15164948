"""The settings of one ``newsmill`` command: read once, at the command's start, from the environment with
the command's own options (``--broker``, ``--enrich``) laid over it, then passed to whatever it builds.

This (with :mod:`newsmill.settings`, which parses them) is where the environment is read; ``os.environ``
itself is never written to configure anything.
"""

from __future__ import annotations

import os

from newsmill.settings import Settings
from workers.errors import remember_settings


def command_environment(broker: str | None = None, enrich: tuple[str, ...] | None = None) -> dict[str, str]:
    """This process's environment with the command's options laid over it: what its settings are read
    from, and what the worker processes it starts (``run``) inherit."""
    environ = dict(os.environ)
    if broker:
        environ["NEWSMILL_BROKER_URL"] = broker
    if enrich is not None:
        environ["NEWSMILL_ENRICH"] = ",".join(enrich)
    return environ


def command_settings(environ: dict[str, str]) -> Settings:
    """The command's settings, every variable checked (:class:`~newsmill.settings.SettingsError` names
    each bad one)."""
    # Laid over the variables, not over finished settings: the Redis URL defaults to a Redis broker's.
    return remember_settings(Settings.from_env(environ))
