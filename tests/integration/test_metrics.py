"""Workers' Prometheus endpoints after a real job: the counts they give are the job's counts, and a real
Prometheus scraping them says the same over its HTTP API (docs/metrics.md)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from newsmill.processes import stop_process_group
from newsmill.testing.httpserver import HTTPTestServer, Reply, Request, page, status
from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import ROOT, SEED, require_program
from tests.deploy.test_grafana_dashboard import (
    as_prometheus_query,
    dashboard_metric_names,
    expressions,
    load_dashboard,
)
from tests.integration.test_seed_distributed import cli

HOST = "news.test"
ARTICLE_HTML = ("<html><head><title>Coalition strikes near Raqqa</title></head><body><article><h1>Coalition "
                "strikes near Raqqa</h1>" + "".join(
                    f"<p>{line}</p>" for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip())
                + "</article></body></html>")
PROMETHEUS_INSTALL = "apt-get install -y prometheus"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Loopback only: no proxy from the environment."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> Samples:
    with LOCAL.open(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        body = response.read().decode("utf-8")
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def total(samples: list[Samples], name: str, **labels: str) -> float:
    """``name`` summed over every endpoint and every series whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(value for scraped in samples for (found, series), value in scraped.items()
               if found == name and wanted <= series)


def by_label(samples: list[Samples], name: str, *label_names: str) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for scraped in samples:
        for (found, series), value in scraped.items():
            if found == name and value:
                labels = dict(series)
                counts[tuple(labels.get(n, "") for n in label_names)] += int(value)
    return counts


