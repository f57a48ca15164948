"""Fault scenarios run against real processes: a Redis server of their own (AOF, fsync every second), real
``newsmill worker`` processes restarted when they die (as compose's ``restart: always`` would), a TCP proxy
that can cut the network, and a job of real inputs. Each scenario injects one fault when about a fifth of
the job is done, heals it, and reports what an operator would check: did the job finish, is every input
exactly once in the JSONL file and the stream, and how long did recovery take.

Used by the tests in this folder (one run per scenario) and by ``python -m tests.faults.loop`` (N runs
per scenario, a table of lost/duplicated/stalled counts and the worst recovery time).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "sana-2017-10-25-coalition-raqqa-deir-ezzor.txt"
TEXTS = ROOT / "tests" / "fixtures" / "enrich"
RABBITMQ = "127.0.0.1:5672"

FAULT_SETTINGS = {
    # A light chain (load, clean, extract, two enrichments, sink): many tasks in flight, a short job.
    "NEWSMILL_ENRICH": "reading_time,keywords",
    # Recovery is bounded by max(120 s, hard time limit + 60 s); a short hard limit keeps runs short.
    "NEWSMILL_HARD_TIME_LIMIT": "30",
    "NEWSMILL_SOFT_TIME_LIMIT": "25",
    # The reconciler's timings, scaled down so a run takes seconds, not minutes.
    "NEWSMILL_HEARTBEAT_INTERVAL": "1",
    "NEWSMILL_RECONCILE_INTERVAL": "1",
    "NEWSMILL_RECONCILE_GRACE": "5",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(interval)
    return False


def redis_binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    from workers.embedded import server_binary

    return server_binary()


class RedisServer:
    """A Redis server of the scenario's own, persisting to an append-only file fsynced every second."""

    def __init__(self, directory: Path, *, maxmemory: str | None = None) -> None:
        self.directory = directory
        self.port = free_port()
        self.maxmemory = maxmemory
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.directory),
                "--logfile", str(self.directory / "redis.log"), "--maxmemory-policy", "noeviction"]
        if self.maxmemory:
            args += ["--maxmemory", self.maxmemory]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        client = redis.Redis(port=self.port, socket_timeout=1)
        if not wait_for(lambda: bool(client.ping()), 20):
            raise RuntimeError(f"redis-server did not start on {self.port}")
        # Loading the AOF answers pings with LOADING errors; wait until it serves reads.
        wait_for(lambda: client.dbsize() >= 0, 20)
        client.close()

    def kill9(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill9()


class TcpProxy:
    """Forwards a loopback port to another, and cuts the line on demand in one of two ways:

    - ``cut("hold")``: every byte in both directions stops (new connections hang) until ``heal()``, as
      a partition would: nothing is closed, and both ends must notice by their own timeouts;
    - ``cut("reset")``: every connection is closed and new ones are refused until ``heal()``, as when a
      firewall rejects or a NAT forgets the connections.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._flowing = threading.Event()
        self._flowing.set()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listen()

    def _listen(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self, mode: str = "hold") -> None:
        self._flowing.clear()
        if mode == "reset":
            self._listener.close()
            self._close_all()

    def heal(self) -> None:
        if self._listener.fileno() == -1:
            self._listen()
        self._flowing.set()

    def close(self) -> None:
        self._stop.set()
        self._flowing.set()
        self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()  # linger 0: the peer gets a reset, not a polite end of stream

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set() and listener.fileno() != -1:
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._sockets += [client, upstream]
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                self._flowing.wait()
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # bytes read just before a cut are held, not delivered
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@dataclass
class WorkerSpec:
    queues: str
    pool: str
    concurrency: int


class Supervisor:
    """Worker processes restarted when they exit, whatever the exit code, as compose would."""

    def __init__(self, env: dict[str, str], log_dir: Path, specs: dict[str, WorkerSpec]) -> None:
        self.env = env
        self.log_dir = log_dir
        self.specs = specs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.exits: list[tuple[str, int]] = []
        self._starts = Counter[str]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self, *, ready: Callable[[int], None] | None = None) -> None:
        """Start every worker; with ``ready``, one at a time, each waited for (in the specs' order)."""
        for count, name in enumerate(self.specs, start=1):
            self._spawn(name)
            if ready is not None:
                ready(count)
        self._thread.start()

    def _spawn(self, name: str) -> None:
        spec = self.specs[name]
        self._starts[name] += 1
        log = open(self.log_dir / f"{name}-{self._starts[name]}.log", "wb")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker", "--queues", spec.queues, "--pool", spec.pool,
             "--concurrency", str(spec.concurrency)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def _watch(self) -> None:
        while not self._stop.is_set():
            for name, process in list(self.processes.items()):
                code = process.poll()
                if code is not None and not self._stop.is_set():
                    self.exits.append((name, code))
                    # Reap what is left of the group (pool children of a dead main process).
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(process.pid, signal.SIGKILL)
                    time.sleep(0.5)
                    self._spawn(name)
            time.sleep(0.1)

    def kill9(self, name: str) -> None:
        """SIGKILL a worker's main process and its pool children at once."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop(self) -> None:
        from newsmill.processes import stop_process_group

        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for process in self.processes.values():
            stop_process_group(process, grace=10)

    def logs(self, tail: int = 4000) -> str:
        texts = []
        for path in sorted(self.log_dir.glob("*.log")):
            texts.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-tail:])
        return "\n".join(texts)


def make_inputs(folder: Path, count: int) -> list[Path]:
    """``count`` distinct articles from the texts the project ships (the seed and the enrichment
    fixtures), each with a sentence of its own so that no two are the same article."""
    folder.mkdir(parents=True, exist_ok=True)
    templates = [SEED.read_text(encoding="utf-8")] + [
        path.read_text(encoding="utf-8") for path in sorted(TEXTS.glob("*.txt"))]
    paths = []
    for n in range(count):
        text = templates[n % len(templates)].rstrip()
        path = folder / f"article-{n:04d}.txt"
        path.write_text(f"{text}\n\nThis is copy number {n} of the report, filed for the fault test.\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


@dataclass
class Outcome:
    """What one scenario run found."""

    scenario: str
    broker: str
    inputs: int
    finished: bool
    lost: int
    duplicated_jsonl: int
    duplicated_stream: int
    counts: dict[str, Any]
    fault_at: float
    healed_at: float
    finished_at: float | None
    worker_exits: list[tuple[str, int]] = field(default_factory=list)
    leftovers: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def recovery_s(self) -> float | None:
        """Seconds from the fault being healed (Redis up, dead processes restarted) to the job finished."""
        return None if self.finished_at is None else round(self.finished_at - self.healed_at, 1)

    @property
    def stalled(self) -> bool:
        return not self.finished


class Cluster:
    """One scenario's world: its Redis (and RabbitMQ vhost), proxies, workers, inputs and job."""

    def __init__(self, workdir: Path, *, broker: str = "redis", inputs: int = 120,
                 maxmemory: str | None = None, through_proxy: bool = False,
                 extra_env: dict[str, str] | None = None,
                 inputs_folder: Path | None = None) -> None:
        self.workdir = workdir
        self.broker = broker
        self.redis = RedisServer(workdir / "redis", maxmemory=maxmemory)
        self.redis.start()
        self.proxy = TcpProxy(self.redis.port) if through_proxy else None
        redis_port = self.proxy.port if self.proxy else self.redis.port
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        self.vhost: str | None = None
        broker_url = self.redis_url
        if broker == "rabbitmq":
            self.vhost = f"newsmill-fault-{uuid.uuid4().hex[:10]}"
            rabbitmqctl("add_vhost", self.vhost)
            rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
            broker_url = f"amqp://guest:guest@{RABBITMQ}/{self.vhost}"
        self.jsonl = workdir / "sink.jsonl"
        self.prefix = "nmf"
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
        env.update(FAULT_SETTINGS)
        env.update({
            "NEWSMILL_BROKER_URL": broker_url,
            "NEWSMILL_REDIS_URL": self.redis_url,
            "NEWSMILL_PREFIX": self.prefix,
            "NEWSMILL_JSONL_PATH": str(self.jsonl),
            "NEWSMILL_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra_env or {})
        self.env = env
        log_dir = workdir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.workers = Supervisor(env, log_dir, {
            "io": WorkerSpec("io", "threads", 8),
            "cpu": WorkerSpec("cpu", "prefork", 2),
        })
        self.input_paths = (sorted(inputs_folder.iterdir())[:inputs] if inputs_folder
                            else make_inputs(workdir / "inputs", inputs))
        self.input_dir = workdir / "job-inputs"
        if inputs_folder:
            self.input_dir.mkdir()
            for path in self.input_paths:
                os.symlink(path, self.input_dir / path.name)
        else:
            self.input_dir = workdir / "inputs"
        self.job_id: str | None = None

    @property
    def direct_client(self) -> redis.Redis:
        return redis.Redis(port=self.redis.port, socket_timeout=5)

    def cli(self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workers.cli", *args], env=env or self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def start_workers(self, *, one_by_one: bool = False) -> None:
        """Start the io and cpu workers (with ``one_by_one``, io first and ready before cpu starts)."""
        if one_by_one:
            self.workers.start(ready=self.wait_workers_ready)
        else:
            self.workers.start()
            self.wait_workers_ready()

    def wait_workers_ready(self, count: int | None = None, timeout: float = 90) -> None:
        """Wait until ``count`` workers (default: all) beat in Redis: they are consuming."""
        client = self.direct_client
        key = f"{self.prefix}:workers"
        expected = count if count is not None else len(self.workers.specs)
        ok = wait_for(lambda: client.hlen(key) >= expected, timeout, interval=0.2)
        client.close()
        if not ok:
            raise AssertionError(f"workers did not start:\n{self.workers.logs()}")

    def enqueue(self) -> str:
        done = self.cli("enqueue", str(self.input_dir))
        if done.returncode != 0:
            raise AssertionError(f"enqueue failed: {done.stderr}")
        self.job_id = done.stdout.strip()
        return self.job_id

    def counts(self) -> dict[str, Any]:
        from newsmill.jobs import JobStore
        from newsmill.keys import Keys

        assert self.job_id
        client = self.direct_client
        try:
            return JobStore(client, Keys(self.prefix)).counts(self.job_id).to_dict()
        finally:
            client.close()

    def done_fraction(self) -> float:
        counts = self.counts()
        return counts["done"] / max(1, len(self.input_paths))

    def wait_finished(self, timeout: float) -> float | None:
        """When the job finished (monotonic clock), or ``None`` if it did not within ``timeout``."""
        if wait_for(lambda: bool(self.counts()["finished"]), timeout, interval=0.2):
            return time.monotonic()
        return None

    def jsonl_records(self) -> list[dict[str, Any]]:
        if not self.jsonl.is_file():
            return []
        return [json.loads(line) for line in self.jsonl.read_text(encoding="utf-8").splitlines()
                if line.strip()]

    def stream_records(self, key: str = "articles") -> list[dict[str, Any]]:
        client = self.direct_client
        try:
            entries = client.xrange(f"{self.prefix}:{key}")
        finally:
            client.close()
        return [json.loads(f[b"record"]) for _id, f in entries]

    def close(self) -> None:
        self.workers.stop()
        if self.proxy:
            self.proxy.close()
        self.redis.stop()
        if self.vhost:
            with contextlib.suppress(Exception):
                rabbitmqctl("delete_vhost", self.vhost)


def rabbitmqctl(*args: str) -> str:
    binary = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def exactly_once(cluster: Cluster, *, check_jsonl: bool = True) -> tuple[int, int, int]:
    """(lost, duplicated in the JSONL file, duplicated in the stream) for the cluster's job."""
    # A record names its input by the path given or by the file it resolves to: either counts.
    wanted = {str(cluster.input_dir / path.name) for path in cluster.input_paths}
    wanted |= {str(path.resolve()) for path in cluster.input_paths}

    def per_input(records: list[dict[str, Any]]) -> Counter[str]:
        return Counter(r["source"]["location"] for r in records if r.get("job_id") == cluster.job_id)

    stream = per_input(cluster.stream_records())
    jsonl = per_input(cluster.jsonl_records()) if check_jsonl else stream
    seen_both = set(stream) & set(jsonl)
    lost = len(cluster.input_paths) - len(seen_both & wanted)
    return lost, sum(n - 1 for n in jsonl.values() if n > 1), sum(n - 1 for n in stream.values() if n > 1)


@contextlib.contextmanager
def cluster(workdir: Path, **kwargs: Any) -> Iterator[Cluster]:
    made = Cluster(workdir, **kwargs)
    try:
        yield made
    finally:
        made.close()


def recovery_bound(env: dict[str, str]) -> float:
    """The promise: the job finishes within max(120 s, hard time limit + 60 s) of the fault being healed."""
    return max(120.0, float(env["NEWSMILL_HARD_TIME_LIMIT"]) + 60.0)


Fault = Callable[[Cluster], None]
"""Injects a fault and returns once it is healed (Redis up, dead processes restarted)."""


def leftovers(world: Cluster) -> dict[str, int]:
    """What a finished job must not leave in Redis: ledger entries, registrations, due times, stored
    documents, and its place among the active jobs."""
    from newsmill.keys import Keys

    assert world.job_id
    keys, job = Keys(world.prefix), world.job_id
    client = world.direct_client
    try:
        return {name: count for name, count in {
            "ledger": client.hlen(keys.job_ledger(job)),
            "items": client.hlen(keys.job_items(job)),
            "due": client.zcard(keys.job_due(job)),
            "documents": len(list(client.scan_iter(f"{world.prefix}:doc:{job}:*"))),
            "active": int(client.zscore(keys.active_jobs(), job) is not None),
        }.items() if count}
    finally:
        client.close()


def run_scenario(name: str, fault: Fault, workdir: Path, *, broker: str = "redis", inputs: int = 120,
                 at_fraction: float = 0.2, check_jsonl: bool = True, one_by_one: bool = False,
                 prepare: Callable[[Cluster], None] | None = None, **kwargs: Any) -> Outcome:
    """Start a cluster, enqueue, inject ``fault`` at ``at_fraction`` done, wait for the job, and count."""
    with cluster(workdir, broker=broker, inputs=inputs, **kwargs) as world:
        if prepare is not None:
            prepare(world)
        world.start_workers(one_by_one=one_by_one)
        world.enqueue()
        if not wait_for(lambda: world.done_fraction() >= at_fraction, 120, interval=0.02):
            raise AssertionError(f"the job never reached {at_fraction:.0%}:\n{world.workers.logs()}")
        fault_at = time.monotonic()
        fault(world)
        healed_at = time.monotonic()
        finished_at = world.wait_finished(recovery_bound(world.env) + 60)
        lost, dup_jsonl, dup_stream = exactly_once(world, check_jsonl=check_jsonl)
        outcome = Outcome(scenario=name, broker=broker, inputs=len(world.input_paths),
                          finished=finished_at is not None, lost=lost, duplicated_jsonl=dup_jsonl,
                          duplicated_stream=dup_stream, counts=world.counts(), fault_at=fault_at,
                          healed_at=healed_at, finished_at=finished_at,
                          worker_exits=list(world.workers.exits))
        if outcome.finished:
            # The job counts as finished when its last record is committed; the same script cleans up.
            wait_for(lambda: not leftovers(world), 10, interval=0.2)
            outcome.leftovers = leftovers(world)
        if not outcome.finished or lost or dup_jsonl or dup_stream or outcome.leftovers:
            outcome.notes.append(world.workers.logs())
        return outcome


# --- the faults ---------------------------------------------------------------------------------------

def kill_cpu_worker(world: Cluster) -> None:
    world.workers.kill9("cpu")
    wait_for(lambda: world.workers.processes["cpu"].poll() is None and world.workers.exits != [], 10)


def kill_io_worker(world: Cluster) -> None:
    world.workers.kill9("io")
    wait_for(lambda: world.workers.processes["io"].poll() is None and world.workers.exits != [], 10)


def crash_redis(world: Cluster) -> None:
    """``kill -9`` the Redis server, and start it again from its append-only file 3 s later."""
    world.redis.kill9()
    time.sleep(3)
    world.redis.start()


def cut_network(world: Cluster, seconds: float = 30.0, mode: str = "hold") -> None:
    """A 30 s cut between the workers and Redis: every byte held (``hold``), or every connection reset
    and new ones refused (``reset``)."""
    assert world.proxy is not None
    world.proxy.cut(mode)
    time.sleep(seconds)
    world.proxy.heal()


def reset_network(world: Cluster) -> None:
    cut_network(world, mode="reset")


def nothing(world: Cluster) -> None:
    """No fault: the scenario's own conditions (a full disk, a poison input) are the fault."""


POISON_MARKER = "NEWSMILL-FAULT-TEST-POISON"
INJECT = Path(__file__).resolve().parent / "inject"


def poison_one_input(world: Cluster) -> None:
    """One input that makes the process cleaning it exit at once, every time (see inject/)."""
    path = world.input_paths[7]
    path.write_text(path.read_text(encoding="utf-8") + f"\n{POISON_MARKER}\n", encoding="utf-8")


# The checkout first: sitecustomize runs before ``python -m`` puts the working directory on sys.path, so
# what it imports would otherwise come from wherever the package is installed (another checkout).
POISON_ENV = {"PYTHONPATH": os.pathsep.join((str(ROOT), str(INJECT))), "NEWSMILL_TEST_CRASH_MARKER": POISON_MARKER}
FULL_DISK_ENV = {"NEWSMILL_JSONL_PATH": "/dev/full"}


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    options: dict[str, Any] = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("kill_cpu_worker", kill_cpu_worker),
    Scenario("kill_io_worker", kill_io_worker),
    Scenario("redis_crash", crash_redis),
    Scenario("network_cut_hold", cut_network, {"through_proxy": True}),
    Scenario("network_cut_reset", reset_network, {"through_proxy": True}),
    Scenario("jsonl_full", nothing, {"extra_env": FULL_DISK_ENV, "check_jsonl": False, "one_by_one": True}),
    Scenario("poison_message", nothing, {"extra_env": POISON_ENV, "prepare": poison_one_input,
                                         "inputs": 100}),
)}
"""Every scenario but the full Redis (which stops the producer, not a running job: see the tests)."""
