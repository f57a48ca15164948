"""Build small WARC files with warcio's writer, as a crawler would have captured the pages."""

from __future__ import annotations

import gzip
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.unit.test_clean_html import PARAGRAPHS

ARTICLE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"""


def article_html(title: str) -> str:
    return ARTICLE.format(title=title, paragraphs="".join(f"<p>{p}</p>" for p in PARAGRAPHS))


class Archive:
    """Records appended to one WARC file (gzipped per record when the name ends in .gz)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self._writer = WARCWriter(self._file, gzip=path.name.endswith(".gz"))

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def response(self, url: str, body: bytes, *, content_type: str = "text/html; charset=utf-8",
                 status: str = "200 OK", headers: list[tuple[str, str]] | None = None) -> None:
        http = StatusAndHeaders(status, [("Content-Type", content_type), *(headers or [])], protocol="HTTP/1.1")
        record = self._writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http)
        self._writer.write_record(record)

    def request(self, url: str) -> None:
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True)
        self._writer.write_record(self._writer.create_warc_record(url, "request", payload=BytesIO(b""),
                                                                  http_headers=http))

    def resource(self, url: str, body: bytes, content_type: str) -> None:
        self._writer.write_record(self._writer.create_warc_record(
            url, "resource", payload=BytesIO(body), warc_content_type=content_type))

    def warcinfo(self) -> None:
        self._writer.write_record(self._writer.create_warcinfo_record("test.warc.gz", {"software": "newsmill-tests"}))


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def chunked(data: bytes, size: int = 100) -> bytes:
    parts = [f"{len(data[i:i + size]):x}\r\n".encode() + data[i:i + size] + b"\r\n" for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"
