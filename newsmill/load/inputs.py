"""The producer's inputs: URLs, files, directories and globs named on the command line become a stream
of Sources (feeds and sitemaps are read by :mod:`newsmill.fetch.discovery` instead).

Nothing here reads an article. Discovery only decides *what* to enqueue, streaming, so a directory of a
million files or a 50 GB JSONL file starts flowing into the queue at once and never sits in memory.
JSON lines are located (line number and byte offset) but not parsed: a broken line must become a
``dropped`` record on a worker, not crash the producer.
"""

from __future__ import annotations

import errno
import fnmatch
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from newsmill.record import Source

FileFormat = Literal["html", "text", "jsonl"]

_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_TEXT_SUFFIXES = (".txt",)
_JSONL_SUFFIXES = (".jsonl", ".json")
_WARC_SUFFIXES = (".warc", ".warc.gz")
_GLOB_CHARS = re.compile(r"[*?[]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_URL_LINE_LIMIT = 8192
"""A longer line is not a URL, and reading lines in bounded pieces keeps a binary .txt harmless."""
_CHUNK = 64 * 1024

_Match = tuple[Path, bool]
"""A path to expand, and whether the user named it explicitly (then unknown extensions are kept)."""


def expand_inputs(inputs: Iterable[str]) -> Iterator[Source]:
    """Stream one :class:`Source` per article input named by ``inputs``.

    An input is an http(s) URL, a file, a directory (walked recursively in sorted order, hidden
    entries skipped, files of unknown types yielded as ``unsupported`` sources), or a glob (``**``
    matches any depth; matches are treated like directory contents). Each file or URL is yielded once
    however often it is named.

    Every input is checked before the first Source is produced, so a typo fails the whole command
    before anything is enqueued: a missing path or a glob without matches raises
    ``FileNotFoundError``, a non-http URL or a compressed JSONL file ``ValueError``.
    """
    plans = [_plan(text) for text in inputs]
    return _stream(plans)


def is_http_url(text: str) -> bool:
    """True for an absolute http or https URL with a host and no whitespace."""
    if not text or any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def is_warc(name: str) -> bool:
    """A web archive: discovery enqueues each captured HTML page in it (see :mod:`newsmill.load.warc`)."""
    return name.lower().endswith(_WARC_SUFFIXES)


def file_format(name: str) -> FileFormat | None:
    """The format a file name announces (``.gz`` allowed except for JSONL), or None if unknown."""
    lower = name.lower()
    compressed = lower.endswith(".gz")
    if compressed:
        lower = lower[: -len(".gz")]
    if lower.endswith(_HTML_SUFFIXES):
        return "html"
    if lower.endswith(_TEXT_SUFFIXES):
        return "text"
    if lower.endswith(_JSONL_SUFFIXES) and not compressed:
        return "jsonl"
    return None


def _is_compressed_jsonl(name: str) -> bool:
    # A worker would have to decompress from the start of the file to reach each line's offset.
    return name.lower().endswith(tuple(suffix + ".gz" for suffix in _JSONL_SUFFIXES))


def _plan(text: str) -> str | Iterator[_Match]:
    """Check one input eagerly; return the URL, or the (lazy) paths it names."""
    if is_http_url(text.strip()):
        return text.strip()
    if _SCHEME.match(text):
        raise ValueError(f"unsupported input {text!r}: only http and https URLs can be fetched")
    path = Path(text).expanduser()
    if path.exists():
        # A literal name wins over a glob reading: "report[1].html" is a file if it exists.
        if path.is_file() and _is_compressed_jsonl(path.name):
            raise ValueError(f"{text}: compressed JSON Lines is not supported; decompress it first")
        return iter([(path.resolve(), True)])
    if _GLOB_CHARS.search(text):
        matches = _glob(str(path))
        first = next(matches, None)
        if first is None:
            raise FileNotFoundError(errno.ENOENT, "no files match the pattern", text)
        return ((match.resolve(), False) for match in itertools.chain([first], matches))
    raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), text)


def _stream(plans: list[str | Iterator[_Match]]) -> Iterator[Source]:
    seen_urls: set[str] = set()
    seen_files: set[str] = set()
    for plan in plans:
        if isinstance(plan, str):
            if plan not in seen_urls:
                seen_urls.add(plan)
                yield Source(kind="url", location=plan)
            continue
        for path, explicit in plan:
            # Only a file named on its own is "explicit"; a directory's contents are filtered.
            files = ((file, False) for file in _walk(path)) if path.is_dir() else iter([(path, explicit)])
            for file, named in files:
                location = str(file)
                if location in seen_files:
                    continue
                seen_files.add(location)
                for source in _sources_in_file(file, explicit=named):
                    if source.kind == "url":
                        if source.location in seen_urls:
                            continue
                        seen_urls.add(source.location)
                    yield source


