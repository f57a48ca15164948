"""The same faults with RabbitMQ as the broker and Redis kept for job counts, the progress ledger, delivery
bookkeeping and the stream (a virtual host per scenario), plus the faults of that split: Redis crashing or
cut off while RabbitMQ stays up, and delayed delivery on a fresh virtual host whose io worker starts first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import assert_recovered
from tests.faults.harness import SCENARIOS, rabbitmqctl, run_scenario

pytestmark = pytest.mark.usefixtures("rabbitmq")


@pytest.fixture(params=["quorum", "classic"])
def queue_type(request: pytest.FixtureRequest) -> str:
    """Each fault with both kinds of task queue (``NEWSMILL_RABBITMQ_QUEUE_TYPE``): classic queues have no
    delivery limit and no native delayed delivery (countdowns wait in the worker), so the guarantees are
    proven for them on their own."""
    return str(request.param)


def run(name: str, workdir: Path, queue_type: str, **extra: object) -> object:
    scenario = SCENARIOS[name]
    options: dict[str, object] = {**scenario.options, **extra}
    extra_env = {**dict(options.pop("extra_env", None) or {}), "NEWSMILL_RABBITMQ_QUEUE_TYPE": queue_type}
    return run_scenario(name, scenario.fault, workdir, broker="rabbitmq", extra_env=extra_env, **options)


def test_kill_9_of_the_whole_cpu_worker(workdir: Path, queue_type: str) -> None:
    assert_recovered(run("kill_cpu_worker", workdir, queue_type), killed=("cpu",))


def test_kill_9_of_the_whole_io_worker(workdir: Path, queue_type: str) -> None:
    assert_recovered(run("kill_io_worker", workdir, queue_type), killed=("io",))


def test_kill_9_of_the_bookkeeping_redis(workdir: Path, queue_type: str) -> None:
    """Redis (not the broker) dies and comes back from its file: tasks that could not record progress or
    deliver wait for it instead of acknowledging undelivered records."""
    assert_recovered(run("redis_crash", workdir, queue_type))


def test_30_second_cut_to_redis_while_rabbitmq_stays_up(workdir: Path, queue_type: str) -> None:
    """Connections to Redis are reset and refused for 30 s; RabbitMQ keeps delivering messages."""
    assert_recovered(run("network_cut_reset", workdir, queue_type))


def test_countdown_retries_work_when_the_io_worker_starts_first(workdir: Path, queue_type: str) -> None:
    """On a fresh virtual host the io worker starts (and binds delayed delivery) before the cpu worker
    declared its queue; its countdown retries (a sink that cannot write) still arrive, and end as
    failed/sink_error, not lost."""
    outcome = run("jsonl_full", workdir, queue_type)
    assert_recovered(outcome)
    assert outcome.counts["reasons"] == {"sink_error": outcome.inputs}, outcome.counts


def test_a_message_that_kills_its_worker_every_time_ends_failed(workdir: Path, queue_type: str) -> None:
    outcome = run("poison_message", workdir, queue_type)
    assert_recovered(outcome)
    assert outcome.counts["reasons"] == {"worker_lost": 1}, outcome.counts


def test_rabbitmq_binds_every_queue_to_delayed_delivery(workdir: Path, queue_type: str) -> None:
    """Both task queues are bound to Celery's delayed-delivery exchange whatever order workers start in."""
    from tests.faults.harness import cluster

    if queue_type == "classic":
        pytest.skip("Celery's native delayed delivery is for quorum queues only")

    with cluster(workdir, broker="rabbitmq", inputs=1) as world:
        world.start_workers(one_by_one=True)
        listed = rabbitmqctl("list_bindings", "-p", world.vhost or "", "source_name", "destination_name")
        bound = {line.split("\t")[1] for line in listed.splitlines()
                 if line.startswith("celery_delayed_delivery\t")}
        assert {"io", "cpu"} <= bound, listed
        logs = world.workers.logs(tail=100_000)
        assert "Failed to setup delayed delivery" not in logs and "Failed to bind" not in logs
