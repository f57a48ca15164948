"""`newsmill run -o out.parquet` / `-o out.csv`: the embedded run writes its records in the format the
file's suffix names, through the same exporter as `newsmill export`."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsmill.export.arrow import arrow_schema
from tests.conftest import CORPUS, ROOT, SEED
from tests.integration.test_run_embedded import env_without_redis, newsmill_bin

pytestmark = pytest.mark.integration

PAGES = 30


def test_run_writes_parquet_of_the_seed_and_dev_pages(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEED, inputs / SEED.name)
    for page in sorted((CORPUS / "html").glob("*.html.gz"))[:PAGES]:
        shutil.copy(page, inputs / page.name)
    out = tmp_path / "out.parquet"
    # The stages country needs (entities, places) and keywords; the others add run time, not coverage.
    done = subprocess.run([newsmill_bin(), "run", str(inputs), "-o", str(out), "--workers", "1",
                           "--enrich", "reading_time,entities,places,keywords"],
                          env=env_without_redis(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                          timeout=280)
    assert done.returncode in (0, 3), done.stderr
    assert f"records: {out}" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.parquet"]  # no scratch file left
    table = pq.read_table(out)
    assert table.schema.equals(arrow_schema())
    assert table.num_rows == PAGES + 1  # one record per input
    assert table.schema.field("keywords").type == pa.list_(
        pa.struct([("keyword", pa.string()), ("score", pa.float64())]))
    assert table.schema.field("word_count").type == pa.int64()
    rows = table.to_pylist()
    [seed] = [row for row in rows if row["source"]["location"].endswith(SEED.name)]
    assert seed["status"] == "ok"
    assert seed["title"] == "Damascus: US-led coalition won’t succeed to establish de facto situation in Raqqa"
    assert seed["country"] == "SY" and seed["language"] == "en"
    assert seed["dateline"] == {"place": "Damascus", "agency": "SANA"}
    assert seed["authors"] == ["M.al-Frieh", "H. Said"]
    assert seed["word_count"] and seed["word_count"] > 300
    assert seed["keywords"] and all(set(k) == {"keyword", "score"} for k in seed["keywords"])
    assert [run["stage"] for run in seed["provenance"]][:3] == ["load", "clean", "extract"]
    assert sum(row["status"] == "ok" for row in rows) >= PAGES // 2


def test_run_writes_csv_and_checks_the_file_first(tmp_path: Path) -> None:
    env = env_without_redis(tmp_path)
    bad = subprocess.run([newsmill_bin(), "run", str(SEED), "-o", str(tmp_path / "no" / "out.csv")],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: cannot write -o"), bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    out = tmp_path / "out.csv"
    done = subprocess.run([newsmill_bin(), "run", str(ROOT / "seeds"), "-o", str(out), "--workers", "1",
                           "--enrich", "reading_time,keywords"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    with open(out, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == arrow_schema().names
        [row] = list(reader)
    assert row["status"] == "ok" and row["language"] == "en"
    assert json.loads(row["dateline"]) == {"place": "Damascus", "agency": "SANA"}
    assert json.loads(row["keywords"])[0]["keyword"]
    assert row["places"] == "" and row["country"] == ""  # stages that did not run: empty cells


def _run_until_records(tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    """A run of 200 distinct articles to ``out``, returned once some records have arrived (its scratch
    JSONL beside ``out`` has lines)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(200):
        (inputs / f"copy-{n}.txt").write_text(SEED.read_text(encoding="utf-8") + f"\n{n}\n", encoding="utf-8")
    proc = subprocess.Popen([newsmill_bin(), "run", str(inputs), "-o", str(out), "--enrich", "reading_time"],
                            env=env_without_redis(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        scratch = [p for p in tmp_path.iterdir() if p.name.endswith(".jsonl")]
        if scratch and scratch[0].stat().st_size > 0:
            return proc
        time.sleep(0.2)
    proc.kill()
    pytest.fail("no record arrived in the run's scratch file")


def test_an_interrupted_run_keeps_the_records_so_far_in_the_format_asked(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    proc = _run_until_records(tmp_path, out)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and f"the records so far are in {out}" in stderr, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.parquet"]  # no scratch file left
    table = pq.read_table(out)
    assert table.schema.equals(arrow_schema())
    assert 0 < table.num_rows < 200
    assert len(set(table.column("id").to_pylist())) == table.num_rows


def test_a_killed_run_leaves_no_scratch_file_beside_the_output(tmp_path: Path) -> None:
    """SIGKILL gives `run` no chance to clean up: its lifeline removes the scratch files beside ``-o``
    (the JSONL of the records so far and the export's temporary file) with the run's folder."""
    out = tmp_path / "out.csv"
    proc = _run_until_records(tmp_path, out)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 40  # the lifeline's grace for the workers, then the clean-up
    while time.monotonic() < deadline and sorted(p.name for p in tmp_path.iterdir()) != ["in"]:
        time.sleep(0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
