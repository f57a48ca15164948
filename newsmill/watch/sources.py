"""What to watch: URLs named on the command line, OPML files of feeds, and TOML files of sources, each
source with its own interval if the file gives one.

OPML (``<outline xmlUrl="…">``, nested in folders or not) may carry an ``every="5m"`` attribute on an
outline or on a folder outline around it. TOML::

    every = "10m"                 # this file's default (optional)

    [[source]]
    url = "https://news.example.org/rss.xml"
    every = "5m"                  # optional

Files are read again when they change (see :class:`SourceList`), so a source is added or its interval
changed without restarting the watcher.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]

from newsmill.watch.interval import parse_duration

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
TOML_SUFFIXES = (".toml",)
OPML_SUFFIXES = (".opml", ".xml")


class SourceError(ValueError):
    """A source or a sources file the watcher cannot use; the message is one line naming it."""


@dataclass(frozen=True)
class WatchedSource:
    url: str
    every: float | None = None
    """Seconds between polls, if the file gave one (else the watcher's default)."""


def _check_url(url: str, where: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise SourceError(f"{where}: {url!r} is not a URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{where}: {url!r} is not an http(s) URL of a feed or sitemap")
    return url


def _every(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SourceError(f"{where}: every = {value!r} must be a string like \"10m\"")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise SourceError(f"{where}: every: {exc}") from None


def read_opml(path: Path) -> list[WatchedSource]:
    """The feeds of an OPML file: every outline with an ``xmlUrl``, with the nearest ``every``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None
    # An OPML file has no use for a DOCTYPE, and libxml2 expands the entities one declares inside
    # attribute values whatever the parser is told: refused outright (the file may come from anywhere).
    if _DOCTYPE.search(data):
        raise SourceError(f"{path}: has a DOCTYPE; OPML needs none (remove it)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{path}: not an OPML file: {exc}") from None
    if etree.QName(root).localname.lower() != "opml":
        raise SourceError(f"{path}: not an OPML file (its root element is <{etree.QName(root).localname}>)")
    found = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url:
            continue
        where = f"{path}:{outline.sourceline}"
        every = next((o.get("every") for o in (outline, *outline.iterancestors("outline")) if o.get("every")),
                     None)
        found.append(WatchedSource(_check_url(url, where), _every(every, where)))
    return found


def read_toml(path: Path) -> list[WatchedSource]:
    """The ``[[source]]`` tables of a TOML file, with the file's ``every`` as their default."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{path}: not a TOML file: {exc}") from None
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None
    unknown = sorted(set(data) - {"every", "source"})
    if unknown:
        raise SourceError(f"{path}: unknown key(s) {', '.join(unknown)}; expected every and [[source]] tables")
    default = _every(data.get("every"), str(path))
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise SourceError(f"{path}: source must be [[source]] tables, each with a url")
    found = []
    for number, table in enumerate(tables, 1):
        where = f"{path}: source #{number}"
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            raise SourceError(f"{where}: needs url = \"https://…\"")
        extra = sorted(set(table) - {"url", "every"})
        if extra:
            raise SourceError(f"{where}: unknown key(s) {', '.join(extra)}; expected url and every")
        every = _every(table.get("every"), where)
        found.append(WatchedSource(_check_url(table["url"], where), every if every is not None else default))
    return found


def read_source(argument: str) -> list[WatchedSource]:
    """One command-line argument: an http(s) URL, or an OPML or TOML file."""
    if argument.lower().startswith(("http://", "https://")):
        return [WatchedSource(_check_url(argument, "source"))]
    path = Path(argument)
    if not path.exists():
        raise SourceError(f"{argument}: no such file, and not an http(s) URL")
    suffix = path.suffix.lower()
    if suffix in TOML_SUFFIXES:
        return read_toml(path)
    if suffix in OPML_SUFFIXES:
        return read_opml(path)
    raise SourceError(f"{argument}: expected an http(s) URL, an .opml file of feeds or a .toml file of sources")


def read_sources(arguments: Sequence[str]) -> list[WatchedSource]:
    """Every source the arguments name, each URL once (the first mention wins)."""
    seen: dict[str, WatchedSource] = {}
    for argument in arguments:
        for source in read_source(argument):
            seen.setdefault(source.url, source)
    return list(seen.values())


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class SourceList:
    """The sources of some arguments, read again when one of their files changes."""

    def __init__(self, arguments: Sequence[str]) -> None:
        self.arguments = tuple(arguments)
        self._files = [Path(a) for a in self.arguments if not a.lower().startswith(("http://", "https://"))]
        self._stamps = [_stamp(path) for path in self._files]
        self.sources = read_sources(self.arguments)

    def changed(self) -> bool:
        """Read the files again if one changed; True if so. A file that became unreadable raises
        :class:`SourceError` and the sources stay as they were."""
        stamps = [_stamp(path) for path in self._files]
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        self.sources = read_sources(self.arguments)
        return True
