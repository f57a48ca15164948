"""``newsmill healthcheck``: does a worker on this host answer through the broker?

The container image's ``HEALTHCHECK`` and Kubernetes' probes run it. A worker that is alive as a process
but no longer consumes (lost broker connection, blocked main loop) does not answer, and fails it.
"""

from __future__ import annotations

import re
import socket

import click

from workers.app import make_app
from workers.command_settings import command_environment, command_settings


def this_host_pattern(hostname: str) -> str:
    """Worker node names end in ``@<host>`` (``newsmill worker`` names them ``<queues>-<pid>@%h``)."""
    return f".*@{re.escape(hostname)}$"


@click.command(short_help="Exit 0 if a worker on this host answers a ping.")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait for an answer.")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
def healthcheck(timeout: float, broker: str | None) -> None:
    """Exit 0 if a worker on this host answers a ping through the broker, else 1."""

    app = make_app(command_settings(command_environment(broker)))

    host = socket.gethostname()
    # Only this host's workers are asked (the pattern is matched by each worker), so a health check
    # costs one reply per local worker, however many hosts share the broker.
    replies = app.control.ping(timeout=timeout, pattern=this_host_pattern(host), matcher="pcre") or []
    answered = sorted(name for reply in replies for name in reply)
    if not answered:
        click.echo(f"no worker on {host} answered within {timeout}s", err=True)
        raise SystemExit(1)
    click.echo(" ".join(answered))
