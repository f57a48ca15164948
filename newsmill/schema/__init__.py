"""The article record's JSON Schema, shipped inside the package."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def article_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("article.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
