"""``newsmill flower`` against real workers: its API sees the workers and the job's tasks, only with
credentials; its Prometheus endpoint counts the tasks; it refuses to start without credentials."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from tests.conftest import ROOT
from tests.deploy.conftest import JOB_TASKS, FlowerCluster
from workers.flower import FlowerOptions, basic_auth_from_env


def test_api_sees_both_workers_and_the_jobs_tasks(flower_cluster: FlowerCluster) -> None:
    """/api/workers lists the io and cpu workers; /api/tasks has every stage task of the job, succeeded."""
    workers = flower_cluster.get("/api/workers?refresh=1", auth=flower_cluster.auth).json()
    queues = {name: sorted(q["name"] for q in info.get("active_queues", [])) for name, info in workers.items()}
    assert sorted(queues.values()) == [["cpu"], ["io"]], queues
    tasks = flower_cluster.job_tasks()
    names = {str(t["name"]) for t in tasks.values()}
    assert names >= JOB_TASKS
    assert all(t["state"] == "SUCCESS" for t in tasks.values()), tasks
    # io stages ran on the io worker, cpu stages on the cpu worker: Flower saw both at work.
    ran_on = {str(t["name"]): str(t["worker"]) for t in tasks.values()}
    assert ran_on["newsmill.load"].startswith("io-") and ran_on["newsmill.clean"].startswith("cpu-")


def test_requests_without_valid_credentials_get_401(flower_cluster: FlowerCluster) -> None:
    """No credentials or a wrong password: 401 on the API and on the UI pages."""
    for path in ("/api/workers", "/api/tasks", "/workers", "/tasks", "/"):
        assert flower_cluster.get(path).status_code == 401, path
        assert flower_cluster.get(path, auth=(flower_cluster.auth[0], "wrong-password")).status_code == 401, path
    assert flower_cluster.get("/api/workers", auth=flower_cluster.auth).status_code == 200


def test_metrics_count_the_jobs_tasks(flower_cluster: FlowerCluster) -> None:
    """/metrics (Prometheus text) has a task-succeeded count of at least 1 for each stage of the job."""
    text = flower_cluster.get("/metrics", auth=flower_cluster.auth).text
    counts: dict[str, float] = {}
    for match in re.finditer(r'^flower_events_total\{([^}]*)\} ([0-9.e+]+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.get("type") == "task-succeeded":
            counts[labels["task"]] = counts.get(labels["task"], 0) + float(match.group(2))
    assert all(counts.get(name, 0) >= 1 for name in JOB_TASKS), counts
    assert re.search(r"^flower_worker_online\{[^}]*\} 1\.0$", text, re.M)


def test_flower_refuses_to_start_without_credentials() -> None:
    """`newsmill flower` exits with an error, before listening, when the credentials are unset or weak."""
    env = {"PATH": "/usr/bin:/bin", "NEWSMILL_FLOWER_USER": "admin", "NEWSMILL_BROKER_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "flower"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "NEWSMILL_FLOWER_PASSWORD" in done.stderr
    with pytest.raises(click.UsageError, match="at least"):
        basic_auth_from_env({"NEWSMILL_FLOWER_USER": "admin", "NEWSMILL_FLOWER_PASSWORD": "short"})
    with pytest.raises(click.UsageError, match="','"):
        basic_auth_from_env({"NEWSMILL_FLOWER_USER": "admin", "NEWSMILL_FLOWER_PASSWORD": "long,enough,password"})
    assert basic_auth_from_env({"NEWSMILL_FLOWER_USER": "a", "NEWSMILL_FLOWER_PASSWORD": "p:long-enough"}) == \
        "a:p:long-enough"


def test_flower_options_are_persistent_and_bounded() -> None:
    """The arguments handed to Flower turn on --persistent, bound max_tasks and purge offline workers."""
    argv = FlowerOptions(port=5999, db="/data/f.db", max_tasks=123, purge_offline_workers=45).argv()
    assert argv[0] == "flower"
    for expected in ("--port=5999", "--persistent=True", "--db=/data/f.db", "--max_tasks=123",
                     "--purge_offline_workers=45"):
        assert expected in argv
