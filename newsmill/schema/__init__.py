"""The article record's JSON Schema, shipped inside the package."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def article_schema() -> dict[str, Any]:
    package = resources.files(__package__)
    data: dict[str, Any] = json.loads(package.joinpath("article.schema.json").read_text(encoding="utf-8"))
    # Enrichment stages under development describe their fields in fields/<stage>.json fragments
    # ({"properties": {...}}); they are merged here until folded into the main file.
    fragments = package.joinpath("fields")
    if fragments.is_dir():
        for fragment in sorted(fragments.iterdir(), key=lambda p: p.name):
            if fragment.name.endswith(".json"):
                data["properties"].update(json.loads(fragment.read_text(encoding="utf-8"))["properties"])
    return data
