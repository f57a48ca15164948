"""A WARC file through real workers: every captured HTML page once in the sink, with its captured URL
as the record's URL and source kind `warc`; a damaged record fails with a reason, the job completes."""

from __future__ import annotations

import json
from pathlib import Path

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import read_jsonl, validate_record
from tests.integration.test_seed_distributed import cli
from tests.warc_archive import Archive, article_html


def test_warc_pages_through_real_workers(workers: WorkerProcesses, worker_env: dict[str, str],
                                         tmp_path: Path) -> None:
    worker_env["NEWSMILL_ENRICH"] = "reading_time"
    path = tmp_path / "crawl.warc.gz"
    titles = [f"Council approves budget for district {n}" for n in range(5)]
    with Archive(path) as warc:
        warc.warcinfo()
        for n, title in enumerate(titles):
            warc.request(f"https://news.example/budget-{n}")
            warc.response(f"https://news.example/budget-{n}", article_html(title).encode())
            warc.response(f"https://news.example/img-{n}.jpg", b"\xff\xd8\xff" + b"\0" * 32, content_type="image/jpeg")
        # The capture of an empty page: a dropped record, not a crash.
        warc.response("https://news.example/blank", b"   ")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    job_id = cli(worker_env, "enqueue", str(path)).strip()
    status = json.loads(cli(worker_env, "status", job_id, "--json", "--wait"))
    assert status["finished"] and status["enqueued"] == 6 and status["ok"] == 5 and status["dropped"] == 1, status

    records = [r for r in read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    assert len(records) == 6
    for record in records:
        validate_record(record)
        assert record["source"]["kind"] == "warc" and record["source"]["location"] == str(path)
    ok = sorted((r for r in records if r["status"] == "ok"), key=lambda r: r["url"])
    assert [r["url"] for r in ok] == [f"https://news.example/budget-{n}" for n in range(5)]
    assert [r["title"] for r in ok] == titles
    [blank] = [r for r in records if r["status"] == "dropped"]
    assert blank["source"]["line"] == 17  # warcinfo + 5 × (request, response, image), then the blank page
    assert blank["reason"] == "empty"
