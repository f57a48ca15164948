"""What the ``newsmill`` command says when something outside newsmill is wrong: one line on stderr naming
what to check, and an exit code scripts can rely on. A traceback is for bugs (``--debug`` or
``NEWSMILL_DEBUG=1`` shows it anyway)."""

from __future__ import annotations

import enum
import socket
from typing import Any

import click
import redis
from kombu.exceptions import OperationalError as KombuOperationalError

from newsmill.settings import Settings, SettingsError, mask_url


class ExitCode(enum.IntEnum):
    OK = 0
    """Every input ended ``ok``, ``dropped`` or ``unchanged`` (or: the command did what it was asked)."""
    ERROR = 1
    """A mistake or an outside problem: an input that does not exist, a bad setting, an unreachable
    broker or Redis, Redis out of memory."""
    USAGE = 2
    """The command line itself is wrong (click's usage errors)."""
    FAILED = 3
    """The job finished, but some inputs ended ``failed`` (their records say why)."""
    UNFINISHED = 4
    """The job did not finish: ``--timeout`` ran out, or it stalled (no input finished for a while)."""
    INTERRUPTED = 130
    """``run`` was stopped by Ctrl-C, SIGTERM or SIGHUP (what it started was stopped too)."""


EXIT_CODES_HELP = ("Exit codes: 0 every input ok/dropped/unchanged; 1 error (inputs, settings, broker or "
                   "Redis); 2 usage; 3 finished with failed inputs; 4 not finished (timeout, stalled); "
                   "130 interrupted.")


class Exit(click.ClickException):
    """A one-line message with a chosen exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        # click declares exit_code a ClassVar but reads it from the instance; one class serves every code.
        self.exit_code = int(code)  # type: ignore[misc]


def explain(exc: BaseException, settings: Settings) -> str | None:
    """One line for an error a user can fix outside newsmill, or ``None`` if ``exc`` is a bug."""
    if isinstance(exc, redis.AuthenticationError):
        return (f"Redis at {mask_url(settings.redis_url)} refused the credentials ({exc}); "
                "check the password in NEWSMILL_REDIS_URL")
    if isinstance(exc, redis.OutOfMemoryError):
        return (f"Redis at {mask_url(settings.redis_url)} is out of memory ({exc}); free memory or raise its "
                "maxmemory")
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return (f"cannot reach Redis at {mask_url(settings.redis_url)} ({_reason(exc)}); is it running, and is "
                "NEWSMILL_REDIS_URL right?")
    if isinstance(exc, KombuOperationalError | ConnectionError | socket.timeout) or _is_amqp_error(exc):
        return (f"cannot reach the broker at {mask_url(settings.effective_broker_url)} ({_reason(exc)}); is it "
                "running, and is NEWSMILL_BROKER_URL right?")
    return None


def _is_amqp_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("amqp")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


SETTINGS_KEY = "newsmill.settings"


def remember_settings(settings: Settings) -> Settings:
    """Keep the command's settings (its options laid over the environment) for :class:`NewsmillGroup`'s
    messages, which name the broker and Redis the command really used."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[SETTINGS_KEY] = settings
    return settings


def _settings_of(ctx: click.Context) -> Settings:
    found = ctx.meta.get(SETTINGS_KEY)
    return found if isinstance(found, Settings) else Settings.from_env()


def debug_wanted(ctx: click.Context | None = None) -> bool:
    """``--debug``, or ``NEWSMILL_DEBUG`` (the option's environment variable; click reads it)."""
    while ctx is not None:
        if ctx.params.get("debug"):
            return True
        ctx = ctx.parent
    return False


class NewsmillGroup(click.Group):
    """Turns errors a user can fix (bad settings, unreachable Redis or broker) into one line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except SettingsError as exc:
            if debug_wanted(ctx):
                raise
            raise Exit(str(exc), ExitCode.ERROR) from exc
        except Exception as exc:
            if debug_wanted(ctx):
                raise
            found: BaseException | None = exc
            while found is not None:
                message = explain(found, _settings_of(ctx))
                if message is not None:
                    raise Exit(message, ExitCode.ERROR) from exc
                found = found.__cause__ or found.__context__
            raise
