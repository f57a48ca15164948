"""The load side of the pipeline: find inputs (producer), then load files (``io`` workers).

URLs are fetched by the fetch stage, :mod:`newsmill.fetch.page`; load and fetch never import each other.

The modules are small and private in spirit; import from here.
"""

from __future__ import annotations

from newsmill.load.discover import expand_inputs, file_format, is_http_url
from newsmill.load.files import load_file

__all__ = [
    "expand_inputs",
    "file_format",
    "is_http_url",
    "load_file",
]
