"""Benchmarks and the shipped test harnesses stand on the project's packages, never on ``tests/``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT


def imported_modules(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (at any depth of the file, so function-local imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def imports_of(folder: Path, forbidden: set[str]) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in folder.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in forbidden
    )


def test_benchmarks_do_not_import_tests() -> None:
    """What a benchmark shares with the tests lives in :mod:`newsmill.testing`."""
    assert list((ROOT / "bench").rglob("*.py")), "no benchmarks found"
    assert imports_of(ROOT / "bench", {"tests"}) == []


def test_shipped_harnesses_import_neither_pytest_nor_the_outer_packages() -> None:
    """:mod:`newsmill.testing` is part of the core package: it drives workers as processes, and pytest
    fixtures wrap it in ``tests/conftest.py``."""
    assert imports_of(ROOT / "newsmill" / "testing", {"pytest", "tests", "workers", "tasks", "celery"}) == []


def test_the_check_sees_function_local_imports(tmp_path: Path) -> None:
    """The benchmarks import lazily inside ``main()``; those imports must be seen too."""
    module = tmp_path / "bench.py"
    module.write_text("def main():\n    from tests.conftest import ROOT\n    import tests.httpserver\n")
    assert sorted(imported_modules(module)) == ["tests.conftest", "tests.httpserver"]
