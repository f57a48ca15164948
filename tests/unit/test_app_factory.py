"""The Celery app is built from a settings value, and only from it: two apps, two configurations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsmill.record import Source, WorkItem
from newsmill.settings import Settings
from tasks.chains import article_chain
from workers.app import make_app
from workers.resources import ResourcesNotStarted

ROOT = Path(__file__).resolve().parents[2]


def test_two_apps_keep_their_own_broker_and_prefix() -> None:
    """bench/throughput.py once ran a second round under a new prefix while the app kept the first: an
    app built from settings B must not see settings A, nor change it."""
    a = make_app(Settings(broker_url="redis://127.0.0.1:6379/1", prefix="round-a"))
    b = make_app(Settings(broker_url="redis://127.0.0.1:6379/2", prefix="round-b"))
    try:
        assert a.conf.broker_url == "redis://127.0.0.1:6379/1"
        assert b.conf.broker_url == "redis://127.0.0.1:6379/2"
        assert a.conf.broker_transport_options["global_keyprefix"] == "round-a:"
        assert b.conf.broker_transport_options["global_keyprefix"] == "round-b:"
        assert a.settings.prefix == "round-a" and b.settings.prefix == "round-b"
    finally:
        a.close()
        b.close()


def test_each_app_has_every_task_and_its_own_resources() -> None:
    a = make_app(Settings(prefix="one"))
    b = make_app(Settings(prefix="two"))
    try:
        for app in (a, b):
            assert {"newsmill.clean", "newsmill.sink", "newsmill.cpu_stages", "newsmill.stage_lost"} <= set(app.tasks)
        assert a.tasks["newsmill.clean"] is not b.tasks["newsmill.clean"]
        assert a.process_resources is not b.process_resources
        assert a.process_resources.settings.prefix == "one"
    finally:
        a.close()
        b.close()


def test_a_chain_is_published_through_the_app_it_was_built_on() -> None:
    app = make_app(Settings(prefix="chain", task_granularity="queue"))
    try:
        item = WorkItem("job", Source("file", "/tmp/a.html"))
        steps = article_chain(item, app.settings, app).tasks
        assert all(step.app is app for step in steps)
        assert [step.task for step in steps] == ["newsmill.load", "newsmill.cpu_stages"]
        assert app.tasks[steps[1].task].queue == "cpu"
    finally:
        app.close()


def test_celery_minus_a_finds_an_app_built_from_the_environment() -> None:
    """``celery -A workers.app``: importing the module builds nothing; Celery's lookup of ``app`` builds
    it then, from the environment of that process."""
    code = (
        "import sys, workers.app as module\n"
        "assert 'app' not in vars(module)\n"
        "from celery.app.utils import find_app\n"
        "app = find_app('workers.app')\n"
        "print(app.conf.broker_transport_options['global_keyprefix'])\n"
    )
    env = {"NEWSMILL_PREFIX": "from-env", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == "from-env:"


def test_worker_resources_exist_only_once_the_worker_started() -> None:
    """Tasks get the resources the worker built at start-up (from the app's settings); a pool child
    builds its own after the fork instead of sharing the parent's sockets."""
    app = make_app(Settings(prefix="started"))
    try:
        with pytest.raises(ResourcesNotStarted):
            app.process_resources.get()
        parent = app.process_resources.start()
        assert app.process_resources.get() is parent and parent.settings is app.settings
        app.process_resources.after_fork()
        assert app.process_resources.get() is not parent
    finally:
        app.process_resources.close()
        app.close()
