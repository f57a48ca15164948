"""The load stage: local files and JSONL lines become Documents, or end with a reason code."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from newsmill.errors import Drop, Failure
from newsmill.ids import id_for_content, id_for_url
from newsmill.load import expand_inputs, load_file
from newsmill.record import Document, Source, WorkItem

MAX = 64 * 1024
ARTICLE = "Damascus, SANA – The ministry said the coalition targeted al-Qussour neighborhood.\n"
HTML = f"<!doctype html><html><head><title>T</title></head><body><p>{ARTICLE}</p></body></html>"


def _file(path: Path, content: bytes | str) -> WorkItem:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return WorkItem(job_id="job", source=Source(kind="file", location=str(path)))


def _jsonl(tmp_path: Path, *lines: str) -> list[WorkItem]:
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [WorkItem(job_id="job", source=source) for source in expand_inputs([str(path)])]


def _drop_reason(item: WorkItem) -> str:
    with pytest.raises(Drop) as info:
        load_file(item, max_bytes=MAX)
    return info.value.reason


def _failure_code(item: WorkItem) -> str:
    with pytest.raises(Failure) as info:
        load_file(item, max_bytes=MAX)
    return info.value.code


def test_html_file(tmp_path: Path) -> None:
    """An .html file loads as html, with a content id and one load provenance entry."""
    doc = load_file(_file(tmp_path / "a.html", HTML), max_bytes=MAX)
    assert doc.content_kind == "html"
    assert doc.body == HTML
    assert doc.id == id_for_content(HTML.encode())
    assert doc.url is None
    assert [run.stage for run in doc.provenance] == ["load"]
    assert doc.provenance[0].version == "newsmill-load 0.1.0"


def test_document_survives_json_round_trip(tmp_path: Path) -> None:
    """What load returns can travel through Celery's JSON and come back equal."""
    doc = load_file(_file(tmp_path / "a.html", HTML), max_bytes=MAX)
    assert Document.from_dict(json.loads(json.dumps(doc.to_dict()))).body == doc.body


def test_gzipped_html_file(tmp_path: Path) -> None:
    """An .html.gz file is decompressed and gets the same id as the plain file."""
    doc = load_file(_file(tmp_path / "a.html.gz", gzip.compress(HTML.encode())), max_bytes=MAX)
    assert doc.content_kind == "html"
    assert doc.body == HTML
    assert doc.id == id_for_content(HTML.encode())


