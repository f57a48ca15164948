"""The article record's JSON Schema is generated from its types, and closed where the record is."""

from __future__ import annotations

from typing import Any

import jsonschema
import pydantic
import pytest

from newsmill.record import ArticleRecord, Source, StageRun
from newsmill.schema import SCHEMA_FILE, article_schema, generate, render
from tests.conftest import ROOT, validate_record


def _record() -> dict[str, Any]:
    record = ArticleRecord(id="a" * 24, job_id="job", source=Source("file", "/data/a.txt"), title="T",
                           text="Some text.", provenance=(StageRun("extract", "x 1", 1.5),),
                           keywords=[{"keyword": "text", "score": 0.1}])
    return record.to_dict()


def test_committed_schema_is_what_the_types_generate() -> None:
    """Regenerating the schema (python -m newsmill.schema) gives the committed file byte for byte."""
    committed = (ROOT / "newsmill" / "schema" / SCHEMA_FILE).read_text(encoding="utf-8")
    assert render(generate()) == committed


def test_a_record_validates_and_keeps_its_shape() -> None:
    """Fields in the documented order, enrichment fields only when set, and the record validates."""
    data = _record()
    assert list(data)[:4] == ["schema_version", "id", "job_id", "source"]
    assert "keywords" in data and "entities" not in data and "skipped" not in data["provenance"][0]
    validate_record(data)


@pytest.mark.parametrize("path", [(), ("source",), ("provenance", 0), ("keywords", 0)])
def test_a_misspelt_field_fails_validation(path: tuple[str | int, ...]) -> None:
    """An unknown key at the top level or inside a closed object is an error, for the schema and on reading."""
    data = _record()
    target: Any = data
    for step in path:
        target = target[step]
    target["titel"] = "T"
    with pytest.raises(jsonschema.ValidationError):
        validate_record(data)
    with pytest.raises(pydantic.ValidationError):
        ArticleRecord.from_dict(data)


def test_an_ok_record_needs_text_and_no_reason() -> None:
    """The cross-field rule the generator adds: status ok without text does not validate."""
    data = {**_record(), "text": None}
    with pytest.raises(jsonschema.ValidationError):
        validate_record(data)
    assert article_schema()["additionalProperties"] is False
