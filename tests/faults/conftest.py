"""Shared checks of the fault scenarios: what every scenario must end with, whatever its fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_program
from tests.faults.harness import Outcome, rabbitmqctl, recovery_bound

pytestmark = pytest.mark.integration


def assert_recovered(outcome: Outcome, *, killed: tuple[str, ...] = ()) -> None:
    """The job finished within the promised bound, every input is exactly once in the JSONL file and the
    stream, the counts add up, nothing is left behind in Redis, and no worker stopped on its own."""
    notes = "\n".join(outcome.notes)[-20000:]
    bound = recovery_bound({"NEWSMILL_HARD_TIME_LIMIT": "30"})
    assert outcome.finished, f"{outcome.scenario}: the job stalled; counts {outcome.counts}\n{notes}"
    assert outcome.recovery_s is not None and outcome.recovery_s <= bound, outcome.recovery_s
    assert (outcome.lost, outcome.duplicated_jsonl, outcome.duplicated_stream) == (0, 0, 0), (
        f"lost {outcome.lost}, duplicated {outcome.duplicated_jsonl}/{outcome.duplicated_stream}\n{notes}")
    counts = outcome.counts
    assert counts["enqueued"] == outcome.inputs and counts["done"] == outcome.inputs, counts
    assert counts["ok"] + counts["dropped"] + counts["failed"] == outcome.inputs, counts
    assert outcome.leftovers == {}, outcome.leftovers
    unexpected = [(name, code) for name, code in outcome.worker_exits if name not in killed]
    assert unexpected == [], f"workers stopped on their own: {unexpected}\n{notes}"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "world"


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[None]:
    """RabbitMQ on 127.0.0.1:5672 with rabbitmqctl (virtual hosts per scenario); fails without it in CI."""
    if not Path("/usr/sbin/rabbitmqctl").exists():
        require_program("rabbitmqctl", "apt-get install -y rabbitmq-server")
    rabbitmqctl("status")
    yield
