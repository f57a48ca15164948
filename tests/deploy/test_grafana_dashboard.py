"""deploy/grafana/newsmill.json against Grafana's dashboard schema, its layout, its queries, and the
provisioning the compose file's grafana service reads.

No Grafana binary is packaged for this machine (Debian has none), so the dashboard is not rendered: it is
checked against Grafana's own dashboard schema as Grafana Labs ships it on PyPI, the Foundation SDK's
models (``grafana-foundation-sdk``, generated from Grafana's CUE schema kinds). Decoding with them and
encoding again drops every key the schema does not know (on the dashboard, a panel, a panel's options
for its plugin, a Prometheus query); the values are checked against the models' types and enums.
That the queries name only metrics the workers export is checked on a real scrape in
tests/integration/test_metrics.py, which also runs every query on a real Prometheus.
"""

from __future__ import annotations

import copy
import enum
import json
import re
import subprocess
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from tests.conftest import ROOT, require_program

DASHBOARD = ROOT / "deploy" / "grafana" / "newsmill.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRID_COLUMNS = 24

# PromQL words that are not metric names; functions are told apart by the "(" after them.
PROMQL_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                             "and", "or", "unless", "inf", "nan"})
GRAFANA_RANGES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "5m"}
"""Grafana's range variables, as a query sent to Prometheus has them replaced."""


def load_dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel.get("targets", [])]


def as_prometheus_query(expr: str) -> str:
    for variable, value in GRAFANA_RANGES.items():
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: its identifiers outside strings, label matchers,
    grouping clauses and ranges, less function names (followed by ``(``) and keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in PROMQL_KEYWORDS:
            names.add(name)
    return names


def dashboard_metric_names() -> set[str]:
    return set().union(*(metric_names(expr) for expr in expressions(load_dashboard())))


# --- Grafana's schema ------------------------------------------------------------------------------------

def _lost_keys(ours: Any, theirs: Any, path: str) -> list[str]:
    """Paths of what ``ours`` has that ``theirs`` (the schema's round trip) lost or changed."""
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return [f"{path}: not an object in the schema"]
        return [problem for key, value in ours.items()
                for problem in (_lost_keys(value, theirs[key], f"{path}/{key}") if key in theirs
                                else [f"{path}/{key}: not in the schema"])]
    if isinstance(ours, list):
        if not isinstance(theirs, list) or len(ours) != len(theirs):
            return [f"{path}: a list the schema does not keep"]
        return [problem for index, (a, b) in enumerate(zip(ours, theirs, strict=True))
                for problem in _lost_keys(a, b, f"{path}[{index}]")]
    return [] if ours == theirs else [f"{path}: {ours!r} became {theirs!r}"]


def _conforms(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (typing.Any, object):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is list:
        return isinstance(value, list) and all(_conforms(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(_conforms(item, args[1]) for item in value.values())
    if origin is typing.Literal:
        return value in args
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return isinstance(value, hint) or value in {member.value for member in hint}
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, bool):
        return isinstance(value, hint)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a construct of the SDK's own (a dataquery variant): its object is checked below


def _type_errors(model: Any, path: str) -> list[str]:
    """Attributes of a decoded model (and the models inside it) whose values do not have the schema's type."""
    errors = []
    for name, hint in typing.get_type_hints(type(model)).items():
        value = getattr(model, name, None)
        if not _conforms(value, hint):
            errors.append(f"{path}.{name}: {value!r} is not {hint}")
        for child, where in _models_in(value, f"{path}.{name}"):
            errors += _type_errors(child, where)
    return errors


def _models_in(value: Any, path: str) -> list[tuple[Any, str]]:
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _models_in(item, f"{path}[{index}]")]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _models_in(item, f"{path}.{key}")]
    if type(value).__module__.startswith("grafana_foundation_sdk.models."):
        return [(value, path)]
    return []


def schema_problems(data: dict[str, Any]) -> list[str]:
    register_default_plugins()
    decoded = Dashboard.from_json(copy.deepcopy(data))
    again = json.loads(JSONEncoder().encode(decoded))
    return _lost_keys(data, again, "") + _type_errors(decoded, "dashboard")


def test_dashboard_follows_grafanas_dashboard_schema() -> None:
    assert schema_problems(load_dashboard()) == []


def test_the_schema_check_finds_what_grafana_would_not_read() -> None:
    """Not vacuous: an unknown key on the dashboard, a panel, its options and a query, a wrong type and a
    value outside an enum are each reported."""
    broken = load_dashboard()
    broken["templatin"] = {}
    series = next(panel for panel in panels(broken) if panel["type"] == "timeseries")
    series["heigth"] = 3
    series["options"]["legend"]["placment"] = "right"
    series["targets"][0]["exp"] = "up"
    series["gridPos"]["h"] = "8"
    series["fieldConfig"]["defaults"]["custom"]["drawStyle"] = "sparkles"
    problems = "\n".join(schema_problems(broken))
    for expected in ("/templatin", "/heigth", "/placment", "/exp", "grid_pos.h", "draw_style"):
        assert expected in problems, (expected, problems)


# --- what the dashboard shows ---------------------------------------------------------------------------

def test_layout_fits_the_grid_and_every_query_uses_the_datasource_variable() -> None:
    dashboard = load_dashboard()
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel in panels(dashboard):
        assert panel.get("description"), panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


def test_the_issue_asks_for_these_panels() -> None:
    """Throughput, latency percentiles per stage, outcomes by reason, queue depth, worker count."""
    exprs = expressions(load_dashboard())
    joined = "\n".join(exprs)
    assert "rate(newsmill_records_total" in joined
    assert re.search(r"histogram_quantile\(0\.95, sum by \(le, stage\) \(rate\(newsmill_stage_duration_seconds_bucket",
                     joined)
    assert "newsmill_article_latency_seconds_bucket" in joined
    assert re.search(r"by \(status, reason\).*newsmill_records_total", joined)
    assert "newsmill_queue_messages" in joined and "newsmill_worker_up" in joined


def test_metric_names_are_read_out_of_promql() -> None:
    assert metric_names('sum by (le, stage) (rate(newsmill_stage_duration_seconds_bucket{stage!="x"}[5m]))') == {
        "newsmill_stage_duration_seconds_bucket"}
    assert metric_names("a_total / on (job) group_left b_info or vector(0) and bool c") == {"a_total", "b_info", "c"}
    assert metric_names('label_replace(up, "x", "$1", "job", "(.*)")') == {"up"}
    assert dashboard_metric_names() >= {"newsmill_records_total", "newsmill_queue_messages", "newsmill_worker_up"}


def test_queries_parse_with_prometheus_itself(tmp_path: Path) -> None:
    """Every query, with Grafana's range variables filled in, is valid PromQL to promtool."""
    require_program("promtool", "apt-get install -y prometheus")
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"newsmill:dashboard:{index}", "expr": as_prometheus_query(expr)}
        for index, expr in enumerate(expressions(load_dashboard()))]}]}
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# --- provisioning and Prometheus' configuration ---------------------------------------------------------

