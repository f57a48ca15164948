"""`newsmill export`: the Arrow schema derived from the record's types, and records out of the stream into
JSONL, CSV and Parquet, counts and values intact."""

from __future__ import annotations

import csv
import dataclasses
import json
import types
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redis
from click.testing import CliRunner
from pydantic import MISSING
from typing_extensions import is_typeddict

from newsmill.export import columns, read_jsonl, read_stream, write
from newsmill.export.arrow import arrow_schema
from newsmill.keys import Keys
from newsmill.record import ArticleRecord, Dateline, Source, StageRun
from newsmill.schema import article_schema
from workers.cli import main

JOB = "20261201T100000-0a0b0c0d"
OTHER = "20261201T100500-0e0f0a0b"


# --- the schema covers every field of the record ------------------------------------------------------


def _shape(tp: Any) -> Any:
    """What the record's type declares, as the field names of every object down the tree: a dict of
    name → shape for a dataclass or TypedDict, ``[shape]`` for a list, ``None`` for a scalar."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _shape(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None) and a is not MISSING]
        assert len(members) == 1, tp
        return _shape(members[0])
    if origin in (list, tuple):
        return [_shape(typing.get_args(tp)[0])]
    if origin is dict:
        return {"*": _shape(typing.get_args(tp)[1])}
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return {f.name: _shape(hints[f.name]) for f in dataclasses.fields(tp)}
    if is_typeddict(tp):
        return {name: _shape(hint) for name, hint in typing.get_type_hints(tp, include_extras=True).items()}
    return None


def _arrow_shape(dt: pa.DataType) -> Any:
    if pa.types.is_struct(dt):
        return {dt.field(i).name: _arrow_shape(dt.field(i).type) for i in range(dt.num_fields)}
    if pa.types.is_map(dt):
        return {"*": _arrow_shape(dt.item_type)}
    if pa.types.is_list(dt):
        return [_arrow_shape(dt.value_type)]
    return None


def test_every_field_of_the_record_is_a_column_down_to_nested_fields() -> None:
    """Walks the record's dataclasses and TypedDicts, not the JSON Schema the columns come from: a field
    added to the types and not to the schema (or lost on the way) fails here."""
    declared = {"schema_version": None, **_shape(ArticleRecord)}
    schema = arrow_schema()
    derived = {name: _arrow_shape(schema.field(name).type) for name in schema.names}
    assert derived == declared
    assert columns() == schema.names


def test_column_types() -> None:
    schema = arrow_schema()
    assert schema.field("word_count").type == pa.int64()
    assert schema.field("reading_time_min").type == pa.float64()
    assert schema.field("published").type == pa.string()  # mixed-precision ISO 8601, kept as written
    assert schema.field("keywords").type == pa.list_(pa.struct([("keyword", pa.string()), ("score", pa.float64())]))
    assert schema.field("authors").type == pa.list_(pa.string())
    assert pa.types.is_struct(schema.field("source").type)
    assert all(field.nullable for field in schema)  # an enrichment field that did not run is a null


# --- records ------------------------------------------------------------------------------------------


def seed_record(job: str = JOB) -> dict[str, Any]:
    """The seed as the pipeline delivers it (trimmed text; the fields the exports must keep)."""
    return ArticleRecord(
        id="911cd2fe3f0e0b30870fd549", job_id=job,
        source=Source(kind="file", location="/data/seeds/sana-2017-10-25-coalition-raqqa-deir-ezzor.txt"),
        title="Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa",
        authors=("M.al-Frieh", "H. Said"), published="2017-10-25", language="en",
        dateline=Dateline(place="Damascus", agency="SANA"),
        text="Foreign and Expatriates Ministry called on the UN Security Council …", word_count=351,
        reading_time_min=1.5, content_hash="a" * 64,
        provenance=(StageRun(stage="load", version="1", duration_ms=0.4),
                    StageRun(stage="clean", version="1", fields={"title": "trafilatura 2.3.1"})),
        country="SY", keywords=[{"keyword": "Deir Ezzor", "score": 0.008461}, {"keyword": "Raqqa", "score": 0.01}],
        tone={"compound": -0.5284, "positive": 0.05, "negative": 0.12, "neutral": 0.83, "method": "vader"},
        summary=None,
    ).to_dict()


def page_record(n: int, job: str = JOB) -> dict[str, Any]:
    """Records of many shapes: some enriched, some not (absent fields), some dropped or failed."""
    status = ("ok", "ok", "ok", "dropped", "failed")[n % 5]
    base = ArticleRecord(
        id=f"{n:024x}", job_id=job, source=Source(kind="url", location=f"https://news.example.org/{n}"),
        status=status, reason=None if status == "ok" else ("too_short" if status == "dropped" else "timeout"),
        message="took too long" if status == "failed" else None,
        url=f"https://news.example.org/{n}",
        title=f"Story {n} — “quoted”, with a comma" if status == "ok" else None,
        text=f"Paragraph one of {n}.\n\nParagraph two, \"quoted\"." if status == "ok" else None,
        published=("2026-11-30T08:15:00+01:00", "2026-11-29", None)[n % 3] if status == "ok" else None,
        word_count=100 + n if status == "ok" else None, tags=("a", "b") if n % 2 else (),
    )
    if status == "ok" and n % 3 == 0:
        base = dataclasses.replace(base, keywords=[{"keyword": f"kw{n}", "score": n / 100}], country=None,
                                   places=[{"geonameid": 170654, "name": "Damascus", "kind": "city",
                                            "country_code": "SY", "admin1": "13", "latitude": 33.5,
                                            "longitude": 36.3, "population": 1569394, "mentions": ["Damascus"],
                                            "count": 2}])
    return base.to_dict()


def records(count: int = 60) -> list[dict[str, Any]]:
    found = [seed_record(), *(page_record(n) for n in range(count - 1))]
    # One validator for all (jsonschema.validate checks the schema itself on every call: seconds each).
    validator = jsonschema.Draft202012Validator(article_schema())
    for record in found:
        validator.validate(record)
    return found


def publish(client: redis.Redis, keys: Keys, batch: list[dict[str, Any]], *, at_ms: int | None = None) -> None:
    """Append as the sink does (fields job_id, id, status, record), at a given time when asked."""
    for n, record in enumerate(batch):
        fields = {"job_id": record["job_id"], "id": record["id"], "status": record["status"],
                  "record": json.dumps(record, ensure_ascii=False)}
        client.xadd(keys.stream(), fields, id=f"{at_ms}-{n}" if at_ms is not None else "*")


def _same(left: Any, right: Any) -> bool:
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


# --- round trips --------------------------------------------------------------------------------------


def test_stream_to_every_format_round_trips(redis_client: redis.Redis, prefix: str, tmp_path: Path) -> None:
    keys = Keys(prefix)
    mine = records()
    theirs = [page_record(n, job=OTHER) for n in range(5)]
    publish(redis_client, keys, mine[:30] + theirs + mine[30:])
    # A small batch: several XRANGE calls and several row groups.
    read = list(read_stream(redis_client, keys, job_id=JOB, batch=7))
    assert read == mine

    out = tmp_path / "out.jsonl"
    assert write(read_stream(redis_client, keys, job_id=JOB, batch=7), "jsonl", out) == 60
    assert list(read_jsonl(out)) == mine

    from newsmill.export.arrow import write_parquet

    parquet = tmp_path / "out.parquet"
    assert write_parquet(read_stream(redis_client, keys, job_id=JOB, batch=7), parquet, batch=16) == 60
    table = pq.read_table(parquet)
    assert pq.ParquetFile(parquet).metadata.num_row_groups == 4
    assert table.schema.equals(arrow_schema())
    rows = table.to_pylist()
    assert len(rows) == 60
    seed = rows[0]
    assert seed["title"] == mine[0]["title"] and seed["country"] == "SY" and seed["word_count"] == 351
    assert seed["keywords"] == mine[0]["keywords"]
    assert seed["dateline"] == {"place": "Damascus", "agency": "SANA"}
    assert seed["provenance"][1]["fields"] == [("title", "trafilatura 2.3.1")]  # a map reads back as pairs
    assert seed["places"] is None  # the stage did not run: absent in JSON, null here
    for row, record in zip(rows, mine, strict=True):
        for name in ("id", "status", "reason", "title", "text", "published", "word_count", "tags", "places",
                     "keywords", "country", "source"):
            assert _same(row[name], record.get(name)), (name, row[name], record.get(name))

    table_csv = tmp_path / "out.csv"
    assert write(read_stream(redis_client, keys, job_id=JOB), "csv", table_csv) == 60
    with open(table_csv, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == arrow_schema().names
        back = list(reader)
    assert len(back) == 60
    assert back[0]["country"] == "SY" and back[0]["word_count"] == "351" and back[0]["title"] == mine[0]["title"]
    assert json.loads(back[0]["keywords"]) == mine[0]["keywords"]
    assert json.loads(back[0]["source"]) == mine[0]["source"]
    assert back[0]["places"] == ""  # absent
    for row, record in zip(back, mine, strict=True):
        assert row["text"] == (record["text"] or "")  # commas, quotes and blank lines survive
        assert json.loads(row["provenance"]) == record["provenance"]
        assert json.loads(row["tags"]) == record["tags"]


def test_duckdb_reads_the_parquet_file_with_typed_and_nested_columns(tmp_path: Path) -> None:
    """The file is for warehouses, not only for pyarrow: DuckDB (a test dependency) reads it with the
    column types a SQL user expects, and nested fields are structs and lists it can unnest."""
    import duckdb

    from newsmill.export.arrow import write_parquet

    mine = records()
    parquet = tmp_path / "out.parquet"
    assert write_parquet(iter(mine), parquet, batch=16) == 60
    con = duckdb.connect()
    types_by_column = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{parquet}')")
                           .fetchall())
    assert types_by_column["word_count"] == "BIGINT"
    assert types_by_column["reading_time_min"] == "DOUBLE"
    assert types_by_column["title"] == "VARCHAR"
    assert types_by_column["authors"] == "VARCHAR[]"
    assert types_by_column["keywords"] == "STRUCT(keyword VARCHAR, score DOUBLE)[]"
    assert types_by_column["source"].startswith("STRUCT(")
    by_status = dict(con.execute(f"SELECT status, count(*) FROM '{parquet}' GROUP BY status").fetchall())
    expected: dict[str, int] = {}
    for record in mine:
        expected[record["status"]] = expected.get(record["status"], 0) + 1
    assert by_status == expected
    seed = con.execute(f"SELECT title, country, word_count, dateline.place, source.kind, authors[1] "
                       f"FROM '{parquet}' WHERE id = '911cd2fe3f0e0b30870fd549'").fetchall()
    assert seed == [(mine[0]["title"], "SY", 351, "Damascus", "file", "M.al-Frieh")]
    keywords = con.execute(f"SELECT k.keyword, k.score FROM (SELECT unnest(keywords) AS k FROM '{parquet}' "
                           f"WHERE id = '911cd2fe3f0e0b30870fd549')").fetchall()
    assert keywords == [(k["keyword"], k["score"]) for k in mine[0]["keywords"]]
    places = con.execute(f"SELECT count(*) FROM '{parquet}', unnest(places) AS p(place) "
                         f"WHERE place.name = 'Damascus'").fetchone()
    assert places == (sum(1 for r in mine if r.get("places")),)


def test_an_empty_export_is_a_parquet_file_with_the_schema(tmp_path: Path) -> None:
    from newsmill.export.arrow import write_parquet

    assert write_parquet(iter(()), tmp_path / "none.parquet", batch=10) == 0
    table = pq.read_table(tmp_path / "none.parquet")
    assert table.num_rows == 0 and table.schema.equals(arrow_schema())


def test_since_reads_from_the_delivery_time(redis_client: redis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    old, new = records(4)[:2], records(4)[2:]
    publish(redis_client, keys, old, at_ms=1_700_000_000_000)
    publish(redis_client, keys, new, at_ms=1_800_000_000_000)
    since = datetime.fromtimestamp(1_750_000_000, UTC)
    assert list(read_stream(redis_client, keys, since=since)) == new
    assert list(read_stream(redis_client, keys, since=since, job_id=JOB)) == new
    assert len(list(read_stream(redis_client, keys, since=datetime.fromtimestamp(0, UTC)))) == 4


# --- the command --------------------------------------------------------------------------------------


@pytest.fixture()
def cli_env(redis_url: str, prefix: str) -> dict[str, str]:
    return {"NEWSMILL_REDIS_URL": redis_url, "NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_PREFIX": prefix}


def test_export_command(redis_client: redis.Redis, prefix: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    keys = Keys(prefix)
    mine = records(10)
    publish(redis_client, keys, mine)
    redis_client.hset(keys.job(JOB), "created", "1")
    runner = CliRunner()
    out = tmp_path / "job.parquet"
    done = runner.invoke(main, ["export", JOB, "-o", str(out)], env=cli_env)
    assert done.exit_code == 0, done.output
    assert pq.read_table(out).num_rows == 10
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left beside it
    done = runner.invoke(main, ["export", "--since", "2d", "--format", "csv", "-o", "-"], env=cli_env)
    assert done.exit_code == 0, done.output
    assert len(list(csv.reader(done.stdout.splitlines()))) == 11
    done = runner.invoke(main, ["export", JOB, "--format", "jsonl", "-o", str(tmp_path / "job.txt")], env=cli_env)
    assert done.exit_code == 0 and list(read_jsonl(tmp_path / "job.txt")) == mine


@pytest.mark.parametrize(("args", "code", "says"), [
    (["export", JOB, "--format", "xml", "-o", "x"], 2, "'xml' is not one of"),
    (["export", "-o", "x.csv"], 2, "name a JOB, --since DATE, or both"),
    (["export", "--since", "yesterday", "-o", "x.csv"], 2, "not an ISO 8601 date"),
    (["export", JOB, "-o", "-", "--format", "parquet"], 2, "Parquet needs a file"),
    (["export", JOB, "-o", "/nonexistent/dir/x.parquet"], 1, "Error: cannot write -o /nonexistent/dir/x.parquet"),
    (["export", "20261201T000000-ffffffff", "-o", "{tmp}/x.csv"], 1, "Error: no job 20261201T000000-ffffffff"),
])
def test_export_errors_are_one_line(args: list[str], code: int, says: str, cli_env: dict[str, str],
                                    tmp_path: Path) -> None:
    done = CliRunner().invoke(main, [arg.replace("{tmp}", str(tmp_path)) for arg in args], env=cli_env)
    assert done.exit_code == code, done.output
    assert says in done.stderr and "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == []  # nothing half-written
