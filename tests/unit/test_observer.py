"""What the pipeline tells its observer (newsmill/observe.py), and the pieces of workers/metrics.py that need
no endpoint. The Prometheus side, on real workers, is tests/integration/test_metrics.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from newsmill.errors import Drop, Retryable
from newsmill.ledger import Ledger, Registered
from newsmill.observe import NO_OBSERVER, Observer
from newsmill.pipeline import SINK, Stage, process, run_stage, stages_for
from newsmill.record import Source, WorkItem
from newsmill.resources import Resources
from newsmill.settings import Settings, SettingsError
from workers.metrics import OTHER_HOSTS, PrometheusObserver, host_group, observer_for


@dataclass
class Recorder(Observer):
    stages: list[tuple[str, float]] = field(default_factory=list)
    delivered_records: list[tuple[str, str | None, float | None]] = field(default_factory=list)
    fetches: list[tuple[str, str]] = field(default_factory=list)

    def stage_finished(self, stage: str, seconds: float) -> None:
        self.stages.append((stage, seconds))

    def fetched(self, url: str, code: str) -> None:
        self.fetches.append((url, code))

    def delivered(self, status: str, reason: str | None, latency_s: float | None) -> None:
        self.delivered_records.append((status, reason, latency_s))


def test_run_stage_reports_finished_stages_not_retries() -> None:
    recorder = Recorder()
    res = Resources(Settings(), observer=recorder)
    item = WorkItem("job", Source("file", "/data/x.html"))

    def drop(payload: object, res: Resources) -> object:
        raise Drop("empty")

    def retry(payload: object, res: Resources) -> object:
        raise Retryable("timeout")

    run_stage(Stage("load", "io", drop), item, res)  # type: ignore[arg-type]
    with pytest.raises(Retryable):
        run_stage(Stage("fetch", "io", retry), item, res)  # type: ignore[arg-type]
    assert [name for name, _seconds in recorder.stages] == ["load"]
    assert recorder.stages[0][1] >= 0


def test_a_job_reports_each_stage_and_one_delivery_with_its_latency(redis_client: redis.Redis, prefix: str,
                                                                   tmp_path: Path) -> None:
    """The in-process runner on a file that is dropped: load, then the sink, once; the latency is measured
    from the ledger's registration, and a second delivery of the same input reports nothing."""
    recorder = Recorder()
    settings = Settings(prefix=prefix, enrich=())
    res = Resources(settings, redis_client=redis_client, observer=recorder)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    item = WorkItem("job-o", Source("file", str(empty)))
    Ledger(redis_client, res.keys).register(
        "job-o", [Registered(item, tuple(s.name for s in stages_for(item.source, ())))], grace=30)
    record = process(item, res)
    assert (record.status, record.reason) == ("dropped", "empty")
    assert [name for name, _ in recorder.stages] == ["load", "sink"]
    [(status, reason, latency)] = recorder.delivered_records
    assert (status, reason) == ("dropped", "empty")
    assert latency is not None and 0 <= latency < 30
    assert not redis_client.hexists(res.keys.job_enqueued("job-o"), item.source.key)
    run_stage(SINK, record, res)
    assert len(recorder.delivered_records) == 1
    assert recorder.fetches == []


def test_host_groups_are_the_configured_domains_and_other() -> None:
    groups = frozenset({"example.com", "news.example.org"})
    assert host_group("example.com", groups) == "example.com"
    assert host_group("www.Example.com.", groups) == "example.com"
    assert host_group("news.example.org", groups) == "news.example.org"
    assert host_group("sport.news.example.org", groups) == "news.example.org"
    assert host_group("example.org", groups) == OTHER_HOSTS
    assert host_group("notexample.com", groups) == OTHER_HOSTS
    assert host_group("", groups) == OTHER_HOSTS


def test_host_groups_come_from_both_settings() -> None:
    settings = Settings.from_env({"NEWSMILL_METRICS_PORT": "9808", "NEWSMILL_METRICS_HOST_GROUPS": "Example.com",
                                  "NEWSMILL_FETCH_DOMAIN_RATES": "slow.example.net=0.5"})
    observer = observer_for(settings)
    assert isinstance(observer, PrometheusObserver)
    assert observer.groups == {"example.com", "slow.example.net"}
    assert observer_for(Settings()) is NO_OBSERVER


@pytest.mark.parametrize("value", ["-1", "70000", "nine"])
def test_a_bad_metrics_port_names_its_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="NEWSMILL_METRICS_PORT"):
        Settings.from_env({"NEWSMILL_METRICS_PORT": value})
