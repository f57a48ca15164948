"""docker-compose.yml against the Compose Specification schema, and the operational rules of the issue.

The schema is the Compose Specification's ``compose-spec.json`` (Apache-2.0, github.com/compose-spec/
compose-spec) as vendored and shipped on PyPI by check-jsonschema (``vendor.compose-spec``).
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest

from newsmill.settings import Settings
from tests.deploy.compose_local import (
    interpolate,
    interpolate_tree,
    load_compose,
    parse_duration,
    read_env_file,
)
from tests.deploy.test_compose_processes import COMPOSE, ENV_EXAMPLE

SECRET_VARIABLES = ("REDIS_PASSWORD", "NEWSMILL_FLOWER_PASSWORD", "GRAFANA_ADMIN_PASSWORD")
SCALED = ("worker-io", "worker-cpu")


def compose_schema() -> dict[str, Any]:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))
    return schema


def validator() -> jsonschema.protocols.Validator:
    schema = compose_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def compose_services() -> dict[str, Any]:
    """The compose file's services, interpolated with .env.example."""
    config: dict[str, Any] = interpolate_tree(load_compose(COMPOSE), read_env_file(ENV_EXAMPLE))
    services: dict[str, Any] = config["services"]
    return services


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    config: dict[str, Any] = interpolate_tree(load_compose(COMPOSE), read_env_file(ENV_EXAMPLE))
    return config


def test_compose_file_is_valid_against_the_compose_spec_schema() -> None:
    """docker-compose.yml, raw and interpolated with .env.example, passes the Compose Specification schema."""
    raw = load_compose(COMPOSE)
    errors = [e.message for e in validator().iter_errors(raw)]
    assert errors == []
    errors = [e.message for e in validator().iter_errors(interpolate_tree(raw, read_env_file(ENV_EXAMPLE)))]
    assert errors == []


def test_schema_rejects_a_broken_compose_file() -> None:
    """The validator is not vacuous: a misspelt service key and a bad depends_on condition are errors."""
    broken = copy.deepcopy(load_compose(COMPOSE))
    broken["services"]["worker-io"]["comand"] = broken["services"]["worker-io"].pop("command")
    broken["services"]["worker-cpu"]["depends_on"]["redis"]["condition"] = "healthy"
    messages = " ".join(e.message for e in validator().iter_errors(broken))
    assert "comand" in messages and "healthy" in messages


def test_every_variable_comes_from_env_example_and_no_secret_is_in_the_compose_file() -> None:
    """Each ${VAR} of the compose file is set in .env.example; secrets appear only as variables."""
    text = COMPOSE.read_text(encoding="utf-8")
    env = read_env_file(ENV_EXAMPLE)
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    assert used and used <= set(env), sorted(used - set(env))
    for name in SECRET_VARIABLES:
        assert env[name] and env[name] not in text
        assert f"${{{name}" in text
    # No literal credentials in a URL value: only ${...} may stand between '://' and '@'.
    config_values = json.dumps(load_compose(COMPOSE))
    assert "://:${REDIS_PASSWORD" in config_values
    assert not re.search(r"://[^\s$/\"]*:[^\s$@/{\"]+@", config_values)
    with pytest.raises(ValueError, match="REDIS_PASSWORD"):
        interpolate("${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}", {})


def test_redis_is_protected_persistent_and_never_evicts(resolved: dict[str, Any]) -> None:
    """The redis service: password, AOF with everysec, noeviction, a named volume, a healthcheck."""
    redis = resolved["services"]["redis"]
    command = " ".join(redis["command"])
    env = read_env_file(ENV_EXAMPLE)
    assert f"--requirepass {env['REDIS_PASSWORD']}" in command
    for option in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"):
        assert option in command
    source = redis["volumes"][0].split(":")[0]
    assert source in resolved["volumes"]
    assert redis["healthcheck"]["test"] and "ports" not in redis


def test_workers_scale_wait_for_a_healthy_broker_and_stop_gracefully(resolved: dict[str, Any]) -> None:
    """worker-io and worker-cpu: one image, scalable, depend on healthy redis, grace > time limits."""
    settings = Settings.from_env(read_env_file(ENV_EXAMPLE))
    services = resolved["services"]
    images = {services[name]["image"] for name in (*SCALED, "flower", "producer")}
    assert len(images) == 1
    for name in SCALED:
        service = services[name]
        # A fixed container name or host port would make `--scale` fail with a conflict.
        assert "container_name" not in service and "ports" not in service
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        grace = parse_duration(service["stop_grace_period"])
        assert grace > settings.soft_time_limit and grace > settings.hard_time_limit
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["worker-io"]["command"][-4:] == ["--queues", "io", "--pool", "threads"]
    assert services["worker-cpu"]["command"][-4:] == ["--queues", "cpu", "--pool", "prefork"]
    results = [v for v in services["worker-io"]["volumes"] if v.endswith(":/results")]
    assert results and results[0].split(":")[0] in resolved["volumes"]
    assert services["worker-io"]["environment"]["NEWSMILL_JSONL_PATH"].startswith("/results/")


