"""Content-Type headers: the media type and charset they name, and which media types are HTML.

Both sides of the load stage read them: the fetcher checks a server's header before it reads the body,
and the WARC loader checks the header a crawler captured. Living below both keeps ``load`` and ``fetch``
independent of each other.
"""

from __future__ import annotations

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def media_type(header: str | None) -> str | None:
    """The header's media type, lowercased, without parameters; None when there is no header."""
    if not header or not header.strip():
        return None
    return header.split(";", 1)[0].strip().lower()


def charset(header: str | None) -> str | None:
    """The header's ``charset`` parameter, unquoted; None when it names none."""
    for parameter in (header or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
