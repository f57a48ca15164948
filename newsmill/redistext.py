"""Values read back from Redis as text, whichever way the client was made (bytes, or str with
``decode_responses``); a missing value (``None``) reads as ``""``."""

from __future__ import annotations


def text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
