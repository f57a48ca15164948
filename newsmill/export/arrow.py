"""The record as an Arrow schema, derived from its JSON Schema, and records written to Parquet by row
groups.

The JSON Schema (:func:`newsmill.schema.article_schema`) is generated from the record's types and a test
keeps the two equal, so walking it covers every field the types declare, nested ones included:

- ``string`` (patterns, enums, ``const``) → ``string``; ``published`` stays a string: records carry
  ISO 8601 of mixed precision (a date, a date-time with or without a zone) that one timestamp type would
  have to invent parts of;
- ``integer`` → ``int64``; ``number`` → ``float64``; ``boolean`` → ``bool``;
- an object with properties (``source``, ``tone``, an entity) → ``struct``; an object of free keys
  (a provenance entry's ``fields``) → ``map<string, …>``; an array → ``list``;
- ``anyOf`` with ``null`` → the other branch, nullable. Every column is nullable: an enrichment field a
  record lacks (its stage did not run) is a null, like one that ran and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newsmill.schema import article_schema


class SchemaError(ValueError):
    """The JSON Schema has a shape this module does not map (a new kind of field: extend ``_type``)."""


def arrow_schema() -> pa.Schema:
    """The Arrow schema of the article record."""
    root = article_schema()
    return pa.schema([pa.field(name, _type(node, root, name), nullable=True)
                      for name, node in root["properties"].items()])


def _type(node: dict[str, Any], root: dict[str, Any], where: str) -> pa.DataType:
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return _type(root["$defs"][name], root, where)
    if "anyOf" in node:
        branches = [branch for branch in node["anyOf"] if branch.get("type") != "null"]
        if len(branches) != 1:
            raise SchemaError(f"{where}: a union of {len(branches)} non-null types has no Arrow type")
        return _type(branches[0], root, where)
    if "const" in node or "enum" in node:
        values = node.get("enum", [node.get("const")])
        if all(isinstance(value, str) for value in values):
            return pa.string()
        raise SchemaError(f"{where}: non-string constants")
    kind = node.get("type")
    if kind == "string":
        return pa.string()
    if kind == "integer":
        return pa.int64()
    if kind == "number":
        return pa.float64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "array":
        return pa.list_(_type(node["items"], root, f"{where}[]"))
    if kind == "object" and "properties" in node:
        return pa.struct([pa.field(name, _type(child, root, f"{where}.{name}"), nullable=True)
                          for name, child in node["properties"].items()])
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return pa.map_(pa.string(), _type(node["additionalProperties"], root, f"{where}.*"))
    raise SchemaError(f"{where}: no Arrow type for {node}")


def write_parquet(records: Iterable[dict[str, Any]], path: Path, *, batch: int) -> int:
    """Write ``records`` to a Parquet file, ``batch`` records per row group; returns how many."""
    schema = arrow_schema()
    names = schema.names
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        rows: list[dict[str, Any]] = []
        for record in records:
            rows.append({name: record.get(name) for name in names})
            if len(rows) >= batch:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                count += len(rows)
                rows = []
        if rows or count == 0:  # an empty export is still a file with the schema
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            count += len(rows)
    return count
