"""The import layering of ``newsmill``, ``tasks`` and ``workers``, read from the source with :mod:`ast`.

Every import counts: at module top, inside functions, and under ``TYPE_CHECKING`` (a type-only import is
still a dependency of the design, and the first step towards a real one). docs/architecture.md draws the
same order; change both together.

A *unit* is ``tasks``, ``workers``, the package's own ``__init__`` (``newsmill``), or one module or
subpackage directly under ``newsmill/`` (``newsmill.fetch``, ``newsmill.keys``, …); imports inside a
unit are its own business.
"""

from __future__ import annotations

import ast
import graphlib
import itertools
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("newsmill", "tasks", "workers")


@dataclass(frozen=True)
class Layer:
    units: tuple[str, ...]
    independent: bool = False
    """Its units never import each other (except for an edge in SIBLING_EDGES)."""


LAYERS: tuple[Layer, ...] = (
    # Top to bottom. A unit may import units of the layers below its own, never above; inside a layer,
    # only if the layer is not independent, and never in a cycle.
    Layer(("workers",)),  # the Celery app, its configuration and signals, worker processes, the CLI
    Layer(("tasks",)),  # thin Celery tasks and chains around the pipeline
    Layer(("newsmill.testing",)),  # loopback server and worker harness for tests/ and bench/
    Layer(("newsmill.pipeline",)),  # the stages in order, and the rules around each one
    Layer(("newsmill.resources",)),  # one process's long-lived resources (Redis, fetcher, sinks)
    Layer(("newsmill.settings",)),  # every option, read once and checked; composes the stages' options
    Layer(("newsmill.watch",)),  # polls feeds and sitemaps on a schedule; enqueues through a callback
    Layer(("newsmill.load", "newsmill.fetch", "newsmill.clean", "newsmill.extract", "newsmill.enrich",
           "newsmill.sinks"), independent=True),  # the stages, each usable on its own
    Layer(("newsmill.reconcile", "newsmill.ledger", "newsmill.bodies", "newsmill.jobs",
           "newsmill.results", "newsmill.export")),  # the jobs' bookkeeping in Redis, and reading records back
    Layer(("newsmill.record", "newsmill.enrichment_fields", "newsmill.schema", "newsmill.errors", "newsmill.ids",
           "newsmill.keys", "newsmill.redistext", "newsmill.decode", "newsmill.mediatypes", "newsmill.text",
           "newsmill.retry", "newsmill.timing", "newsmill.observe", "newsmill.processes",
           "newsmill")),  # what all share
)

SIBLING_EDGES: frozenset[tuple[str, str]] = frozenset({
    # Imports between units of an independent layer, each one a decision.
    ("newsmill.enrich", "newsmill.clean"),  # enrichment reads what cleaning found (input hint, dateline)
})

CELERY_LIBRARIES = frozenset({"celery", "kombu", "billiard"})

KEYS_MODULE = Path("newsmill/keys.py")


@dataclass(frozen=True)
class Import:
    path: Path  # relative to the project root
    line: int
    importer: str  # module name
    target: str  # module name, resolved to the deepest module that exists

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p.relative_to(ROOT)): p.relative_to(ROOT)
            for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


MODULES = _sources()


def _trees() -> Iterator[tuple[str, Path, ast.Module]]:
    for module, path in MODULES.items():
        yield module, path, ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=str(path))


def _imported_names(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    # ``from newsmill import enrich`` imports the subpackage, not a name of newsmill/__init__.py.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def all_imports() -> list[Import]:
    found = []
    for module, path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [Import(path, node.lineno, module, target)
                          for target in _imported_names(module, path, node)]
    return found


def unit(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "newsmill" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


LAYER_OF = {name: index for index, layer in enumerate(LAYERS) for name in layer.units}


def unit_edges() -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = {}
    for imp in all_imports():
        if imp.target.split(".")[0] not in PACKAGES:
            continue
        edge = (unit(imp.importer), unit(imp.target))
        if edge[0] != edge[1]:
            edges.setdefault(edge, []).append(imp)
    return edges


def test_every_unit_has_a_layer() -> None:
    units = {unit(module) for module in MODULES}
    assert sorted(units - LAYER_OF.keys()) == [], "add each to LAYERS here and to docs/architecture.md"
    assert sorted(LAYER_OF.keys() - units) == [], "declared in LAYERS, but no such module"


def _allowed(src: str, dst: str) -> bool:
    above, below = LAYER_OF.get(src, -1), LAYER_OF.get(dst, -1)
    if above == below:
        return not LAYERS[above].independent or (src, dst) in SIBLING_EDGES
    return above < below


def test_no_import_goes_up_or_across_an_independent_layer() -> None:
    wrong = [f"{imps[0].where}: {src} imports {dst}" + (f" (and {len(imps) - 1} more)" if len(imps) > 1 else "")
             for (src, dst), imps in sorted(unit_edges().items()) if not _allowed(src, dst)]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_cycle_between_units() -> None:
    graph: dict[str, set[str]] = {}
    for src, dst in unit_edges():
        graph.setdefault(src, set()).add(dst)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        # graphlib lists a cycle from dependency to dependent: reversed, each unit imports the next.
        pytest.fail(f"import cycle: {' -> '.join(reversed(cycle.args[1]))}")


def test_core_never_imports_celery() -> None:
    """newsmill runs in-process as well as under Celery (see newsmill/__init__.py)."""
    bad = [f"{imp.where}: {imp.target}" for imp in all_imports()
           if imp.importer.split(".")[0] == "newsmill" and imp.target.split(".")[0] in CELERY_LIBRARIES]
    assert not bad, "newsmill imports Celery:\n" + "\n".join(bad)


def _is_prefix(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.lstrip("_").endswith("prefix")


def _starts_with_colon(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(":")


def test_redis_keys_are_named_only_in_keys_py() -> None:
    """A tripwire, not a proof: it catches a key spelt from the configured prefix outside keys.py
    (``f"{prefix}:..."`` or ``prefix + ":..."``), the way every key in keys.py is spelt. A key appended to
    a base that keys.py hands out, under another name, is not caught."""
    bad = []
    for _module, path, tree in _trees():
        if path == KEYS_MODULE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts = node.values
                spelt = any(isinstance(a, ast.FormattedValue) and _is_prefix(a.value) and _starts_with_colon(b)
                            for a, b in itertools.pairwise(parts))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                spelt = _is_prefix(node.left) and _starts_with_colon(node.right)
            else:
                continue
            if spelt:
                bad.append(f"{path}:{node.lineno}")
    assert not bad, "Redis keys spelt outside newsmill/keys.py:\n" + "\n".join(bad)


def test_the_pipeline_loads_no_http_client() -> None:
    """A cpu worker imports the pipeline; httpx is for the fetch stage, on io workers only."""
    code = "import sys, newsmill.pipeline; print(sorted({'httpx', 'celery'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