def test_flower_and_producer(resolved: dict[str, Any]) -> None:
    """Flower: auth from the environment, persistent state on a volume, port 5555; producer: a profile."""
    flower = resolved["services"]["flower"]
    assert flower["command"] == ["newsmill", "flower"]
    env = flower["environment"]
    assert env["NEWSMILL_FLOWER_USER"] and len(env["NEWSMILL_FLOWER_PASSWORD"]) >= 12
    assert int(env["NEWSMILL_FLOWER_MAX_TASKS"]) > 0 and int(env["NEWSMILL_FLOWER_PURGE_OFFLINE_WORKERS"]) > 0
    assert flower["ports"][0].endswith(":5555") and env["NEWSMILL_FLOWER_PORT"] == "5555"
    db_volume = [v for v in flower["volumes"] if env["NEWSMILL_FLOWER_DB"].startswith(v.split(":")[1] + "/")]
    assert db_volume and db_volume[0].split(":")[0] in resolved["volumes"]
    producer = resolved["services"]["producer"]
    assert producer["profiles"] == ["producer"]
    assert producer["command"][:2] == ["newsmill", "enqueue"]
    mounted = {v.split(":")[1] for v in producer["volumes"]}
    assert producer["command"][2] in mounted


def test_workers_are_restarted_whatever_their_exit_code(resolved: dict[str, Any]) -> None:
    """A worker that exits 0 after an unrecoverable error (or 1, as `newsmill worker` now does) is
    restarted: the delivery guarantees assume dead processes come back without an operator."""
    services = resolved["services"]
    for name in ("worker-io", "worker-cpu", "flower", "redis"):
        assert services[name].get("restart") in ("always", "unless-stopped"), (name, services[name].get("restart"))


def test_monitoring_profile_runs_prometheus_and_grafana_on_the_project_files(resolved: dict[str, Any]) -> None:
    """prometheus and grafana start only with --profile monitoring, read deploy/prometheus and deploy/grafana,
    keep their data on volumes, publish on loopback by default, and Grafana's admin comes from .env."""
    services = resolved["services"]
    for name in ("prometheus", "grafana"):
        service = services[name]
        assert service["profiles"] == ["monitoring"], name
        assert ":" in service["image"] and not service["image"].endswith(":latest"), name
        assert service["ports"][0].startswith("127.0.0.1:"), name
        assert service.get("restart") == "unless-stopped" and service["healthcheck"]["test"], name
        named = [v.split(":")[0] for v in service["volumes"] if not v.startswith("./")]
        assert named and set(named) <= set(resolved["volumes"]), name
        for entry in service["volumes"]:
            if entry.startswith("./"):
                assert (COMPOSE.parent / entry.split(":")[0]).exists(), entry
    prometheus = services["prometheus"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    grafana = services["grafana"]
    env = grafana["environment"]
    assert env["GF_SECURITY_ADMIN_USER"] and len(env["GF_SECURITY_ADMIN_PASSWORD"]) >= 12
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    for name in ("redis", "worker-io", "worker-cpu", "flower"):
        assert "profiles" not in services[name], f"{name} must start without a profile"


def test_workers_serve_metrics_on_the_compose_network_only(resolved: dict[str, Any]) -> None:
    """Every worker container serves /metrics on the port Prometheus scrapes; exposed, never published (a
    published port would make --scale fail), and Flower and the producer serve none."""
    services = resolved["services"]
    settings = Settings.from_env(services["worker-cpu"]["environment"])
    assert settings.metrics_port == 9808 and settings.metrics_address == "0.0.0.0"
    for name in SCALED:
        assert services[name]["environment"]["NEWSMILL_METRICS_PORT"] == "9808"
        assert "9808" in services[name]["expose"] and "ports" not in services[name]
    for name in ("flower", "producer"):
        assert "NEWSMILL_METRICS_PORT" not in services[name]["environment"], name


def test_the_scheduler_watches_a_mounted_sources_file(resolved: dict[str, Any]) -> None:
    """scheduler: `newsmill watch` of a file on its read-only mount (shipped, parseable), the image's
    worker healthcheck off (it is no worker), restarted, after a healthy Redis."""
    from newsmill.watch.sources import read_sources

    scheduler = resolved["services"]["scheduler"]
    assert scheduler["command"][:2] == ["newsmill", "watch"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in scheduler["volumes"]}
    watched = scheduler["command"][2]
    mount = next(target for target in mounts if watched.startswith(target + "/"))
    assert scheduler["volumes"][0].endswith(":ro")
    shipped = COMPOSE.parent / mounts[mount] / watched.removeprefix(mount + "/")
    assert read_sources([str(shipped)]) == []  # an example only: nothing is polled until the user adds sources
    assert scheduler["healthcheck"] == {"disable": True}
    assert scheduler["restart"] == "unless-stopped"
    assert scheduler["depends_on"]["redis"]["condition"] == "service_healthy"
    settings = Settings.from_env(scheduler["environment"])
    assert settings.watch.every == 600 and settings.watch.max_backoff == 6 * 3600
