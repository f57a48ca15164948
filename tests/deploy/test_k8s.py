"""deploy/k8s: every built-in resource against the Kubernetes OpenAPI schemas shipped by kubernetes-validate
(strict: unknown fields are errors); KEDA's resources, whose CRD schema is not shipped, by explicit checks
of what KEDA's ScaledObject/TriggerAuthentication CRDs require (keda.sh/v1alpha1, github.com/kedacore/keda
``config/crd/bases``); and the rules that tie the manifests to the compose file and the code."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from newsmill.settings import Settings
from tasks.queues import message_priority
from tasks.stages import stage_depth
from tests.conftest import ROOT
from tests.deploy.compose_local import load_compose
from tests.deploy.test_compose_processes import COMPOSE
from workers.config import CPU_QUEUE, celery_config

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = kubernetes_validate.latest_version()
KEDA_API = "keda.sh/v1alpha1"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in documents(path)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests() if doc["kind"] == kind}


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return found


def workloads() -> list[dict[str, Any]]:
    return [*by_kind("Deployment").values(), *by_kind("StatefulSet").values()]


def test_builtin_resources_pass_the_kubernetes_schemas_strictly() -> None:
    """Every non-KEDA resource validates against Kubernetes' schemas with unknown fields rejected."""
    checked = 0
    for doc in manifests():
        if doc["apiVersion"] == KEDA_API:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 9


