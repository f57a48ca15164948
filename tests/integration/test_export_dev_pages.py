"""`newsmill export` of real records: the seed and 100 dev-corpus pages (WCXB, CC-BY-4.0) go through the
pipeline's own stages into the stream, and each format gives back every record with every field's value
(Parquet: the nested fields as structs and lists; CSV: nested fields as JSON text)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import redis
from click.testing import CliRunner

from newsmill.export.arrow import arrow_schema
from newsmill.keys import Keys
from newsmill.pipeline import process, warm_up
from newsmill.record import Source, WorkItem
from newsmill.resources import Resources
from newsmill.settings import Settings
from tests.conftest import CORPUS, SEED
from workers.cli import main

pytestmark = pytest.mark.integration

JOB = "20261201T120000-1a2b3c4d"
PAGES = 100


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """One shape for both sides: a Parquet map reads back as (key, value) pairs where the record has an
    object, and a struct has every field (null where the record has none); empty is empty."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        value = dict(value)
    if isinstance(value, dict):
        value = {k: _plain(v) for k, v in value.items() if v is not None}
        return value or None
    if isinstance(value, list):
        return [_plain(v) for v in value] or None
    return value


def test_the_seed_and_100_dev_pages_round_trip_through_every_format(redis_url: str, prefix: str,
                                                                    redis_client: redis.Redis,
                                                                    tmp_path: Path) -> None:
    env = {"NEWSMILL_REDIS_URL": redis_url, "NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_PREFIX": prefix,
           "NEWSMILL_ENRICH": "reading_time,entities,places,keywords,tone",
           "NEWSMILL_JSONL_PATH": str(tmp_path / "sink.jsonl")}
    settings = Settings.from_env(env)
    res = Resources(settings)
    warm_up(settings)
    sources = [SEED, *sorted((CORPUS / "html").glob("*.html.gz"))[:PAGES]]
    for path in sources:
        process(WorkItem(JOB, Source("file", str(path))), res)
    res.close()
    redis_client.hset(Keys(prefix).job(JOB), "created", "1")
    delivered = [json.loads(fields[b"record"]) for _id, fields in redis_client.xrange(Keys(prefix).stream())]
    assert len(delivered) == PAGES + 1
    assert sum(r["status"] == "ok" for r in delivered) >= PAGES // 2
    by_id = {r["id"]: r for r in delivered}

    runner = CliRunner()
    outputs = {fmt: tmp_path / f"job.{fmt}" for fmt in ("jsonl", "csv", "parquet")}
    for out in outputs.values():
        done = runner.invoke(main, ["export", JOB, "-o", str(out)], env=env)
        assert done.exit_code == 0, done.output
        assert f"{PAGES + 1} records" in done.output, done.output

    back = [json.loads(line) for line in outputs["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert back == delivered

    names = arrow_schema().names
    with open(outputs["csv"], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == PAGES + 1
    nested = {name for name in names if str(arrow_schema().field(name).type).startswith(("struct", "list", "map"))}
    for row in rows:
        record = by_id[row["id"]]
        for name in names:
            value = record.get(name)
            if value is None:
                assert row[name] == "", (name, row[name])
            elif name in nested:
                assert _canonical(json.loads(row[name])) == _canonical(value), name
            else:
                assert row[name] == str(value), (name, row[name], value)

    table = pq.read_table(outputs["parquet"])
    assert table.schema.equals(arrow_schema()) and table.num_rows == PAGES + 1
    for row in table.to_pylist():
        record = by_id[row["id"]]
        for name in names:
            assert _canonical(_plain(row[name])) == _canonical(_plain(record.get(name))), (name, row["id"])
    [seed] = [r for r in table.to_pylist() if r["source"]["location"] == str(SEED)]
    assert seed["title"] == "Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa"
    assert seed["country"] == "SY" and seed["authors"] == ["M.al-Frieh", "H. Said"]
