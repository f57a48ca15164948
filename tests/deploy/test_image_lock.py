"""The image's Python environment, built as deploy/Dockerfile builds it (the lock with --require-hashes,
wheels only, then the project with --no-deps) in a fresh virtual environment, runs every command the
compose file and the Dockerfile give its services far enough to prove their imports."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.deploy.compose_local import command_argv, dockerfile_healthcheck, load_compose

LOCK = ROOT / "deploy" / "requirements.lock"


@pytest.fixture(scope="module")
def image_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("image-venv")
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # The machine's pip configuration may carry a constraints file for the dev venv: the image has none.
    clean = {"PIP_CONSTRAINT": "", "PATH": f"{where / 'bin'}:/usr/bin:/bin", "HOME": str(where)}
    for args in ([*install, "--require-hashes", "--only-binary=:all:", "-r", str(LOCK)],
                 [*install, "--no-deps", "--no-build-isolation", str(ROOT)]):
        done = subprocess.run(args, capture_output=True, text=True, timeout=900, env=clean)
        assert done.returncode == 0, done.stderr[-4000:]
    return where / "bin"


def service_commands() -> dict[str, list[str]]:
    compose = load_compose(ROOT / "docker-compose.yml")
    commands = {name: command_argv(service["command"]) for name, service in compose["services"].items()
                if "command" in service and command_argv(service["command"])[0] == "newsmill"}
    commands["healthcheck (Dockerfile)"] = dockerfile_healthcheck(ROOT / "deploy" / "Dockerfile")
    return commands


def test_every_service_command_of_the_image_starts(image_env: Path) -> None:
    commands = service_commands()
    assert {"flower", "worker-io", "worker-cpu"} <= set(commands), commands
    for name, argv in commands.items():
        # `--help` after the subcommand: click parses the command and imports what it needs.
        subcommand = argv[1]
        done = subprocess.run([str(image_env / "newsmill"), subcommand, "--help"], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"{name}: {done.stderr[-3000:]}"
    # Flower's own modules, which `newsmill flower --help` may not import until it starts.
    done = subprocess.run([str(image_env / "python"), "-c", "import flower.command, tornado, workers.flower"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sys.version_info >= (3, 11)
