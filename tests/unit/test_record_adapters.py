"""Payload adapters are built by one thread at a time: building one parses source code (attribute
docstrings), and CPython 3.11's AST conversion fails in concurrent threads ("AST constructor recursion
depth mismatch"), which lost a message in an io worker's thread pool."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from newsmill import record


def test_threads_that_need_an_adapter_at_once_build_it_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    inside = 0
    most_inside = 0
    built: list[type[Any]] = []
    guard = threading.Lock()

    class SlowAdapter:
        def __init__(self, cls: type[Any]) -> None:
            nonlocal inside, most_inside
            with guard:
                inside += 1
                most_inside = max(most_inside, inside)
            time.sleep(0.01)  # long enough for every other thread to arrive meanwhile
            built.append(cls)
            with guard:
                inside -= 1

    monkeypatch.setattr(record, "TypeAdapter", SlowAdapter)
    monkeypatch.setattr(record, "_adapters", {})
    types = [record.Source, record.WorkItem, record.Document, record.ArticleRecord]
    start = threading.Barrier(12)

    def need_all(offset: int) -> None:
        start.wait()
        for cls in types[offset % 4:] + types[:offset % 4]:
            record.adapter(cls)

    threads = [threading.Thread(target=need_all, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most_inside == 1
    assert sorted(cls.__name__ for cls in built) == sorted(cls.__name__ for cls in types)  # each built once


def test_build_adapters_builds_every_payload_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record, "_adapters", {})
    record.build_adapters()
    assert set(record._adapters) == {record.Source, record.WorkItem, record.StageRun, record.Document,
                                     record.Dateline, record.ArticleRecord}
