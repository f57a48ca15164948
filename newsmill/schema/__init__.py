"""The article record's JSON Schema, generated from :class:`newsmill.record.ArticleRecord` and shipped
inside the package.

``python -m newsmill.schema > newsmill/schema/article.schema.json`` writes it; a unit test checks that
the committed file is what the types generate, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from importlib import resources
from typing import Any

SCHEMA_FILE = "article.schema.json"

# Rules across fields, which field types cannot state: an 'ok' record has text and no reason code;
# a 'dropped' or 'failed' one has a reason code.
_STATUS_RULES: list[dict[str, Any]] = [{
    "if": {"properties": {"status": {"const": "ok"}}},
    "then": {"properties": {"reason": {"const": None}, "text": {"type": "string", "minLength": 1}}},
    "else": {"properties": {"reason": {"type": "string"}}},
}]


@functools.cache
def article_schema() -> dict[str, Any]:
    """The committed schema (what consumers and the tests validate records against)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def generate() -> dict[str, Any]:
    """The schema the record's types describe, as :meth:`ArticleRecord.to_dict` writes them."""
    from pydantic import MISSING
    from pydantic.json_schema import GenerateJsonSchema

    from newsmill.record import SCHEMA_VERSION, ArticleRecord, adapter

    class _WithoutTitles(GenerateJsonSchema):
        # pydantic titles every field with its own name, capitalised: noise in a schema people read.
        def field_title_should_be_set(self, schema: Any) -> bool:
            return False

    generated = _tidy(adapter(ArticleRecord).json_schema(mode="serialization", schema_generator=_WithoutTitles))
    generated.pop("title", None)
    description = generated.pop("description")
    # pydantic requires every field with a default in serialisation mode, because to_dict always writes
    # it; an enrichment field left MISSING is the exception: absent until its stage runs.
    optional = {f.name for f in dataclasses.fields(ArticleRecord) if f.default is MISSING}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://newsmill.dev/schema/article/{SCHEMA_VERSION}.json",
        "title": "newsmill article record",
        "description": description,
        **generated,
        # Written by to_dict ahead of the fields, so not a field of the type.
        "properties": {"schema_version": {"const": SCHEMA_VERSION}, **generated["properties"]},
        "required": ["schema_version", *(name for name in generated["required"] if name not in optional)],
        "allOf": _STATUS_RULES,
    }


def _tidy(node: Any) -> Any:
    """Descriptions on one line (they come from docstrings wrapped to the source's width)."""
    if isinstance(node, dict):
        return {key: " ".join(value.split()) if key == "description" and isinstance(value, str) else _tidy(value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    return node


def render(schema: dict[str, Any]) -> str:
    """The schema file's text: stable key order as generated, two-space indent, trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
