"""``newsmill flower``: Flower, the Celery monitor, on the project's app, never without authentication.

Flower answers every request without credentials unless told otherwise (CVE-2022-30034 was about
its auth), so this command refuses to start without a user and password from the environment. They
reach Flower through its own ``FLOWER_BASIC_AUTH`` variable, not the command line, where ``ps`` would
show them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import click

from workers.app import make_app
from workers.command_settings import command_environment, command_settings

MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class FlowerOptions:
    """What ``newsmill flower`` passes to Flower besides the credentials."""

    port: int = 5555
    address: str = "127.0.0.1"
    db: str = "flower.db"
    """State file of ``--persistent``: workers and tasks seen survive a restart."""
    max_tasks: int = 10_000
    """Tasks kept in memory (and in the state file); the oldest are forgotten first."""
    purge_offline_workers: int = 300
    """Seconds after which a worker that went away (scaled down) leaves the dashboard."""
    state_save_interval_ms: int = 60_000
    """Save the state this often too, not only at shutdown: a killed Flower loses at most a minute."""

    def argv(self) -> list[str]:
        return [
            "flower", f"--port={self.port}", f"--address={self.address}", "--persistent=True",
            f"--db={self.db}", f"--max_tasks={self.max_tasks}",
            f"--purge_offline_workers={self.purge_offline_workers}",
            f"--state_save_interval={self.state_save_interval_ms}",
        ]


def basic_auth_from_env(environ: dict[str, str]) -> str:
    """``user:password`` from ``NEWSMILL_FLOWER_USER`` and ``NEWSMILL_FLOWER_PASSWORD``; refuses to
    return anything weak or malformed."""
    user = environ.get("NEWSMILL_FLOWER_USER", "")
    password = environ.get("NEWSMILL_FLOWER_PASSWORD", "")
    if not user or not password:
        raise click.UsageError("set NEWSMILL_FLOWER_USER and NEWSMILL_FLOWER_PASSWORD: Flower never runs "
                               "without authentication")
    if ":" in user or "," in user + password:
        # Flower splits its credential list on ',' and each credential on the first ':'.
        raise click.UsageError("NEWSMILL_FLOWER_USER may not contain ':' or ','; neither may contain ','")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"NEWSMILL_FLOWER_PASSWORD must have at least {MIN_PASSWORD_LENGTH} characters")
    return f"{user}:{password}"


@click.command(short_help="Start Flower, the web monitor, with basic auth.")
@click.option("--port", type=int, envvar="NEWSMILL_FLOWER_PORT", default=FlowerOptions.port, show_default=True)
@click.option("--address", envvar="NEWSMILL_FLOWER_ADDRESS", default=FlowerOptions.address, show_default=True,
              help="Interface to listen on (0.0.0.0 inside a container).")
@click.option("--db", envvar="NEWSMILL_FLOWER_DB", default=FlowerOptions.db, show_default=True,
              help="State file of --persistent.")
@click.option("--max-tasks", type=int, envvar="NEWSMILL_FLOWER_MAX_TASKS", default=FlowerOptions.max_tasks,
              show_default=True, help="Tasks kept in memory.")
@click.option("--purge-offline-workers", type=int, envvar="NEWSMILL_FLOWER_PURGE_OFFLINE_WORKERS",
              default=FlowerOptions.purge_offline_workers, show_default=True,
              help="Seconds before a worker that went away leaves the dashboard.")
@click.option("--broker", envvar="NEWSMILL_BROKER_URL", help="Celery broker URL (default: local Redis).")
def flower(port: int, address: str, db: str, max_tasks: int, purge_offline_workers: int,
           broker: str | None) -> None:
    """Start Flower (basic auth from NEWSMILL_FLOWER_USER / NEWSMILL_FLOWER_PASSWORD), persistent state."""

    environ = command_environment(broker)
    # Flower reads its credentials from its own variable in this process (not argv, which ps shows).
    os.environ["FLOWER_BASIC_AUTH"] = basic_auth_from_env(environ)
    options = FlowerOptions(port=port, address=address, db=db, max_tasks=max_tasks,
                            purge_offline_workers=purge_offline_workers)
    make_app(command_settings(environ)).start(options.argv())