def _sources_in_file(path: Path, *, explicit: bool) -> Iterator[Source]:
    location = str(path)
    fmt = file_format(path.name)
    if is_warc(path.name):
        from newsmill.load.warc import warc_sources  # imports warcio only when a WARC is named

        yield from warc_sources(path)
    elif fmt == "jsonl":
        yield from _jsonl_lines(path)
    elif fmt == "text" and not path.name.lower().endswith(".gz") and _is_url_list(path):
        for url in _url_lines(path):
            yield Source(kind="url", location=url)
    elif fmt is not None or explicit:
        # A file named explicitly with an unknown extension is the user's choice: the loader sniffs it.
        yield Source(kind="file", location=location)
    else:
        # Found by walking a folder and of no type newsmill reads: never skipped in silence, it becomes
        # a dropped/unsupported_type record (the load stage says so without reading it).
        yield Source(kind="unsupported", location=location)


def _walk(directory: Path) -> Iterator[Path]:
    """Files under ``directory`` in sorted order, one directory listing in memory at a time.

    Symlinked directories are not followed (they can loop); symlinked files are.
    """
    with os.scandir(directory) as listing:
        entries = sorted((entry for entry in listing if not entry.name.startswith(".")),
                         key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)


def _glob(pattern: str) -> Iterator[Path]:
    """Sorted, streaming glob over an absolute pattern (stdlib ``iglob`` is not sorted)."""
    parts = Path(os.path.abspath(pattern)).parts
    first_magic = next(i for i, part in enumerate(parts) if _GLOB_CHARS.search(part))
    return _glob_parts(Path(*parts[:first_magic]), parts[first_magic:])


def _glob_parts(base: Path, parts: tuple[str, ...]) -> Iterator[Path]:
    if not parts:
        yield base
        return
    head, rest = parts[0], parts[1:]
    if head == "**":
        if not rest:
            # "dir/**" means everything below dir, which is what expanding the directory does.
            if base.is_dir():
                yield base
            return
        yield from _glob_parts(base, rest)
        for name in _sorted_names(base):
            child = base / name
            if not name.startswith(".") and child.is_dir() and not child.is_symlink():
                yield from _glob_parts(child, parts)
    elif not _GLOB_CHARS.search(head):
        child = base / head
        if (child.exists() and not rest) or child.is_dir():
            yield from _glob_parts(child, rest)
    else:
        for name in _sorted_names(base):
            if name.startswith(".") and not head.startswith("."):
                continue
            child = base / name
            if fnmatch.fnmatchcase(name, head) and (not rest or child.is_dir()):
                yield from _glob_parts(child, rest)


def _sorted_names(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except (NotADirectoryError, FileNotFoundError):
        return []


def _url_list_entry(raw_line: bytes) -> str | None:
    """The line's text when it counts (not blank, not a ``#`` comment), else None."""
    text = raw_line.decode("utf-8", errors="replace").strip().lstrip("\ufeff").strip()
    if not text or text.startswith("#"):
        return None
    return text


def _is_url_list(path: Path) -> bool:
    """True when every counting line of a .txt file looks like ``scheme://…`` (and there is at least one).

    Whoever wrote such a file meant a URL list: a line with a scheme newsmill cannot fetch (``ftp://``)
    becomes its own ``dropped``/``bad_scheme`` record from the fetch stage, not a reason to read the
    whole list as an article."""
    found = False
    try:
        with path.open("rb") as file:
            while line := file.readline(_URL_LINE_LIMIT):
                if len(line) == _URL_LINE_LIMIT and not line.endswith(b"\n"):
                    return False
                entry = _url_list_entry(line)
                if entry is None:
                    continue
                if not _looks_like_url(entry):
                    return False
                found = True
    except OSError:
        # Not readable here: enqueue it as a file, so the worker's "unreadable" record reports it.
        return False
    return found


def _looks_like_url(text: str) -> bool:
    return bool(_SCHEME.match(text)) and not any(char.isspace() for char in text)


def _url_lines(path: Path) -> Iterator[str]:
    with path.open("rb") as file:
        while line := file.readline(_URL_LINE_LIMIT):
            entry = _url_list_entry(line)
            if entry is not None:
                yield entry


def _jsonl_lines(path: Path) -> Iterator[Source]:
    """One Source per non-blank line, found by scanning fixed-size chunks (a line may be huge)."""
    location = str(path)
    line_no = 1
    line_start = 0
    chunk_start = 0
    blank = True
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            pos = 0
            while True:
                newline = chunk.find(b"\n", pos)
                end = newline if newline >= 0 else len(chunk)
                if blank and chunk[pos:end].strip():
                    blank = False
                if newline < 0:
                    break
                if not blank:
                    yield Source(kind="jsonl", location=location, line=line_no, offset=line_start)
                line_no += 1
                line_start = chunk_start + newline + 1
                blank = True
                pos = newline + 1
            chunk_start += len(chunk)
    if not blank:
        yield Source(kind="jsonl", location=location, line=line_no, offset=line_start)
