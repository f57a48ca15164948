"""The bounded inflater: every member of a gzip body, never past the cap."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from newsmill.fetch.body import BodyError, _Inflater, gunzip_limited


def test_every_gzip_member_is_inflated() -> None:
    """Several gzip members one after another (a server compressing as it flushes) give the whole text."""
    parts = [b"<html><body><p>first part</p>", b"<p>second part</p>", b"<p>third part</p></body></html>"]
    data = b"".join(gzip.compress(part) for part in parts)
    assert gunzip_limited(data, 1024) == b"".join(parts)


def test_zero_padding_after_the_last_member_is_ignored() -> None:
    assert gunzip_limited(gzip.compress(b"<p>text</p>") + bytes(32), 1024) == b"<p>text</p>"


def test_the_cap_counts_all_members() -> None:
    """Two members of 600 bytes each pass a cap of 1,000 bytes only as too_large."""
    data = gzip.compress(b"a" * 600) * 2
    with pytest.raises(BodyError) as info:
        gunzip_limited(data, 1000)
    assert info.value.code == "too_large"


def test_garbage_after_a_member_is_a_decoding_error() -> None:
    with pytest.raises(BodyError) as info:
        gunzip_limited(gzip.compress(b"<p>text</p>") + b"not gzip", 1024)
    assert info.value.code == "decoding_error"


def test_a_zlib_stream_is_one_member() -> None:
    """Deflate (zlib-wrapped) has no members: what follows the stream is not read as another one."""
    out = io.BytesIO()
    _Inflater("deflate", 1024).feed(zlib.compress(b"<p>text</p>") + b"trailing", out)
    assert out.getvalue() == b"<p>text</p>"


def test_members_split_across_chunks() -> None:
    """Members end and begin anywhere in the chunks the network hands over (here: 7 bytes at a time)."""
    parts = [b"<p>one</p>" * 50, b"<p>two</p>" * 50]
    data = b"".join(gzip.compress(part) for part in parts)
    out = io.BytesIO()
    inflater = _Inflater("gzip", 10_000)
    for start in range(0, len(data), 7):
        inflater.feed(data[start:start + 7], out)
    assert out.getvalue() == b"".join(parts)