def test_gzip_bomb_is_bounded(tmp_path: Path) -> None:
    """A small .gz that inflates far past max_bytes fails as too_large without inflating it all."""
    bomb = gzip.compress(b"<html>" + b" " * (10 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < MAX
    assert _failure_code(_file(tmp_path / "bomb.html.gz", bomb)) == "too_large"


def test_corrupt_gzip_is_unreadable(tmp_path: Path) -> None:
    """A .gz that is not gzip fails as unreadable."""
    assert _failure_code(_file(tmp_path / "bad.html.gz", b"<html>not gzip</html>")) == "unreadable"


def test_too_large_file(tmp_path: Path) -> None:
    """A file over max_bytes fails as too_large."""
    assert _failure_code(_file(tmp_path / "big.html", "<html>" + "x" * MAX)) == "too_large"


def test_text_article(tmp_path: Path) -> None:
    """A .txt article loads as text, BOM removed."""
    doc = load_file(_file(tmp_path / "story.txt", b"\xef\xbb\xbf" + ARTICLE.encode()), max_bytes=MAX)
    assert doc.content_kind == "text"
    assert doc.body == ARTICLE


def test_txt_that_is_html_is_sniffed(tmp_path: Path) -> None:
    """A .txt that starts like an HTML document is treated as html."""
    assert load_file(_file(tmp_path / "saved.txt", HTML), max_bytes=MAX).content_kind == "html"


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    """A file with an unknown extension is html or text by its content."""
    assert load_file(_file(tmp_path / "page.php", HTML), max_bytes=MAX).content_kind == "html"
    assert load_file(_file(tmp_path / "story.md", ARTICLE), max_bytes=MAX).content_kind == "text"


def test_seed_article_loads() -> None:
    """The repository's seed article loads as text."""
    seed = next(Path(__file__).parents[2].joinpath("seeds").glob("*.txt"))
    doc = load_file(WorkItem("job", Source("file", str(seed))), max_bytes=MAX)
    assert doc.content_kind == "text" and "SANA" in doc.body


@pytest.mark.parametrize(("name", "content"), [("empty.txt", b""), ("empty.html", b""),
                                               ("blank.txt", b"  \n\t\r\n")])
def test_empty_files_are_dropped(tmp_path: Path, name: str, content: bytes) -> None:
    """Zero-byte and whitespace-only files are dropped as empty."""
    assert _drop_reason(_file(tmp_path / name, content)) == "empty"


def test_binary_file_is_dropped(tmp_path: Path) -> None:
    """A PDF renamed to .html is dropped as binary, never decoded."""
    assert _drop_reason(_file(tmp_path / "report.html", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")) == "binary"


def test_invalid_utf8_text_is_dropped(tmp_path: Path) -> None:
    """A .txt that is not UTF-8 is dropped as invalid_encoding."""
    assert _drop_reason(_file(tmp_path / "latin1.txt", "café au lait".encode("latin-1"))) == "invalid_encoding"


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    """A file that vanished after discovery fails as unreadable."""
    item = WorkItem("job", Source("file", str(tmp_path / "gone.html")))
    assert _failure_code(item) == "unreadable"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_permission_denied_is_unreadable(tmp_path: Path) -> None:
    """A file the worker may not read fails as unreadable."""
    item = _file(tmp_path / "secret.html", HTML)
    (tmp_path / "secret.html").chmod(0)
    assert _failure_code(item) == "unreadable"


def test_directory_is_unreadable(tmp_path: Path) -> None:
    """A path that is not a regular file fails as unreadable instead of blocking or crashing."""
    assert _failure_code(WorkItem("job", Source("file", str(tmp_path)))) == "unreadable"


def test_jsonl_good_line(tmp_path: Path) -> None:
    """A JSONL object with html and metadata yields a Document with hints and a URL id."""
    line = {"url": "https://news.example/a", "html": HTML, "title": "T", "authors": "Jane Roe",
            "published": "2017-10-25", "language": "en", "site_name": "SANA", "description": "D"}
    (item,) = _jsonl(tmp_path, json.dumps(line))
    doc = load_file(item, max_bytes=MAX)
    assert doc.content_kind == "html"
    assert doc.body == HTML
    assert doc.url == "https://news.example/a"
    assert doc.id == id_for_url("https://news.example/a")
    assert doc.hints == {"url": "https://news.example/a", "title": "T", "authors": ["Jane Roe"],
                         "published": "2017-10-25", "language": "en", "site_name": "SANA",
                         "description": "D"}


def test_jsonl_text_line_uses_its_offset(tmp_path: Path) -> None:
    """Each line is read at its own offset; a text line without URL gets a content id."""
    items = _jsonl(tmp_path, json.dumps({"text": "first"}), "", json.dumps({"text": "zweite Zeile ü"}))
    doc = load_file(items[1], max_bytes=MAX)
    assert (doc.content_kind, doc.body, doc.url) == ("text", "zweite Zeile ü", None)
    assert doc.id == id_for_content("zweite Zeile ü")


def test_jsonl_without_offset_finds_line(tmp_path: Path) -> None:
    """A Source with only a line number is still loaded (slower path)."""
    _jsonl(tmp_path, json.dumps({"text": "one"}), json.dumps({"text": "two"}))
    item = WorkItem("job", Source("jsonl", str(tmp_path / "data.jsonl"), line=2))
    assert load_file(item, max_bytes=MAX).body == "two"


@pytest.mark.parametrize(("line", "reason"), [
    ('{"html": "<p>unterminated', "invalid_json"),
    ('["html", "a list"]', "invalid_json"),
    ('{"title": "no body"}', "no_content"),
    ('{"text": 42}', "no_content"),
    ('{"text": "   "}', "empty"),
])
def test_jsonl_bad_lines_are_dropped(tmp_path: Path, line: str, reason: str) -> None:
    """Broken or content-less JSONL lines become drops with a reason, not crashes."""
    (item,) = _jsonl(tmp_path, line)
    assert _drop_reason(item) == reason


def test_jsonl_line_too_long(tmp_path: Path) -> None:
    """A JSONL line longer than max_bytes fails as too_large without reading the rest of it."""
    (item,) = _jsonl(tmp_path, json.dumps({"text": "x" * MAX}))
    assert _failure_code(item) == "too_large"


def test_file_of_an_unsupported_type_found_in_a_folder_is_dropped_without_being_read(tmp_path: Path) -> None:
    """mixed/blob.bin found by a directory walk ends as dropped/unsupported_type, naming the file."""
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "blob.bin").write_bytes(b"\x00" * 10)
    (source,) = expand_inputs([str(tmp_path / "mixed")])
    with pytest.raises(Drop) as dropped:
        load_file(WorkItem(job_id="job", source=source), max_bytes=1000)
    assert dropped.value.reason == "unsupported_type" and "blob.bin" in str(dropped.value)
