"""`newsmill run`, the embedded default: its own server and workers, started and stopped by the command."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, SEED, read_jsonl
from tests.integration.test_seed_distributed import assert_seed_record


def env_without_redis(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with no Redis installed: no broker configured, and no
    ``redis-server`` or ``valkey-server`` reachable on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
    dirs = [d for d in env.get("PATH", "").split(os.pathsep)
            if d and not any(Path(d, name).exists() for name in ("redis-server", "valkey-server"))]
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bindir, *[d for d in dirs if d != bindir]])
    assert shutil.which("redis-server", path=env["PATH"]) is None
    env["HOME"] = str(tmp_path)
    return env


def newsmill_bin() -> str:
    found = shutil.which("newsmill", path=str(Path(sys.executable).parent))
    assert found, "the newsmill console script is not installed next to this Python"
    return found


def descendants_alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if psutil.pid_exists(pid)
            and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


def test_run_processes_the_seed_without_any_redis_installed(tmp_path: Path) -> None:
    """`newsmill run seeds/ -o out.jsonl` works with no broker configured and no Redis on PATH."""
    out = tmp_path / "out.jsonl"
    done = subprocess.run([newsmill_bin(), "run", str(ROOT / "seeds"), "-o", str(out)],
                          env=env_without_redis(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    records = read_jsonl(out)
    assert len(records) == 1
    assert_seed_record(records[0])
    assert "ok 1" in done.stderr


def test_run_never_uses_the_server_on_the_default_port(tmp_path: Path, redis_client: object) -> None:
    """With no broker configured, run starts its own server even though one listens on 6379."""
    import redis

    default = redis.Redis(host="127.0.0.1", port=6379, db=0)
    before = default.dbsize()
    keys_before = set(default.keys("newsmill:*"))
    out = tmp_path / "out.jsonl"
    done = subprocess.run([newsmill_bin(), "run", str(SEED), "-o", str(out)],
                          env=env_without_redis(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    assert set(default.keys("newsmill:*")) == keys_before
    assert default.dbsize() == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_run_ended_by_any_signal_leaves_no_process_and_no_temporary_file(
        tmp_path: Path, signum: signal.Signals) -> None:
    """However `newsmill run` ends, even by SIGKILL, its server and workers (pool children included)
    stop within the lifeline's grace period and its temporary folder, log included, is gone."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(300):
        shutil.copy(SEED, inputs / f"copy-{n}.txt")
        with open(inputs / f"copy-{n}.txt", "a", encoding="utf-8") as handle:
            handle.write(f"\n{n}\n")  # distinct content, so distinct articles
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**env_without_redis(tmp_path), "TMPDIR": str(temp)}
    proc = subprocess.Popen([newsmill_bin(), "run", str(inputs), "-o", str(tmp_path / "out.jsonl")],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    children: list[int] = []
    while time.monotonic() < deadline:
        children = [c.pid for c in parent.children(recursive=True)]
        names = " ".join(psutil.Process(p).name() for p in children if psutil.pid_exists(p))
        if "valkey" in names and len(children) >= 5:  # lifeline, server, io worker, cpu worker, its pool
            break
        time.sleep(0.2)
    assert len(children) >= 5, "the run did not start its server and workers"
    time.sleep(2)
    for pid in list(children):
        if psutil.pid_exists(pid):
            children += [c.pid for c in psutil.Process(pid).children(recursive=True)]
    assert any(temp.iterdir()), "the run keeps its files in TMPDIR"
    proc.send_signal(signum)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"newsmill run did not stop after {signum.name}")
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130, stderr
        assert b"Traceback" not in stderr and b"interrupted" in stderr, stderr
    deadline = time.monotonic() + 30  # the lifeline's SIGTERM grace, then SIGKILL
    while descendants_alive(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert descendants_alive(children) == []
    assert sorted(p.name for p in temp.iterdir()) == []