def test_provisioning_points_grafana_at_the_dashboard_and_prometheus() -> None:
    datasources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text(encoding="utf-8"))
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090" and source["isDefault"]
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "newsmill.yml").read_text(encoding="utf-8"))
    [provider] = providers["providers"]
    assert provider["type"] == "file"
    from tests.deploy.test_compose_file import compose_services

    grafana = compose_services()["grafana"]
    mounts = {entry.split(":")[1]: entry.split(":")[0] for entry in grafana["volumes"]}
    folder = provider["options"]["path"]
    assert mounts[f"{folder}/newsmill.json"] == "./deploy/grafana/newsmill.json"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    assert load_dashboard()["templating"]["list"][0]["current"]["value"] == source["uid"]


def test_prometheus_configuration_is_valid_and_scrapes_the_workers() -> None:
    require_program("promtool", "apt-get install -y prometheus")
    done = subprocess.run(["promtool", "check", "config", str(PROMETHEUS_CONFIG)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    [discovery] = jobs["newsmill"]["dns_sd_configs"]
    from tests.deploy.test_compose_file import compose_services

    services = compose_services()
    assert set(discovery["names"]) == {"worker-io", "worker-cpu"}
    for name in discovery["names"]:
        assert services[name]["environment"]["NEWSMILL_METRICS_PORT"] == str(discovery["port"])
    assert jobs["flower"]["static_configs"][0]["targets"] == ["flower:5555"]
