"""The distributed acceptance: many real pages and bad inputs through real `newsmill worker` processes."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
import redis

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import CORPUS, read_jsonl, validate_record
from tests.integration.test_seed_distributed import cli, stream_records

CORPUS_PAGES = 200


def corpus_pages(count: int) -> list[Path]:
    html = CORPUS / "html"
    if not html.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the dev corpus is missing at {CORPUS}")
        pytest.skip(f"the dev corpus is not at {CORPUS}")
    return sorted(html.glob("*.html.gz"))[:count]


def test_200_corpus_pages_reach_both_sinks_exactly_once(
        workers: WorkerProcesses, worker_env: dict[str, str], redis_client: redis.Redis,
        prefix: str, tmp_path: Path) -> None:
    """200 dev-corpus pages, 2 `newsmill worker` processes: each page once in the JSONL and the stream."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in corpus_pages(CORPUS_PAGES):
        shutil.copy(page, pages / page.name)
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()

    job_id = cli(worker_env, "enqueue", str(pages)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait", timeout=600))
    assert status["finished"] and status["enqueued"] == CORPUS_PAGES
    assert status["ok"] + status["dropped"] + status["failed"] == CORPUS_PAGES

    sink = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    streamed = stream_records(redis_client, prefix, job_id)
    for records in (sink, streamed):
        locations = Counter(r["source"]["location"] for r in records)
        assert len(locations) == CORPUS_PAGES and set(locations.values()) == {1}
    for record in sink:
        validate_record(record)
    assert status["ok"] >= 0.8 * CORPUS_PAGES, status  # most dev pages are articles
    human = cli(worker_env, "status", job_id)
    assert "finished" in human and f"enqueued {CORPUS_PAGES}" in human


def write_bad_inputs(folder: Path) -> dict[str, set[str]]:
    """Bad inputs, and the reason codes each may end with."""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_bytes(b"  \n\t\n")
    (folder / "zero.html").write_bytes(b"")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "latin.txt").write_bytes("Caf\xe9 au lait\n\nUn texte en latin-1.".encode("latin-1") + b"\xff\xfe")
    (folder / "nav-only.html").write_text(
        "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> <a href='/a'>About</a>"
        "</nav></body></html>", encoding="utf-8")
    with gzip.open(folder / "truncated.html.gz", "wb") as handle:
        handle.write(b"<html><body><p>" + b"x" * 100)
    (folder / "truncated.html.gz").write_bytes((folder / "truncated.html.gz").read_bytes()[:20])
    (folder / "lines.jsonl").write_text(
        '{"url": "https://example.org/a", "text": "A line that is fine.\\n\\nIt has two paragraphs of text '
        'that say enough to be an article body for the pipeline."}\n'
        "this line is not json\n"
        '{"url": "https://example.org/c"}\n'
        '["an", "array"]\n', encoding="utf-8")
    return {
        "empty.txt": {"empty"}, "blank.txt": {"empty"}, "zero.html": {"empty"},
        "binary.html": {"binary"}, "latin.txt": {"invalid_encoding"},
        "nav-only.html": {"no_content", "too_short"}, "truncated.html.gz": {"corrupt", "unreadable", "bad_gzip"},
        "lines.jsonl#2": {"invalid_json"}, "lines.jsonl#3": {"no_content"}, "lines.jsonl#4": {"invalid_json"},
    }


def test_bad_inputs_become_records_and_no_worker_dies(
        workers: WorkerProcesses, worker_env: dict[str, str], tmp_path: Path) -> None:
    """Each bad input ends dropped or failed with a reason code; workers live on; counts add up."""
    expected = write_bad_inputs(tmp_path / "bad")
    workers.start("--queues", "io", "--concurrency", "4")
    workers.start("--queues", "cpu", "--concurrency", "2")
    workers.wait_ready()

    job_id = cli(worker_env, "enqueue", str(tmp_path / "bad")).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait"))
    records = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    by_input = {}
    for record in records:
        validate_record(record)
        name = Path(record["source"]["location"]).name
        line = record["source"]["line"]
        by_input[f"{name}#{line}" if line else name] = record
    assert set(by_input) == set(expected) | {"lines.jsonl#1"}
    for name, reasons in expected.items():
        record = by_input[name]
        assert record["status"] in ("dropped", "failed"), (name, record)
        assert record["reason"] in reasons, (name, record["reason"], record["message"])
    assert by_input["lines.jsonl#1"]["status"] == "ok"
    assert status["finished"] and status["enqueued"] == len(records) == status["done"]
    assert sum(status["reasons"].values()) == status["dropped"] + status["failed"]
    for process in workers.processes:
        assert process.poll() is None, "a worker died"
    workers.wait_ready()  # and they still answer
