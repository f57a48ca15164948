"""Configuration is read once, at a process's edge: only the settings module and the command-line entry
points read the environment; everything else is given a :class:`~newsmill.settings.Settings` value."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from newsmill.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("newsmill", "tasks", "workers")
MAY_READ_THE_ENVIRONMENT = {
    "newsmill/settings.py": "parses every NEWSMILL_* variable",
    "workers/command_settings.py": "a command's environment, with its options laid over it",
    "workers/app.py": "the app `celery -A workers.app` asks for, built from the environment at its start",
    "workers/flower.py": "Flower's own credentials variable (FLOWER_BASIC_AUTH)",
    "workers/errors.py": "explains an error of a command that failed before it had settings",
    "workers/metrics.py": "sets PROMETHEUS_MULTIPROC_DIR, prometheus_client's switch, for the pool's children; "
                          "reads nothing",
}


def _is_a_read(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in ("environ", "getenv", "environb")
    if isinstance(node, ast.Name):
        return node.id in ("environ", "getenv")
    if isinstance(node, ast.ImportFrom):
        return node.module == "os" and any(alias.name in ("environ", "getenv") for alias in node.names)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_env"


def _reads_of_the_environment(tree: ast.AST) -> list[int]:
    """Lines that touch ``os.environ``/``os.getenv``/``environ``, or build settings from the environment."""
    return [node.lineno for node in ast.walk(tree) if _is_a_read(node)]  # type: ignore[attr-defined]


def test_only_the_edges_read_the_environment() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in MAY_READ_THE_ENVIRONMENT:
                continue
            lines = _reads_of_the_environment(ast.parse(path.read_text(encoding="utf-8")))
            offenders += [f"{relative}:{line}" for line in lines]
    assert offenders == [], "read the environment outside the settings and the command line: " + ", ".join(
        offenders)


def test_the_checker_sees_a_read() -> None:
    source = "import os\nfrom os import environ\nx = os.environ.get('A')\ny = os.getenv('B')\nSettings.from_env()\n"
    assert sorted(set(_reads_of_the_environment(ast.parse(source)))) == [2, 3, 4, 5]


def test_every_stage_has_its_options_in_the_settings() -> None:
    settings = Settings.from_env({
        "NEWSMILL_CLEAN_MIN_TEXT_CHARS": "100", "NEWSMILL_CLEAN_FAVOR": "precision", "NEWSMILL_CLEAN_FAST": "yes",
        "NEWSMILL_SPACY_MODEL": "en_core_web_md",
        "NEWSMILL_SUMMARY_MIN_SENTENCES": "4", "NEWSMILL_SUMMARY_LONG_ARTICLE": "12",
        "NEWSMILL_GEO_MIN_CITY_POPULATION": "15000",
        "NEWSMILL_DEDUP_THRESHOLD": "0.6", "NEWSMILL_DEDUP_MIN_WORDS": "40", "NEWSMILL_DEDUP_WINDOW": "86400",
        "NEWSMILL_DEDUP_MAX_CANDIDATES": "50",
    })
    assert settings.clean is not None and settings.clean.min_text_chars == 100
    assert settings.clean.favor_precision and not settings.clean.favor_recall and settings.clean.fast
    assert settings.entities is not None and settings.entities.model == "en_core_web_md"
    assert settings.summary is not None and (settings.summary.min_sentences, settings.summary.long_article) == (4, 12)
    assert settings.geo is not None and settings.geo.min_city_population == 15000
    assert settings.dedup is not None and settings.dedup.threshold == 0.6
    assert (settings.dedup.min_words, settings.dedup.ttl_seconds, settings.dedup.max_candidates) == (40, 86400, 50)
    untouched = Settings.from_env({})
    assert (untouched.clean, untouched.entities, untouched.summary, untouched.geo, untouched.dedup) == (None,) * 5


@pytest.mark.parametrize(("name", "value"), [
    ("NEWSMILL_CLEAN_FAVOR", "speed"), ("NEWSMILL_CLEAN_FAST", "maybe"), ("NEWSMILL_CLEAN_MIN_TEXT_CHARS", "-1"),
    ("NEWSMILL_SUMMARY_MIN_SENTENCES", "0"), ("NEWSMILL_GEO_MIN_CITY_POPULATION", "2000"),
    ("NEWSMILL_DEDUP_THRESHOLD", "1.5"), ("NEWSMILL_DEDUP_THRESHOLD", "0"), ("NEWSMILL_DEDUP_WINDOW", "soon"),
])
def test_a_bad_stage_option_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert len(raised.value.problems) == 1 and raised.value.problems[0].startswith(f"{name}=")


def test_every_variable_is_documented() -> None:
    import re

    read = set(re.findall(r'"(NEWSMILL_[A-Z0-9_]+)"', (ROOT / "newsmill/settings.py").read_text(encoding="utf-8")))
    documented = (ROOT / "docs/configuration.md").read_text(encoding="utf-8")
    assert read and sorted(name for name in read if f"`{name}`" not in documented) == []
