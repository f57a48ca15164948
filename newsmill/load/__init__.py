"""The load side of the pipeline: find inputs (producer), then load files (``io`` workers).

URLs are fetched by the fetch stage, :mod:`newsmill.fetch.page`; load and fetch never import each other.

The modules are small and private in spirit; import from here.
"""

from __future__ import annotations

from newsmill.load.files import load_file
from newsmill.load.inputs import expand_inputs, file_format, is_http_url

__all__ = [
    "expand_inputs",
    "file_format",
    "is_http_url",
    "load_file",
]
