"""WARC input: discovery enqueues each captured HTML page by offset, and the load stage reads that one
record — content-encoding, chunking and charsets undone, bounded — into a document with its URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmill.clean import clean
from newsmill.errors import Drop, Failure
from newsmill.ids import id_for_url
from newsmill.load import load_file
from newsmill.load.inputs import expand_inputs
from newsmill.record import Source, WorkItem
from tests.warc_archive import Archive, article_html, chunked, gzipped

MAX_BYTES = 1024 * 1024


def build(path: Path) -> None:
    with Archive(path) as warc:
        warc.warcinfo()
        warc.request("https://news.example/talks")
        warc.response("https://news.example/talks", article_html("Talks to resume in Geneva").encode())
        warc.response("https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
        warc.response("https://news.example/missing", b"<html><body>Not found</body></html>", status="404 Not Found")
        warc.response("https://news.example/moved", b"", status="301 Moved Permanently",
                      headers=[("Location", "https://news.example/talks")])
        warc.response("https://news.example/gz", chunked(gzipped(article_html("Compressed capture").encode())),
                      headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
        warc.response("https://news.example/ru", article_html("Новости из Москвы").encode("cp1251"),
                      content_type="text/html; charset=windows-1251")
        warc.resource("https://news.example/archived", article_html("Archived page").encode(), "text/html")


def load(source: Source, max_bytes: int = MAX_BYTES):  # type: ignore[no-untyped-def]
    return load_file(WorkItem(job_id="job-1", source=source), max_bytes=max_bytes)


@pytest.mark.parametrize("name", ["capture.warc.gz", "capture.warc"])
def test_discovery_finds_each_captured_html_page(tmp_path: Path, name: str) -> None:
    build(tmp_path / name)
    sources = list(expand_inputs([str(tmp_path)]))
    assert [s.kind for s in sources] == ["warc"] * 4
    assert [s.line for s in sources] == [3, 7, 8, 9]  # warcinfo, request, png, 404 and 301 skipped
    assert len({s.offset for s in sources}) == 4
    urls = [load(s).url for s in sources]
    assert urls == ["https://news.example/talks", "https://news.example/gz", "https://news.example/ru",
                    "https://news.example/archived"]


def test_loaded_records_decode_and_clean(tmp_path: Path) -> None:
    build(tmp_path / "capture.warc.gz")
    talks, compressed, russian, archived = (load(s) for s in expand_inputs([str(tmp_path / "capture.warc.gz")]))
    assert talks.id == id_for_url("https://news.example/talks") and talks.content_kind == "html"
    record = clean(talks)
    assert record.title == "Talks to resume in Geneva"
    assert record.text and record.text.startswith("The ministry said on Monday")
    assert "Compressed capture" in compressed.body  # chunked + gzip undone
    assert "Новости из Москвы" in russian.body  # charset from the captured Content-Type
    assert "Archived page" in archived.body
    assert [run.stage for run in talks.provenance] == ["load"]


def test_inflated_size_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.warc.gz"
    with Archive(path) as warc:
        page = b"<html><body><p>" + b"a" * (4 * 1024 * 1024) + b"</p></body></html>"
        warc.response("https://news.example/bomb", gzipped(page), headers=[("Content-Encoding", "gzip")])
    [source] = expand_inputs([str(path)])
    with pytest.raises(Failure) as caught:
        load(source, max_bytes=MAX_BYTES)
    assert caught.value.code == "too_large"


def test_damaged_archives_fail_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "capture.warc.gz"
    build(path)
    first, *_ = expand_inputs([str(path)])
    with pytest.raises(Failure) as caught:
        load(Source(kind="warc", location=str(path), line=3, offset=(first.offset or 0) + 7))
    assert caught.value.code == "unreadable"
    # Cut off in the middle of the fifth page: discovery keeps what it found before the damage.
    data = path.read_bytes()
    last = list(expand_inputs([str(path)]))[-1]
    (tmp_path / "cut").mkdir()
    cut = tmp_path / "cut" / "cut.warc.gz"
    cut.write_bytes(data[: (last.offset or 0) + 40])
    assert [s.line for s in expand_inputs([str(cut)])] == [3, 7, 8]


def test_a_record_that_is_not_a_page_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "capture.warc.gz"
    build(path)
    with pytest.raises(Drop) as caught:
        load(Source(kind="warc", location=str(path), line=1, offset=0))  # the warcinfo record
    assert caught.value.reason == "not_html"
