"""Fault injection for the poison-message scenario, loaded (as ``sitecustomize``) only by the worker
processes of that scenario, through their ``PYTHONPATH``: the clean stage makes its process exit at once,
as a segfaulting parser would, for any document that contains ``NEWSMILL_TEST_CRASH_MARKER``."""

from __future__ import annotations

import os

_marker = os.environ.get("NEWSMILL_TEST_CRASH_MARKER")

if _marker:
    import newsmill.clean as _clean

    _original = _clean.clean

    def _crashing_clean(document, *args, **kwargs):  # type: ignore[no-untyped-def]
        if _marker in (document.body or ""):
            os._exit(3)
        return _original(document, *args, **kwargs)

    _clean.clean = _crashing_clean
