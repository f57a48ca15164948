"""A newcomer's mistakes and habits, through the real `newsmill` command: one line on stderr naming what to
fix, exit codes scripts can trust, help that says what it accepts, nothing skipped in silence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED, read_jsonl, worker_processes
from tests.integration.test_run_embedded import env_without_redis, newsmill_bin


def newsmill(*args: str, env: dict[str, str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([newsmill_bin(), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (and that it is one line, with no traceback)."""
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


MISTAKES = [
    # (arguments, extra environment, exit code, what the line must name)
    (["run", "does-not-exist"], {}, 1, "does-not-exist: No such file or directory"),
    (["run", "{seeds}", "-o", "/proc/x"], {}, 1, "cannot write -o /proc/x"),
    (["run", "{seeds}", "-o", "missing-dir/x.jsonl"], {}, 1, "cannot write -o missing-dir/x.jsonl"),
    (["run", "{seeds}"], {"NEWSMILL_FETCH_RATE": "abc"}, 1,
     "NEWSMILL_FETCH_RATE='abc' is not valid: expected a number"),
    (["run", "{seeds}"], {"NEWSMILL_ENRICH": "nonsense"}, 1, "NEWSMILL_ENRICH='nonsense' is not valid"),
    (["run", "{seeds}"], {"NEWSMILL_HARD_TIME_LIMIT": "-5"}, 1, "NEWSMILL_HARD_TIME_LIMIT='-5'"),
    (["run", "{seeds}"], {"NEWSMILL_BROKER_URL": "http://user:hunter2@x"}, 1, "http://user:***@x"),
    (["run", "file:///etc/passwd"], {}, 1, "unsupported input 'file:///etc/passwd'"),
    (["enqueue", "ftp://x/y"], {}, 1, "unsupported input 'ftp://x/y'"),
    (["enqueue", "/nonexistent/file.html"], {}, 1, "/nonexistent/file.html: No such file or directory"),
    (["enqueue", "{seeds}", "--broker", "redis://:hunter2@127.0.0.1:1/0"], {}, 1,
     "cannot reach Redis at redis://:***@127.0.0.1:1/0"),
    (["status", "some-job", "--broker", "redis://127.0.0.1:1/0"], {}, 1, "cannot reach Redis"),
]


@pytest.mark.parametrize(("args", "extra", "code", "names"), MISTAKES,
                         ids=[" ".join(m[0][:2]) + (f" {next(iter(m[1]))}" if m[1] else "") for m in MISTAKES])