class FlakyOnce:
    """503 to the first request, the page after: one retry of the fetch."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            self.calls += 1
            first = self.calls == 1
        return status(503) if first else page(ARTICLE_HTML.replace("Raqqa", "Deir ez-Zor"))


@pytest.fixture()
def site() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as server:
        server.route("/article", page(ARTICLE_HTML))
        server.route("/flaky", FlakyOnce())
        server.route("/missing", status(404))
        server.route("/logo", page(b"\x89PNG\r\n\x1a\n" + bytes(256), content_type="image/png"))
        yield server


def start_workers(workers: WorkerProcesses, env: dict[str, str], site: HTTPTestServer) -> tuple[int, int]:
    """An io worker (threads) and a cpu worker (prefork, 2 processes), each with its own metrics port."""
    env.update({
        "NEWSMILL_FETCH_ALLOW_ADDRESSES": f"127.0.0.1:{site.port}", "NEWSMILL_FETCH_RESOLVE": f"{HOST}=127.0.0.1",
        "NEWSMILL_FETCH_RATE": "100", "NEWSMILL_ENRICH": "reading_time,keywords",
        "NEWSMILL_METRICS_ADDRESS": "127.0.0.1", "NEWSMILL_METRICS_HOST_GROUPS": HOST,
    })
    ports = free_port(), free_port()
    workers.env = {**env, "NEWSMILL_METRICS_PORT": str(ports[0])}
    workers.start("--queues", "io", "--concurrency", "4")
    workers.env = {**env, "NEWSMILL_METRICS_PORT": str(ports[1])}
    workers.start("--queues", "cpu", "--concurrency", "2")
    workers.env = env
    workers.wait_ready()
    return ports


def run_job(env: dict[str, str], tmp_path: Path, site: HTTPTestServer) -> dict[str, Any]:
    files = tmp_path / "inputs"
    files.mkdir()
    (files / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (files / "empty.txt").write_bytes(b"")
    urls = [f"http://{HOST}:{site.port}{path}" for path in ("/article", "/flaky", "/missing", "/logo")]
    job_id = cli(env, "enqueue", str(files), *urls).strip()
    result: dict[str, Any] = json.loads(cli(env, "status", job_id, "--json", "--wait", timeout=300))
    return result


def test_worker_endpoints_count_what_the_job_did(workers: WorkerProcesses, worker_env: dict[str, str],
                                                  tmp_path: Path, site: HTTPTestServer) -> None:
    ports = start_workers(workers, worker_env, site)
    job = run_job(worker_env, tmp_path, site)
    assert job["finished"] and job["enqueued"] == 6, job
    samples = [scrape(port) for port in ports]

    # Records: the job's counts, by status and by reason, once each.
    records = by_label(samples, "newsmill_records_total", "status", "reason")
    assert records == Counter({("ok", "none"): 3, ("dropped", "empty"): 1, ("dropped", "not_html"): 1,
                               ("failed", "http_4xx"): 1}), records
    for name in ("ok", "dropped", "failed"):
        assert total(samples, "newsmill_records_total", status=name) == job[name], name
    reasons = {reason: n for (_status, reason), n in records.items() if reason != "none"}
    assert reasons == job["reasons"]
    assert by_label(samples, "newsmill_dead_letters_total", "reason") == Counter({("http_4xx",): 1})

    # Fetches by outcome and host group; the 503 was one retry of the fetch stage.
    fetches = by_label(samples, "newsmill_fetches_total", "code", "host_group")
    assert fetches == Counter({("ok", HOST): 2, ("http_5xx", HOST): 1, ("http_4xx", HOST): 1,
                               ("not_html", HOST): 1}), fetches
    assert total(samples, "newsmill_retries_total", stage="fetch", kind="retry", code="http_5xx") == 1

    # Stage timings: one observation per stage run; the sink once per record.
    assert total(samples, "newsmill_stage_duration_seconds_count", stage="load") == 2
    assert total(samples, "newsmill_stage_duration_seconds_count", stage="fetch") == 4  # the 503 is not a run
    assert total(samples, "newsmill_stage_duration_seconds_count", stage="clean") == 3
    assert total(samples, "newsmill_stage_duration_seconds_count", stage="sink") == 6
    assert total(samples, "newsmill_stage_duration_seconds_sum", stage="clean") > 0

    # End-to-end latency of every record, from enqueueing to the commit.
    assert total(samples, "newsmill_article_latency_seconds_count") == 6
    assert 0 < total(samples, "newsmill_article_latency_seconds_sum") < 6 * 300

    # The workers themselves, and the queues (empty now) as each endpoint sees them.
    assert by_label(samples, "newsmill_worker_up", "queues", "pool") == Counter(
        {("io", "threads"): 1, ("cpu", "prefork"): 1})
    assert total(samples, "newsmill_worker_concurrency", queues="cpu") == 2
    for scraped in samples:
        assert {dict(series)["queue"] for name, series in scraped if name == "newsmill_queue_messages"} == {
            "io", "cpu"}
    assert total(samples, "newsmill_queue_messages") == 0
    assert by_label(samples, "newsmill_redrives_total", "stage") == Counter()  # none, but the series are there
    assert total(samples, "newsmill_redrives_total", stage="clean") == 0

    # The dashboard asks only for metrics the workers export.
    exported = {name for scraped in samples for name, _series in scraped}
    assert dashboard_metric_names() <= exported, sorted(dashboard_metric_names() - exported)


def test_a_second_endpoint_on_a_taken_port_is_one_line(worker_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**worker_env, "NEWSMILL_METRICS_PORT": str(port), "NEWSMILL_METRICS_ADDRESS": "127.0.0.1"}
        done = subprocess.run([sys.executable, "-m", "workers.cli", "worker", "--queues", "io"], env=env,
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"metrics endpoint 127.0.0.1:{port}:" in done.stderr.strip().splitlines()[-1], done.stderr


def prometheus_query(port: int, query: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with LOCAL.open(url, timeout=10) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def wait_until_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"prometheus exited with code {server.returncode}"
        try:
            with LOCAL.open(f"http://127.0.0.1:{port}/-/ready", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"prometheus not ready after {timeout}s")


def wait_for_value(port: int, query: str, expected: float, timeout: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = prometheus_query(port, query)
        if result and float(result[0]["value"][1]) == expected:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{query}: expected {expected}, Prometheus says {result}")


def wait_for_answer(port: int, query: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The first non-empty answer to ``query``: a rate needs two scrapes of a series, and the series of a
    short job may have appeared at the last one."""
    deadline = time.monotonic() + timeout
    while True:
        result = prometheus_query(port, query)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_prometheus_scrapes_the_workers(workers: WorkerProcesses, worker_env: dict[str, str], tmp_path: Path,
                                        site: HTTPTestServer) -> None:
    require_program("prometheus", PROMETHEUS_INSTALL)
    ports = start_workers(workers, worker_env, site)
    web = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{"job_name": "newsmill", "static_configs": [
            {"targets": [f"127.0.0.1:{port}" for port in ports]}]}],
    }), encoding="utf-8")
    log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{web}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        wait_until_ready(web, server)
        wait_for_value(web, 'count(up{job="newsmill"} == 1)', 2)
        job = run_job(worker_env, tmp_path, site)
        assert job["finished"], job
        wait_for_value(web, "sum(newsmill_records_total)", 6)
        by_status = {r["metric"]["status"]: float(r["value"][1])
                     for r in prometheus_query(web, "sum by (status) (newsmill_records_total)")}
        assert by_status == {"ok": job["ok"], "dropped": job["dropped"], "failed": job["failed"]}
        assert prometheus_query(web, "sum(newsmill_worker_up)")[0]["value"][1] == "2"
        assert float(prometheus_query(web, 'sum(newsmill_fetches_total{host_group="news.test"})')[0]["value"][1]) == 5
        # What the dashboard's latency panels ask: a percentile out of the histogram's buckets.
        p95 = prometheus_query(web, "histogram_quantile(0.95, sum by (le) (newsmill_article_latency_seconds_bucket))")
        assert 0 < float(p95[0]["value"][1]) < 300
        # Every query of the dashboard runs on this Prometheus (Grafana's range variables filled in); those of
        # the panels the job fed answer with data.
        for expr in expressions(load_dashboard()):
            if "newsmill_records_total" in expr and 'status!="ok"' not in expr:
                assert wait_for_answer(web, as_prometheus_query(expr)), expr
            else:
                prometheus_query(web, as_prometheus_query(expr))  # raises if Prometheus refuses the query
    finally:
        stop_process_group(server, grace=10)
        if server.returncode not in (0, None):
            print((tmp_path / "prometheus.log").read_text(errors="replace")[-3000:])
