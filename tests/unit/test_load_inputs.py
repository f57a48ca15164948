"""The producer's inputs: which Sources the producer enqueues for URLs, files, directories and globs."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmill.load import expand_inputs
from newsmill.record import Source


def _tree(root: Path, files: dict[str, bytes | str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def _locations(sources: list[Source]) -> list[str]:
    return [source.location for source in sources]


def test_url_input() -> None:
    """An http(s) URL becomes one url Source, unchanged."""
    assert list(expand_inputs(["https://example.org/a?x=1"])) == [
        Source(kind="url", location="https://example.org/a?x=1")]


def test_other_scheme_is_rejected() -> None:
    """A non-http URL is a clear error instead of a confusing missing-file error."""
    with pytest.raises(ValueError, match="only http and https"):
        list(expand_inputs(["ftp://example.org/a"]))


def test_directory_is_walked_sorted_recursively(tmp_path: Path) -> None:
    """A directory yields its files at any depth, sorted, skipping hidden ones; a file of a type newsmill
    does not read is an ``unsupported`` source (a dropped record later), never skipped in silence."""
    _tree(tmp_path, {"b.html": "x", "a/z.htm": "x", "a/y.txt": "article", "c.html.gz": b"x",
                     "notes.md": "x", "blob.bin": b"\x00\x01", ".hidden.html": "x", ".git/x.html": "x"})
    sources = list(expand_inputs([str(tmp_path)]))
    assert [(s.kind, s.location) for s in sources] == [
        ("file", str(tmp_path / "a/y.txt")), ("file", str(tmp_path / "a/z.htm")), ("file", str(tmp_path / "b.html")),
        ("unsupported", str(tmp_path / "blob.bin")), ("file", str(tmp_path / "c.html.gz")),
        ("unsupported", str(tmp_path / "notes.md"))]


def test_url_list_with_a_line_newsmill_cannot_fetch_stays_a_url_list(tmp_path: Path) -> None:
    """Every counting line looks like scheme://…: a URL list, whose ftp line is passed on as a URL (the
    fetch stage drops it as bad_scheme) instead of the whole file being read as an article."""
    _tree(tmp_path, {"urls.txt": "https://a.example/1\nftp://files.example/x\n"})
    assert list(expand_inputs([str(tmp_path / "urls.txt")])) == [
        Source(kind="url", location="https://a.example/1"), Source(kind="url", location="ftp://files.example/x")]


def test_locations_are_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative path comes out as an absolute location, so any worker can open it."""
    _tree(tmp_path, {"x.html": "x"})
    monkeypatch.chdir(tmp_path)
    assert _locations(list(expand_inputs(["x.html"]))) == [str(tmp_path / "x.html")]


def test_explicit_unknown_extension_is_kept(tmp_path: Path) -> None:
    """A file named explicitly is loaded whatever its extension; the loader sniffs it."""
    _tree(tmp_path, {"page.php": "<html></html>"})
    assert list(expand_inputs([str(tmp_path / "page.php")])) == [
        Source(kind="file", location=str(tmp_path / "page.php"))]


def test_url_list_file(tmp_path: Path) -> None:
    """A .txt whose non-comment lines are all URLs yields one url Source per URL."""
    _tree(tmp_path, {"urls.txt": "# seeds\nhttps://a.example/1\n\n  http://b.example/2  \n"})
    assert list(expand_inputs([str(tmp_path / "urls.txt")])) == [
        Source(kind="url", location="https://a.example/1"), Source(kind="url", location="http://b.example/2")]


def test_text_article_is_a_file(tmp_path: Path) -> None:
    """A .txt with prose (even if it starts with a URL) is an article, not a URL list."""
    _tree(tmp_path, {"story.txt": "https://a.example/1\nDamascus, SANA - The ministry said..."})
    assert list(expand_inputs([str(tmp_path / "story.txt")])) == [
        Source(kind="file", location=str(tmp_path / "story.txt"))]