def test_every_mistake_is_one_line_naming_what_to_fix(tmp_path: Path, args: list[str], extra: dict[str, str],
                                                       code: int, names: str) -> None:
    env = {**env_without_redis(tmp_path), **extra}
    done = newsmill(*[a.replace("{seeds}", str(ROOT / "seeds")) for a in args], env=env, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert names in one_line_error(done)
    assert "hunter2" not in done.stderr
    assert not any(tmp_path.glob("**/newsmill-run-*")), "a failed start leaves no log or folder behind"


def test_unknown_enrichment_stage_on_the_command_line_lists_the_valid_ones(tmp_path: Path) -> None:
    done = newsmill("run", str(SEED), "--enrich", "entities,bogus", env=env_without_redis(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown stage(s) bogus; choose from reading_time, entities" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failed_enqueue_leaves_no_job_behind(tmp_path: Path, redis_url: str, prefix: str,
                                                redis_client: redis.Redis) -> None:
    env = {**env_without_redis(tmp_path), "NEWSMILL_BROKER_URL": redis_url, "NEWSMILL_PREFIX": prefix}
    done = newsmill("enqueue", str(SEED), "/nonexistent/file.html", env=env, cwd=tmp_path)
    assert done.returncode == 1 and "/nonexistent/file.html" in one_line_error(done)
    assert list(redis_client.scan_iter(f"{prefix}:*")) == []


def test_help_is_complete_and_short_summaries_are_whole(tmp_path: Path) -> None:
    env = env_without_redis(tmp_path)
    short = newsmill("-h", env=env, cwd=tmp_path)
    assert short.returncode == 0 and "Commands:" in short.stdout
    summaries = short.stdout.split("Commands:")[1]
    assert "..." not in summaries, summaries
    assert "Exit codes: 0" in short.stdout and "3 finished with failed inputs" in short.stdout
    run_help = newsmill("run", "--help", env=env, cwd=tmp_path).stdout
    for expected in ("--feed", "--sitemap", "--since", "--enrich", "--reprocess", ".warc", "URL lists", "folders"):
        assert expected in run_help, expected
    enqueue_help = newsmill("enqueue", "-h", env=env, cwd=tmp_path).stdout
    assert "--enrich" in enqueue_help and "--reprocess" in enqueue_help


def test_exit_code_3_when_inputs_failed_and_every_input_has_a_record(tmp_path: Path) -> None:
    """A URL list with a line newsmill cannot fetch, a folder with a file of an unknown type, and a named
    file that cannot be read (a FIFO): nothing is skipped in silence, and the run says inputs failed."""
    urls = tmp_path / "urls.txt"
    urls.write_text("ftp://files.example/report\n", encoding="utf-8")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (mixed / "story.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    out = tmp_path / "out.jsonl"
    env = {**env_without_redis(tmp_path), "NEWSMILL_ENRICH": "reading_time"}
    done = newsmill("run", str(urls), str(mixed), str(fifo), "-o", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    outcome = {Path(r["source"]["location"]).name: (r["status"], r["reason"]) for r in read_jsonl(out)}
    assert outcome == {"report": ("dropped", "bad_scheme"), "pipe.html": ("failed", "unreadable"),
                       "blob.bin": ("dropped", "unsupported_type"), "story.txt": ("ok", None)}, outcome
    assert f"records: {out}" in done.stderr


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = newsmill("run", str(tmp_path / "empty"), "-o", str(tmp_path / "out.jsonl"),
                    env=env_without_redis(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"warning: no inputs found in {tmp_path / 'empty'}" in done.stderr


def test_status_wait_exit_codes(tmp_path: Path, worker_env: dict[str, str], workers: WorkerProcesses) -> None:
    """status --wait: 0 when every input ended ok/dropped, 3 when one failed, 4 on --timeout."""
    from tests.integration.test_seed_distributed import cli

    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()

    def wait(*inputs: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        job = cli(worker_env, "enqueue", *inputs).strip()
        return subprocess.run([sys.executable, "-m", "workers.cli", "status", job, "--wait", *extra],
                              env=worker_env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert wait(str(SEED)).returncode == 0
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    failed = wait(str(fifo))
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "unreadable: 1" in failed.stdout


def test_status_wait_gives_up_on_a_job_nobody_works_on(worker_env: dict[str, str]) -> None:
    """No worker runs: `status --wait` ends with exit 4 after --timeout, and says the job stalled once no
    input finished for --stalled-after seconds, instead of waiting for ever."""
    from tests.integration.test_seed_distributed import cli

    job = cli(worker_env, "enqueue", str(SEED)).strip()

    def status(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workers.cli", "status", job, "--wait", *extra],
                              env=worker_env, cwd=ROOT, capture_output=True, text=True, timeout=60)

    timed_out = status("--timeout", "1")
    assert timed_out.returncode == 4, timed_out.stderr
    assert "did not finish: still 1 pending after 1 s" in timed_out.stderr
    stalled = status("--stalled-after", "1")
    assert stalled.returncode == 4, stalled.stderr
    assert "no input finished for 1 s; are workers running" in stalled.stderr
    assert "stalled" in stalled.stdout and "Traceback" not in stalled.stderr + timed_out.stderr


def test_rerunning_the_same_folder_delivers_nothing_twice(tmp_path: Path, worker_env: dict[str, str],
                                                          workers: WorkerProcesses, redis_client: redis.Redis,
                                                          prefix: str) -> None:
    """Two jobs on one folder: the second counts every article unchanged/already_delivered and writes
    nothing; --reprocess delivers them again."""
    from tests.integration.test_seed_distributed import cli, stream_records

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"a{n}.txt").write_text(SEED.read_text(encoding="utf-8") + f"\nCopy {n}.\n", encoding="utf-8")
    workers.start("--queues", "io,cpu", "--concurrency", "2")
    workers.wait_ready()
    counts = []
    jobs = []
    for extra in ((), (), ("--reprocess",)):
        job = cli(worker_env, "enqueue", str(folder), *extra).strip()
        jobs.append(job)
        counts.append(json.loads(cli(worker_env, "status", job, "--json", "--wait")))
    assert [(c["ok"], c["unchanged"]) for c in counts] == [(3, 0), (0, 3), (3, 0)], counts
    assert counts[1]["reasons"] == {"already_delivered": 3}
    sink = read_jsonl(Path(worker_env["NEWSMILL_JSONL_PATH"]))
    assert sorted(r["job_id"] for r in sink) == sorted([jobs[0]] * 3 + [jobs[2]] * 3)
    assert stream_records(redis_client, prefix, jobs[1]) == []


def test_two_prefixes_on_one_database_share_nothing(tmp_path: Path, redis_url: str, redis_client: redis.Redis,
                                                    worker_env: dict[str, str]) -> None:
    """Workers and jobs of two NEWSMILL_PREFIX values run at once on one Redis database: each job is done
    by its own workers, and every key either writes (Celery's and kombu's included) carries its prefix."""
    from tests.integration.test_seed_distributed import cli, stream_records

    before = set(redis_client.keys("*"))
    groups = {}
    for name in ("left", "right"):
        prefix = f"{name}{tmp_path.name[-6:]}"
        env = {**worker_env, "NEWSMILL_PREFIX": prefix, "NEWSMILL_JSONL_PATH": str(tmp_path / f"{name}.jsonl"),
               "NEWSMILL_ENRICH": "reading_time"}
        logs = tmp_path / f"{name}-logs"
        logs.mkdir()
        groups[name] = (prefix, env, worker_processes(env, logs))
    try:
        for _prefix, _env, procs in groups.values():
            procs.start("--queues", "io,cpu", "--concurrency", "2")
        for _prefix, _env, procs in groups.values():
            procs.wait_ready(count=1)
        jobs = {name: cli(env, "enqueue", str(SEED)).strip() for name, (_p, env, _w) in groups.items()}
        for name, (prefix, env, _procs) in groups.items():
            status = json.loads(cli(env, "status", jobs[name], "--json", "--wait"))
            assert status["ok"] == 1, status
            assert [r["job_id"] for r in read_jsonl(Path(env["NEWSMILL_JSONL_PATH"]))] == [jobs[name]]
            assert len(stream_records(redis_client, prefix, jobs[name])) == 1
        written = {key.decode() for key in set(redis_client.keys("*")) - before}
        prefixes = tuple(f"{prefix}:" for prefix, _e, _w in groups.values())
        assert written and all(key.startswith(prefixes) for key in written), sorted(written)
        for prefix, _env, _procs in groups.values():
            assert any(key.startswith(f"{prefix}:_kombu.") for key in written), "kombu's keys carry the prefix"
    finally:
        for _prefix, _env, procs in groups.values():
            procs.stop()


def test_worker_logs_at_info_stay_under_a_kilobyte_per_task(worker_env: dict[str, str],
                                                            workers: WorkerProcesses, tmp_path: Path) -> None:
    """Celery's per-task lines no longer carry arguments and whole records: at INFO (JSON), the log costs
    at most ~1 KB per task, and the article's text is not in it."""
    from tests.integration.test_seed_distributed import cli

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(10):
        (folder / f"a{n}.txt").write_text(SEED.read_text(encoding="utf-8") + f"\nCopy {n}.\n", encoding="utf-8")
    workers.env["NEWSMILL_ENRICH"] = "reading_time,keywords,summary"
    workers.start("--queues", "io,cpu", "--concurrency", "2", "--loglevel", "INFO")
    workers.wait_ready()
    job = cli({**worker_env, "NEWSMILL_ENRICH": "reading_time,keywords,summary"}, "enqueue", str(folder)).strip()
    assert json.loads(cli(worker_env, "status", job, "--json", "--wait"))["ok"] == 10
    workers.stop()
    log = workers.logs(tail=None)
    tasks = log.count("succeeded in")
    assert tasks >= 10 * 6, f"{tasks} task lines"  # load, clean, extract, 3 enrichment stages, sink
    per_task = len(log.encode()) / tasks
    print(f"worker log: {len(log.encode())} bytes for {tasks} tasks = {per_task:.0f} bytes per task")
    assert per_task <= 1024, f"{per_task:.0f} bytes of log per task"
    assert "Foreign and Expatriates Ministry called on the UN Security Council" not in log
