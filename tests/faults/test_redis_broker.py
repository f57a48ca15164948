"""Faults injected into real processes with Redis as the broker: every input ends exactly once in the JSONL
file and the stream, and the job finishes within max(120 s, hard time limit + 60 s) of the fault being
healed, with nobody's help but a supervisor restarting what died."""

from __future__ import annotations

import time
from pathlib import Path

from tests.faults.conftest import assert_recovered
from tests.faults.harness import SCENARIOS, cluster, run_scenario, wait_for


def run(name: str, workdir: Path) -> object:
    scenario = SCENARIOS[name]
    return run_scenario(name, scenario.fault, workdir, broker="redis", **scenario.options)


def test_kill_9_of_the_whole_cpu_worker(workdir: Path) -> None:
    """The cpu worker and its pool children die at once; a new one is started: its inputs are driven
    again (from their stored documents) long before kombu's visibility timeout."""
    assert_recovered(run("kill_cpu_worker", workdir), killed=("cpu",))


def test_kill_9_of_the_whole_io_worker(workdir: Path) -> None:
    """The io worker (load, sink) dies with its threads mid-job; a new one is started."""
    assert_recovered(run("kill_io_worker", workdir), killed=("io",))


def test_kill_9_of_redis_restarted_from_its_append_only_file(workdir: Path) -> None:
    """Redis dies (losing up to a second of writes: messages, ledger, commits) and comes back 3 s later."""
    assert_recovered(run("redis_crash", workdir))


def test_30_second_network_cut_between_workers_and_redis(workdir: Path) -> None:
    """Every byte between the workers and Redis is held for 30 s: workers time out, reconnect, go on."""
    assert_recovered(run("network_cut_hold", workdir))


def test_unwritable_jsonl_file_sends_every_record_to_the_dead_letter_stream(workdir: Path) -> None:
    """NEWSMILL_JSONL_PATH=/dev/full: each record is retried, then delivered to the result and dead-letter
    streams as failed/sink_error with the OS message, counted, and shown by `newsmill status`."""
    scenario = SCENARIOS["jsonl_full"]
    with cluster(workdir, broker="redis", inputs=100, extra_env=scenario.options["extra_env"]) as world:
        world.start_workers()
        world.enqueue()
        assert world.wait_finished(180), world.workers.logs()
        counts = world.counts()
        assert counts["failed"] == 100 and counts["reasons"] == {"sink_error": 100}, counts
        assert "No space left on device" in counts["messages"]["sink_error"]
        for key in ("articles", "deadletter"):
            records = [r for r in world.stream_records(key) if r["job_id"] == world.job_id]
            assert sorted(r["source"]["location"] for r in records) == sorted(map(str, world.input_paths))
            assert {(r["status"], r["reason"]) for r in records} == {("failed", "sink_error")}
            assert all(r["text"] for r in records), "the record keeps its content, to be replayed"
        status = world.cli("status", world.job_id)
        assert status.returncode == 0 and "sink_error: 100" in status.stdout
        assert "No space left on device" in status.stdout


def test_a_message_that_kills_its_worker_every_time_ends_failed(workdir: Path) -> None:
    """One input makes the process cleaning it exit each time; after NEWSMILL_MAX_DELIVERIES starts it
    is failed/worker_lost, and every other input is delivered once."""
    scenario = SCENARIOS["poison_message"]
    outcome = run_scenario("poison_message", scenario.fault, workdir, broker="redis", **scenario.options)
    assert_recovered(outcome)
    assert outcome.counts["failed"] == 1 and outcome.counts["reasons"] == {"worker_lost": 1}, outcome.counts


def test_full_redis_stops_enqueue_with_one_line_and_the_job_finishes(workdir: Path) -> None:
    """Redis at maxmemory: `enqueue` stops before Redis refuses writes, says so in one line (exit 1), marks
    the job as stopped early with what went out; workers that meet a full Redis mid-job wait for room and
    then finish exactly those inputs."""
    with cluster(workdir, broker="redis", inputs=600) as world:
        world.start_workers()
        client = world.direct_client
        used = int(client.info("memory")["used_memory"])
        # Room for the first batch of 200 inputs (~7.7 KB each), not for the second; what is left above
        # the producer's 90 % mark (~1.9 MB) lets the workers go on.
        client.config_set("maxmemory", int((used + 2_900_000) / 0.9))
        done = world.cli("enqueue", str(world.input_dir))
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: Redis is out of memory ("), done.stderr
        assert "Traceback" not in done.stderr
        jobs = [k.decode().split(":")[2] for k in client.scan_iter(f"{world.prefix}:job:*")
                if k.count(b":") == 2]
        assert len(jobs) == 1
        world.job_id = jobs[0]
        # Then Redis refuses the workers' writes too for 10 s, mid-job: they wait for room, not exit.
        assert wait_for(lambda: world.counts()["ok"] >= 20, 60), world.workers.logs()
        # Below what Redis holds: with noeviction every write is refused until the limit is raised.
        client.config_set("maxmemory", int(client.info("memory")["used_memory"]) - 1_000_000)
        time.sleep(10)
        refused = world.counts()["ok"]
        client.config_set("maxmemory", 0)
        assert wait_for(lambda: world.counts()["finished"], 120), world.workers.logs()
        counts = world.counts()
        assert counts["aborted"] and counts["enqueued"] == 200 and counts["ok"] == 200, counts
        assert counts["reasons"] == {}, "a full Redis is waited out, never blamed on the inputs"
        # The fault reached the workers (their consumer and supervision met the refusals) and held them up.
        assert "maxmemory" in world.workers.logs(tail=10**8) and refused < 200
        streamed = [r for r in world.stream_records() if r["job_id"] == world.job_id]
        assert len({r["source"]["location"] for r in streamed}) == len(streamed) == 200
        assert world.workers.exits == [], "workers back off on a full Redis instead of exiting"