def test_strict_validation_rejects_a_misspelt_field() -> None:
    """The validator is not vacuous: a misspelt container field fails."""
    broken = copy.deepcopy(by_kind("Deployment")["newsmill-worker-cpu"])
    containers(broken)[0]["resourcez"] = containers(broken)[0].pop("resources")
    with pytest.raises(kubernetes_validate.ValidationError, match="resourcez"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    """kustomization.yaml applies every manifest except the example Secret (secrets are created by hand)."""
    kustomization = documents(K8S / "kustomization.yaml")[0]
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == on_disk


def test_workloads_have_resources_probes_and_run_as_non_root() -> None:
    """Broker, worker-io, worker-cpu and flower: requests and limits, liveness and readiness, non-root."""
    names = {doc["metadata"]["name"] for doc in workloads()}
    assert names == {"newsmill-redis", "newsmill-worker-io", "newsmill-worker-cpu", "newsmill-flower"}
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in containers(workload):
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), (workload["metadata"]["name"], bound)
            assert container["livenessProbe"] and container["readinessProbe"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_workers_run_the_compose_commands_and_stop_gracefully() -> None:
    """worker-io/cpu run exactly the compose file's commands; grace period > hard time limit."""
    compose = load_compose(COMPOSE)["services"]
    config = by_kind("ConfigMap")["newsmill-config"]["data"]
    settings = Settings.from_env(config)
    deployments = by_kind("Deployment")
    for service in ("worker-io", "worker-cpu", "flower"):
        deployment = deployments[f"newsmill-{service}"]
        assert containers(deployment)[0]["command"] == compose[service]["command"]
    for service in ("worker-io", "worker-cpu"):
        pod = deployments[f"newsmill-{service}"]["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > settings.hard_time_limit
        probe = pod["containers"][0]["livenessProbe"]["exec"]["command"]
        assert probe[:2] == ["newsmill", "healthcheck"]
    # KEDA owns worker-cpu's replica count: a fixed one would be reset on every apply.
    assert "replicas" not in deployments["newsmill-worker-cpu"]["spec"]


def test_redis_statefulset_has_the_compose_options_and_secret_references_resolve() -> None:
    """Redis: password from the Secret, AOF everysec, noeviction, a volume; every secret key referenced exists."""
    redis = by_kind("StatefulSet")["newsmill-redis"]
    container = containers(redis)[0]
    args = " ".join(container["args"])
    for option in ("--requirepass $(REDIS_PASSWORD)", "--appendonly yes", "--appendfsync everysec",
                   "--maxmemory-policy noeviction"):
        assert option in args
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == container["volumeMounts"][0]["name"]
    secret = documents(K8S / "secret.example.yaml")[0]
    keys = set(secret["stringData"])
    for workload in workloads():
        for c in containers(workload):
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secret["metadata"]["name"]
                    assert ref["key"] in keys or ref.get("optional") is True, ref


def test_keda_scaled_object_scales_worker_cpu_on_the_cpu_queue() -> None:
    """ScaledObject: the CRD's required fields, targets worker-cpu, Redis list trigger on the cpu queue."""
    scaled = by_kind("ScaledObject")["newsmill-worker-cpu"]
    assert scaled["apiVersion"] == KEDA_API
    spec = scaled["spec"]
    assert set(spec) <= {"scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval",
                         "cooldownPeriod", "idleReplicaCount", "advanced", "triggers", "fallback",
                         "initialCooldownPeriod"}
    target = spec["scaleTargetRef"]
    assert target["name"] in by_kind("Deployment") and target.get("kind", "Deployment") == "Deployment"
    assert target["name"] == "newsmill-worker-cpu"
    assert 0 < spec["minReplicaCount"] <= spec["maxReplicaCount"]
    [trigger] = spec["triggers"]
    assert trigger["type"] == "redis"
    metadata = trigger["metadata"]
    # The CRD types trigger metadata as a map of strings.
    assert all(isinstance(v, str) for v in metadata.values())
    # The Redis list kombu keeps the cpu queue in: its name carries the prefix the ConfigMap sets.
    prefix = documents(K8S / "config.yaml")[0]["data"]["NEWSMILL_PREFIX"]
    options = celery_config(Settings(broker_url="redis://redis:6379/0", prefix=prefix))["broker_transport_options"]
    # kombu keeps one list per priority level; the backlog of new work waits at the clean stage's level.
    clean_level = message_priority(stage_depth("clean"), "redis://redis:6379/0")
    assert metadata["listName"] == f"{options['global_keyprefix']}{CPU_QUEUE}\x06\x16{clean_level}"
    assert int(metadata["listLength"]) > 0 and metadata["databaseIndex"] == "0"
    namespace = documents(K8S / "kustomization.yaml")[0]["namespace"]
    host, port = metadata["address"].rsplit(":", 1)
    assert host == f"newsmill-redis.{namespace}.svc.cluster.local" and host.split(".")[0] in by_kind("Service")
    assert int(port) == by_kind("Service")["newsmill-redis"]["spec"]["ports"][0]["port"]
    auth = by_kind("TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    assert auth["apiVersion"] == KEDA_API
    secret = documents(K8S / "secret.example.yaml")[0]
    for ref in auth["spec"]["secretTargetRef"]:
        assert {"parameter", "name", "key"} <= set(ref)
        assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", scaled["metadata"]["name"])


def test_worker_deployments_restart_their_containers_whatever_the_exit_code() -> None:
    """Deployments allow only restartPolicy Always (the default): a worker that exits 0 comes back too."""
    for name in ("newsmill-worker-io", "newsmill-worker-cpu"):
        spec = by_kind("Deployment")[name]["spec"]["template"]["spec"]
        assert spec.get("restartPolicy", "Always") == "Always", name


def test_worker_pods_serve_metrics_where_their_annotations_say() -> None:
    """Each worker pod serves /metrics (docs/metrics.md) on a named container port, the one its
    prometheus.io annotations give and its NEWSMILL_METRICS_PORT opens; Flower's pod serves none of ours."""
    deployments = by_kind("Deployment")
    for service in ("worker-io", "worker-cpu"):
        template = deployments[f"newsmill-{service}"]["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        [container] = template["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
        assert str(ports["metrics"]) == annotations["prometheus.io/port"] == env["NEWSMILL_METRICS_PORT"]
    flower_env = {item["name"] for item in containers(deployments["newsmill-flower"])[0].get("env", [])}
    assert "NEWSMILL_METRICS_PORT" not in flower_env
