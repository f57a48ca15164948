"""The load side of the pipeline: find inputs (producer), then load files or fetch URLs (``io`` workers).

The modules are small and private in spirit; import from here.
"""

from __future__ import annotations

from newsmill.load.discover import expand_inputs, file_format, is_http_url
from newsmill.load.fetch import fetch_url, parse_retry_after
from newsmill.load.files import load_file

__all__ = [
    "expand_inputs",
    "fetch_url",
    "file_format",
    "is_http_url",
    "load_file",
    "parse_retry_after",
]