def test_blank_txt_is_a_file(tmp_path: Path) -> None:
    """An empty .txt is passed on as a file so it ends as a visible 'empty' record, not silently."""
    _tree(tmp_path, {"empty.txt": "\n\n"})
    assert [s.kind for s in expand_inputs([str(tmp_path / "empty.txt")])] == ["file"]


def test_jsonl_lines_with_offsets(tmp_path: Path) -> None:
    """A JSONL file yields one Source per non-blank line; offsets point at each line's first byte."""
    content = b'{"text": "one"}\n\n  \n{"text": "\xc3\xa9"}\r\nnot json\n{"last": true}'
    _tree(tmp_path, {"data.jsonl": content})
    sources = list(expand_inputs([str(tmp_path / "data.jsonl")]))
    assert [(s.kind, s.line) for s in sources] == [("jsonl", 1), ("jsonl", 4), ("jsonl", 5), ("jsonl", 6)]
    lines = content.split(b"\n")
    for source in sources:
        assert source.line is not None and source.offset is not None
        assert content[source.offset:].split(b"\n", 1)[0] == lines[source.line - 1]


def test_jsonl_scan_across_chunks(tmp_path: Path) -> None:
    """Line offsets stay right when lines straddle the scanner's read chunks."""
    lines = [b'{"text": "' + b"x" * (n * 7919 % 150_000) + b'"}' for n in range(12)]
    content = b"\n".join(lines) + b"\n"
    _tree(tmp_path, {"big.json": content})
    sources = list(expand_inputs([str(tmp_path / "big.json")]))
    assert [s.line for s in sources] == list(range(1, 13))
    assert [content[s.offset or 0:].split(b"\n", 1)[0] for s in sources] == lines


def test_same_file_named_twice_yields_once(tmp_path: Path) -> None:
    """A file reached through its directory and by name is enqueued once; so is a repeated URL."""
    _tree(tmp_path, {"seeds/x.txt": "article", "seeds/urls.txt": "https://a.example/1\n"})
    sources = list(expand_inputs([str(tmp_path / "seeds"), str(tmp_path / "seeds/x.txt"),
                                  "https://a.example/1"]))
    assert _locations(sources) == ["https://a.example/1", str(tmp_path / "seeds/x.txt")]


def test_glob_with_double_star(tmp_path: Path) -> None:
    """A ** glob matches at every depth, sorted."""
    _tree(tmp_path, {"a.html": "x", "d/b.html": "x", "d/e/c.html": "x", "d/e/c.txt": "x"})
    assert _locations(list(expand_inputs([str(tmp_path / "**" / "*.html")]))) == [
        str(tmp_path / name) for name in ("a.html", "d/b.html", "d/e/c.html")]


def test_missing_path_raises() -> None:
    """A path that does not exist is a FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match=r"no/such/file\.html"):
        list(expand_inputs(["no/such/file.html"]))


def test_glob_without_matches_raises(tmp_path: Path) -> None:
    """A glob that matches nothing is a FileNotFoundError too, before anything is produced."""
    with pytest.raises(FileNotFoundError, match="no files match"):
        expand_inputs(["https://a.example/1", str(tmp_path / "*.html")])


def test_compressed_jsonl_is_rejected(tmp_path: Path) -> None:
    """A .jsonl.gz named explicitly is refused with a clear message rather than loaded as one blob."""
    _tree(tmp_path, {"x.jsonl.gz": b"\x1f\x8b"})
    with pytest.raises(ValueError, match="decompress"):
        expand_inputs([str(tmp_path / "x.jsonl.gz")])


def test_streams_lazily(tmp_path: Path) -> None:
    """Inputs are expanded as the stream is consumed: a later directory is listed only when reached."""
    _tree(tmp_path, {"d1/a.html": "x", "d2/b.html": "x"})
    stream = expand_inputs([str(tmp_path / "d1"), str(tmp_path / "d2")])
    assert next(stream).location == str(tmp_path / "d1/a.html")
    _tree(tmp_path, {"d2/c.html": "x"})
    assert _locations(list(stream)) == [str(tmp_path / "d2/b.html"), str(tmp_path / "d2/c.html")]
